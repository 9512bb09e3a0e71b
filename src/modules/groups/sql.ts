/*
 * The groups module's named SQL statements (README.md, "Project layout": data access), run
 * through SqlClient.query: `deps.sql` with the name given at the call, or txSql(tx) inside a
 * Prisma transaction.
 */

/** Group (or channel) $1 under its row lock: the lock sends and every membership change take. */
export const LOCK_GROUP_SQL = `
    SELECT id, type::text AS type, name, last_seq, created_at, coalesce(last_message_at, created_at) AS activity_at
    FROM conversations WHERE id = $1::uuid FOR UPDATE`

// Bans (membership-rules.ts, bans.ts)

export const BAN_OF_SQL = `
    SELECT user_id FROM group_removals WHERE conversation_id = $1::uuid AND user_id = $2::uuid`

/** Whether user $2 is a member of conversation $1, and whether they are banned from it (one round trip). */
export const MEMBER_OR_BAN_SQL = `
    SELECT EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = $1::uuid AND user_id = $2::uuid) AS member,
      EXISTS (SELECT 1 FROM group_removals WHERE conversation_id = $1::uuid AND user_id = $2::uuid) AS banned`

/** User $2 banned from conversation $1 by $3 (a repeat moves the ban's actor and time). */
export const RECORD_BAN_SQL = `
    INSERT INTO group_removals (conversation_id, user_id, removed_by, removed_at) VALUES ($1::uuid, $2::uuid, $3::uuid, now())
    ON CONFLICT (conversation_id, user_id) DO UPDATE SET removed_by = EXCLUDED.removed_by, removed_at = EXCLUDED.removed_at`

/** The bans of conversation $1, the latest first, at most $2. */
export const BAN_LIST_SQL = `
        SELECT r.user_id, u.username, u.display_name, u.avatar_url, r.removed_by, r.removed_at
        FROM group_removals r JOIN users u ON u.id = r.user_id
        WHERE r.conversation_id = $1::uuid
        ORDER BY r.removed_at DESC, r.user_id
        LIMIT $2`

// Invites (membership-rules.ts, invites.ts)

/** An invite that still lets people in: not revoked, not expired, not used up. */
const LIVE = 'revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) AND (max_uses IS NULL OR uses < max_uses)'

/** The live invites user $2 made to conversation $1 are revoked. */
export const REVOKE_INVITES_OF_SQL = `
    UPDATE group_invites SET revoked_at = now() WHERE conversation_id = $1::uuid AND created_by = $2::uuid AND revoked_at IS NULL`

export const INVITE_LIVE_SQL = `SELECT id, conversation_id FROM group_invites WHERE code_hash = $1 AND ${LIVE}`

export const INVITE_PREVIEW_SQL = `
        SELECT c.id, c.name, c.topic, (SELECT count(*)::int FROM conversation_members m WHERE m.conversation_id = c.id) AS member_count
        FROM conversations c WHERE c.id = $1::uuid`

/** Live invites of conversation $1, newest first, at most `max`. */
export const inviteListSql = (max: number): string => `SELECT id, created_by, created_at, expires_at, max_uses, uses FROM group_invites WHERE conversation_id = $1::uuid AND ${LIVE}
         ORDER BY created_at DESC, id DESC LIMIT ${max}`

/** One use of invite $1, if it is still live. */
export const INVITE_USE_SQL = `UPDATE group_invites SET uses = uses + 1 WHERE id = $1::uuid AND ${LIVE}`
