import type { SqlClient } from '../../db/drivers.js'
import type { PresenceEvent } from './announcer.js'
import { HIDDEN_PRESENCE, seesPresence } from './visibility.js'

/** Most people one snapshot names: friends first, then direct peers by latest activity. */
export const SNAPSHOT_MAX = 2000

/*
 * The people whose presence a socket is told about at connect: friends and the peers of
 * direct conversations (what GET /friends and GET /conversations show presence for), each
 * with the stored last_seen_at and whether the viewer may see it (the one rule, visibility.ts).
 */
const SNAPSHOT_SQL = `
WITH peers AS (
  SELECT f.friend_id AS id, true AS friend, now() AS active FROM friendships f WHERE f.user_id = $1::uuid
  UNION ALL
  SELECT other.user_id, false, COALESCE(c.last_message_at, c.created_at)
  FROM conversation_members mine
  JOIN conversations c ON c.id = mine.conversation_id AND c.type = 'direct'
  JOIN conversation_members other ON other.conversation_id = mine.conversation_id AND other.user_id <> mine.user_id
  WHERE mine.user_id = $1::uuid
), ranked AS (
  SELECT id, bool_or(friend) AS friend, max(active) AS active FROM peers GROUP BY id
)
SELECT u.id, u.last_seen_at, ${seesPresence('u', '$1::uuid')} AS visible
FROM ranked r JOIN users u ON u.id = r.id
ORDER BY r.friend DESC, r.active DESC, u.id
LIMIT $2::int`

interface Row { id: string, last_seen_at: Date | null, visible: boolean }

/**
 * The presence snapshot a socket gets at connect (`presence:snapshot`). The database is read
 * first and the live connection state last, and the caller emits at once: an announcement
 * about someone whose state changed after that last read is emitted after the snapshot (it
 * needs its own database round trip first), so on the socket the snapshot is never newer
 * than an event that follows it, and a client applies both in arrival order. (An event that
 * arrives before the snapshot is older than it: the snapshot's read came after it was sent.)
 */
export async function presenceSnapshot (sql: SqlClient, online: (userIds: readonly string[]) => Promise<Set<string>>, viewerId: string): Promise<PresenceEvent[]> {
  const rows = await sql.query<Row>(SNAPSHOT_SQL, [viewerId, SNAPSHOT_MAX], 'presence_snapshot')
  const visible = rows.filter((r) => r.visible)
  const live = visible.length === 0 ? new Set<string>() : await online(visible.map((r) => r.id))
  return rows.map((r) => r.visible
    ? { userId: r.id, online: live.has(r.id), lastSeenAt: r.last_seen_at?.toISOString() ?? null }
    : { userId: r.id, ...HIDDEN_PRESENCE })
}
