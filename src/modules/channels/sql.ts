/*
 * The channels module's named SQL statements (README.md, "Project layout": data access), run
 * through SqlClient.query: `deps.sql` with the name given at the call, or txSql(tx) inside a
 * Prisma transaction.
 */

/** The channels a user is a member of (the rooms a socket joins at connect). */
export const CHANNEL_IDS_OF_SQL = `SELECT m.conversation_id AS id FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
WHERE m.user_id = $1::uuid AND c.type = 'channel'`

/** Conversation $1 under its row lock (the lock sends and member changes take), with what a join checks. */
export const CHANNEL_LOCK_SQL = `
          SELECT type::text AS type, last_seq, member_count FROM conversations WHERE id = $1::uuid FOR UPDATE`

/** User $2 joins channel $1 as a member, caught up to seq $3 (the member count follows by trigger). */
export const CHANNEL_MEMBER_INSERT_SQL = `
          INSERT INTO conversation_members (conversation_id, user_id, role, read_seq, delivered_seq) VALUES ($1::uuid, $2::uuid, 'member', $3::int, $3::int)`

/**
 * A page of channels by most members first (then id), for user $1 (`joined`); with `match`, a
 * name ILIKE the next parameter; with `after`, below the keyset position in the next two;
 * the page size + 1 last. Four texts, each its own prepared statement (`channelListName`).
 */
export function channelListSql (match: boolean, after: boolean): string {
  let n = 1
  const matchSql = match ? `AND c.name ILIKE $${++n}` : ''
  const afterSql = after ? `AND (c.member_count, c.id) < ($${++n}::int, $${++n}::uuid)` : ''
  return `
        SELECT c.id, c.name, c.topic, c.owner_id, c.member_count, c.created_at, coalesce(c.last_message_at, c.created_at) AS activity_at,
          EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = c.id AND m.user_id = $1::uuid) AS joined
        FROM conversations c
        WHERE c.type = 'channel' ${matchSql} ${afterSql}
        ORDER BY c.member_count DESC, c.id DESC
        LIMIT $${++n}`
}

export const channelListName = (match: boolean, after: boolean): string => `channel_list${match ? '_match' : ''}${after ? '_after' : ''}`
