import { MESSAGE_COLUMNS } from './rows.js'
import { contentLive, inTimeline, visibleTo } from './visibility.js'

/*
 * The conversations module's named SQL statements (README.md, "Project layout": data access),
 * run through SqlClient.query (`deps.sql`) with the name given at the call.
 */

/**
 * Whether member row `m` of conversation `c` is archived now. The send path writes nothing
 * per member: archiving stores the conversation's last seq (archived_seq), and a later
 * non-system message un-archives it unless it came while the member had it muted
 * (notify "none", or before muted_until). Changing the settings writes the result down.
 */
export const ARCHIVED_SQL = `(m.archived AND NOT EXISTS (SELECT 1 FROM messages ax WHERE ax.conversation_id = m.conversation_id
  AND ax.seq > m.archived_seq AND ax.type <> 'system' AND m.notify <> 'none' AND (m.muted_until IS NULL OR ax.created_at > m.muted_until)))`

/** The settings columns of member row `m` (timestamps as Dates). */
export const SETTINGS_COLUMNS = `m.notify AS s_notify, m.muted_until AS s_muted_until, ${ARCHIVED_SQL} AS s_archived, m.pinned_at AS s_pinned_at`

const LIST_COLUMNS = `c.id, c.type::text AS type, c.name, c.topic, c.avatar_url, c.member_count, c.owner_id, c.last_seq, c.created_at,
  c.retention_days, c.history_start_seq,
  coalesce(c.last_message_at, c.created_at) AS activity_at, row_to_json(lm) AS last_message`
/** The shared view's last message: the conversation's last one. */
const LAST_MESSAGE_JOIN = `LEFT JOIN LATERAL (SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
  WHERE x.conversation_id = c.id AND x.seq = c.last_seq) lm ON true`
/** A member's view: their last visible message (deleted or cleared ones skipped). */
const VIEWER_LAST_MESSAGE_JOIN = `LEFT JOIN LATERAL (SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
  WHERE x.conversation_id = c.id AND ${visibleTo('x', 'm')} AND ${inTimeline('x')}
  ORDER BY x.seq DESC LIMIT 1) lm ON true`
/** Others' messages after the member's read cursor that are still shown to them (the GREATEST lets the index skip cleared ones). */
const UNREAD = `x.conversation_id = c.id AND x.seq > GREATEST(m.read_seq, m.cleared_seq)
  AND x.sender_id <> m.user_id AND ${contentLive('x')} AND x.type <> 'system'
  AND ${visibleTo('x', 'm')} AND ${inTimeline('x')}`

/**
 * Viewer $1's rows with their cursors, unread counts and settings, pinned first, then newest
 * activity first; `filter` narrows them (its parameters from $2), the page size is the last.
 * Unread: others' messages after my read cursor that are still shown (recalled, deleted or
 * cleared ones are not counted).
 */
function viewerRowsSql (filter: string, limitParam: number): string {
  return `
      SELECT ${LIST_COLUMNS}, m.read_seq, m.delivered_seq,
        (SELECT count(*)::int FROM messages x WHERE ${UNREAD}) AS unread,
        (SELECT count(*)::int FROM messages x WHERE ${UNREAD}
          AND x.mentions IS NOT NULL AND (x.mentions @> jsonb_build_array(m.user_id::text) OR x.mentions @> '["all"]'::jsonb)) AS unread_mentions,
        ${SETTINGS_COLUMNS}, coalesce(m.pinned_at, 'epoch'::timestamptz) AS pin_key
      FROM conversation_members m
      JOIN conversations c ON c.id = m.conversation_id
      ${VIEWER_LAST_MESSAGE_JOIN}
      WHERE m.user_id = $1::uuid ${filter}
      ORDER BY pin_key DESC, activity_at DESC, c.id DESC
      LIMIT $${limitParam}`
}

/** Conversation $2 as viewer $1 sees it ($3: 1). */
export const VIEWER_ROW_SQL = viewerRowsSql('AND c.id = $2::uuid', 3)

const NOT_ARCHIVED = `AND NOT ${ARCHIVED_SQL}`
const AFTER = `AND (coalesce(m.pinned_at, 'epoch'::timestamptz), coalesce(c.last_message_at, c.created_at), c.id)
          < ($2::timestamptz, $3::timestamptz, $4::uuid)`

/** A page of viewer $1's list, archived ones left out; `_AFTER`: after the keyset position ($2 pin, $3 activity, $4 id). */
export const LIST_SQL = viewerRowsSql(NOT_ARCHIVED, 2)
export const LIST_AFTER_SQL = viewerRowsSql(`${NOT_ARCHIVED} ${AFTER}`, 5)
/** The same with archived ones. */
export const LIST_ALL_SQL = viewerRowsSql('', 2)
export const LIST_ALL_AFTER_SQL = viewerRowsSql(AFTER, 5)

/** Conversation $1's view every member shares (no per-member cursors). */
export const SHARED_ROW_SQL = `
      SELECT ${LIST_COLUMNS}, NULL::int AS read_seq, NULL::int AS delivered_seq, NULL::int AS unread, NULL::int AS unread_mentions, NULL::timestamptz AS pin_key
      FROM conversations c ${LAST_MESSAGE_JOIN}
      WHERE c.id = $1::uuid`

/** The members of conversations $1, longest-standing first. */
export const MEMBERS_OF_SQL = `
      SELECT m.conversation_id, u.id, u.username, u.display_name, u.avatar_url, m.role::text AS role, m.joined_at
      FROM conversation_members m JOIN users u ON u.id = m.user_id
      WHERE m.conversation_id = ANY($1::uuid[])
      ORDER BY m.joined_at, u.id`

/** Settings patch of member $7 in conversation $6 (see settings.ts, `update`); NULL leaves a setting as it is. */
export const SETTINGS_UPDATE_SQL = `
        UPDATE conversation_members m SET
          notify = coalesce($1::text, m.notify),
          muted_until = CASE WHEN $2 THEN $3::timestamptz ELSE m.muted_until END,
          archived = coalesce($4::boolean, ${ARCHIVED_SQL}),
          archived_seq = c.last_seq,
          pinned_at = CASE WHEN $5::boolean IS NULL THEN m.pinned_at
            WHEN $5::boolean THEN coalesce(m.pinned_at, now()) ELSE NULL END
        FROM conversations c
        WHERE c.id = m.conversation_id AND m.conversation_id = $6::uuid AND m.user_id = $7::uuid
        RETURNING m.notify AS s_notify, m.muted_until AS s_muted_until, m.archived AS s_archived, m.pinned_at AS s_pinned_at`
