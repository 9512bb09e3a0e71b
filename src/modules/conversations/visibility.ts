import { kindOf, MESSAGE_TYPES } from '../message-kinds/index.js'

/**
 * The visibility rule: the one place that says who may see a message and what of it. Every
 * path that serves or announces a message (history, sync, search, pins, the list's last
 * message, reply quotes, live events, push, downloads of its attachments) builds its SQL from
 * these pieces, so a new path cannot forget a part of it. docs/reliability.md ("The
 * visibility rule") says it in words.
 *
 * A user sees message `x` when
 *   1. they are a member of its conversation now (a public channel's history is also served to
 *      non-members, as it is: nothing is hidden or cleared for them);
 *   2. `x` comes after the point they cleared the conversation to (`cleared_seq`);
 *   3. they did not delete `x` for themselves (`hidden_messages`).
 * Of a message they see, its content is served only while it is neither recalled by its
 * sender nor removed by an admin (both set `recalled_at`; the content is erased). An admin's
 * removal also erases the forwarded copies that name the message as their origin. An
 * attachment is served through a message only while that message and the origin it was
 * forwarded from are neither recalled nor removed.
 *
 * Table aliases are parameters: `x` a row of `messages`, `m` a row of `conversation_members`.
 */

export { PREVIEW_MAX_CHARS } from '../message-kinds/index.js'

/** Rules 2 and 3 for the member row `m` (rule 1 is the join to `m` itself). */
export function visibleTo (x: string, m: string): string {
  return `${x}.seq > ${m}.cleared_seq AND NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.user_id = ${m}.user_id AND h.message_id = ${x}.id)`
}

/** The ids of the members of `x`'s conversation who see `x` (a uuid[] expression). */
export function audienceOf (x: string): string {
  return `ARRAY(SELECT am.user_id FROM conversation_members am WHERE am.conversation_id = ${x}.conversation_id AND ${visibleTo(x, 'am')})`
}

/**
 * The ids of the members who do not see `x` (a uuid[] expression): a channel's events go to
 * its room in one emit, less these users. Few members ever clear or hide, and both lookups
 * are index probes (conversation_members_cleared_seq_idx, hidden_messages_message_id_idx).
 */
export function blindTo (x: string): string {
  return `ARRAY(SELECT am.user_id FROM conversation_members am WHERE am.conversation_id = ${x}.conversation_id AND am.cleared_seq > 0 AND am.cleared_seq >= ${x}.seq
    UNION SELECT h.user_id FROM hidden_messages h WHERE h.message_id = ${x}.id)`
}

/**
 * `x` belongs in the chat's main timeline (history, the list's last message, unread counts):
 * not a thread-only reply (docs/protocol.md, "Threads"; sync still carries those).
 */
export function inTimeline (x: string): string {
  return `(${x}.thread_root_id IS NULL OR ${x}.thread_in_chat)`
}

/** `x`'s content may be served (not recalled, not removed). */
export function contentLive (x: string): string {
  return `${x}.recalled_at IS NULL`
}

/** `x` is no forward, or the origin it names still exists and is neither recalled nor removed. */
export function originLive (x: string): string {
  return `(${x}.forwarded_from IS NULL OR EXISTS (SELECT 1 FROM messages o WHERE o.id = (${x}.forwarded_from->>'messageId')::uuid AND o.recalled_at IS NULL))`
}

/**
 * A reply's quote, read from the quoted message as it is now (never from the snapshot taken at
 * send time): what its kind's preview needs of its current content (so an edit shows, and
 * replaced text is never served), or nothing once recalled or removed. Two columns for
 * `MESSAGE_COLUMNS`: `reply_quote` (jsonb: each kind's bounded `quoteSql`, src/modules/message-kinds;
 * null when recalled or the kind needs nothing) and `reply_recalled`; the quote's text is the
 * kind's `preview` of `reply_quote` (rows.ts). The quoted message is in the same conversation
 * (checked at send), so whoever sees the reply is a member who was allowed to see the quote; a
 * quote the viewer deleted for themselves still shows, as their own choice.
 */
export function replyColumns (x: string): string {
  const col = (expr: string): string => `CASE WHEN ${x}.reply_to IS NOT NULL THEN (SELECT ${expr} FROM messages rm WHERE rm.id = (${x}.reply_to->>'id')::uuid) END`
  return `${col(`CASE WHEN rm.recalled_at IS NOT NULL THEN NULL ${QUOTE_CASES} END`)} AS reply_quote,
  ${col('rm.recalled_at IS NOT NULL')} AS reply_recalled`
}

const QUOTE_CASES = MESSAGE_TYPES.flatMap((type) => {
  const quoteSql = kindOf(type).quoteSql
  return quoteSql === undefined ? [] : [`WHEN rm.type = '${type}' THEN ${quoteSql('rm.content')}`]
}).join(' ')
