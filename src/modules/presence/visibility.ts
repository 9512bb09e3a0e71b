import type { SqlClient } from '../../db/drivers.js'

/** Who sees a user's presence (online, last seen), the user's own setting (`PATCH /users/me`). */
export type PresenceVisibility = 'everyone' | 'contacts' | 'nobody'
export const PRESENCE_VISIBILITIES: readonly PresenceVisibility[] = ['everyone', 'contacts', 'nobody']

/** What a viewer gets for a user whose presence they may not see. */
export const HIDDEN_PRESENCE = Object.freeze({ online: false, lastSeenAt: null, hidden: true as const })

/**
 * The presence rule, for live events and REST alike. A viewer sees user `u`'s presence when it
 * is their own, or `u`'s setting is
 *   - `contacts` (the default) and they are friends;
 *   - `everyone` and neither blocks the other;
 * never under `nobody`. Sharing a conversation does not count: a group or channel may hold
 * thousands of strangers. Live `presence` events go to friends (never to anyone else: there
 * is nobody else to send them to), and to nobody under `nobody`.
 */
export const seesPresence = (u: string, viewer: string): string => `(${u}.id = ${viewer}
  OR (${u}.presence_visibility = 'contacts' AND EXISTS (SELECT 1 FROM friendships f WHERE f.user_id = ${u}.id AND f.friend_id = ${viewer}))
  OR (${u}.presence_visibility = 'everyone' AND NOT EXISTS (SELECT 1 FROM blocks b
    WHERE (b.blocker_id = ${u}.id AND b.blocked_id = ${viewer}) OR (b.blocker_id = ${viewer} AND b.blocked_id = ${u}.id))))`

/** The users of `u` whose live presence events go out: friends, unless the setting is `nobody` (a uuid[] expression). */
export const liveAudienceOf = (u: string): string =>
  `CASE WHEN ${u}.presence_visibility = 'nobody' THEN '{}'::uuid[] ELSE ARRAY(SELECT f.friend_id FROM friendships f WHERE f.user_id = ${u}.id) END`

const VISIBLE_SQL = `SELECT u.id FROM users u WHERE u.id = ANY($2::uuid[]) AND ${seesPresence('u', '$1::uuid')}`

/** Of `userIds`, those whose presence `viewerId` may see. */
export async function presenceVisibleTo (sql: SqlClient, viewerId: string, userIds: readonly string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set()
  const rows = await sql.query<{ id: string }>(VISIBLE_SQL, [viewerId, [...new Set(userIds)]], 'presence_visible')
  return new Set(rows.map((r) => r.id))
}
