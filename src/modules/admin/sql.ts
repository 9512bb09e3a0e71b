import { audienceOf, blindTo } from '../conversations/index.js'

/*
 * The admin module's named SQL statements (README.md, "Project layout": data access), run
 * through SqlClient.query: txSql(tx) inside a Prisma transaction.
 */

/** The origin a forwarded copy names (messages_forward_origin_idx). */
const FORWARDED_FROM = "(forwarded_from->>'messageId')::uuid"

/** The row locks of the conversations holding message $1 and its forwarded copies, in id order. */
export const REMOVAL_LOCK_SQL = `
    SELECT c.id FROM conversations c WHERE c.id IN (
      SELECT conversation_id FROM messages WHERE id = $1::uuid
      UNION SELECT conversation_id FROM messages WHERE ${FORWARDED_FROM} = $1::uuid AND forwarded_from IS NOT NULL
    ) ORDER BY c.id FOR UPDATE`

/** Message $1, then its forwarded copies. */
export const REMOVAL_TARGETS_SQL = `
    SELECT id FROM messages WHERE id = $1::uuid
    UNION ALL (SELECT id FROM messages WHERE ${FORWARDED_FROM} = $1::uuid AND forwarded_from IS NOT NULL AND id <> $1::uuid ORDER BY id)`

/** Message $1's content erased (a change: its rev moves), and who is told (the visibility rule). */
export const ERASE_SQL = `
    WITH t AS (SELECT id, conversation_id, seq, sender_id, recalled_at IS NULL AS live FROM messages WHERE id = $1::uuid),
    c AS (UPDATE conversations SET last_rev = last_rev + 1 FROM t WHERE conversations.id = t.conversation_id AND t.live RETURNING last_rev),
    upd AS (UPDATE messages x SET content = NULL, recalled_at = now(), pinned_at = NULL, pinned_by = NULL, rev = c.last_rev FROM t, c WHERE x.id = t.id RETURNING x.id)
    SELECT t.id, t.conversation_id, t.seq, t.sender_id, EXISTS (SELECT 1 FROM upd) AS changed, cv.type = 'channel' AS channel,
      CASE WHEN cv.type <> 'channel' THEN ${audienceOf('t')}::text[] END AS member_ids,
      CASE WHEN cv.type = 'channel' THEN ${blindTo('t')}::text[] END AS blind_ids
    FROM t JOIN conversations cv ON cv.id = t.conversation_id`

/** Whether an active admin other than $1 remains (the trigger's own rule; see last-admin.ts). */
export const ADMIN_REMAINS_WITHOUT_SQL = 'SELECT platform_admin_remains_without($1::uuid) AS ok'
