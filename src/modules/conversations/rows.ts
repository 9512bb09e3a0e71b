import type { Static } from 'typebox'
import type { MessageContent } from '@relay-im/client/protocol'
import type { LinkPreview, PollContent } from '@relay-im/client/protocol'
import { pollResultsSql, previewOf, toPollResults } from '../message-kinds/index.js'
import { replyColumns } from './visibility.js'
import type { Conversation, Member, Message, MessageType, PublicUser, Reaction, ReplyTo, ForwardedFrom } from './schemas.js'

export type PublicUserView = Static<typeof PublicUser>
/** A served message; `content` has the type the protocol module gives it (it was checked against the message's type when stored). */
export type MessageView = Omit<Static<typeof Message>, 'content'> & { content: MessageContent }
export type MemberView = Static<typeof Member>
export type ConversationView = Omit<Static<typeof Conversation>, 'lastMessage'> & { lastMessage: MessageView | null }
export type ReactionView = Static<typeof Reaction>
export type ReplyToView = Static<typeof ReplyTo>
export type ForwardedFromView = Static<typeof ForwardedFrom>

/**
 * The reply reference as stored. The quote's text and whether it was recalled are read from
 * the quoted message when served (visibility.ts, `replyColumns`); rows stored before that
 * also hold a `preview`, which is never served.
 */
export type StoredReplyTo = Omit<ReplyToView, 'recalled' | 'preview'>

/**
 * What the columns of `MESSAGE_COLUMNS` come back as. Timestamps are Dates from a plain
 * select, ISO strings when the row went through `row_to_json` (the conversation list).
 */
export interface MessageRow {
  id: string
  conversation_id: string
  seq: number
  sender_id: string
  client_msg_id: string
  type: MessageType
  content: unknown
  created_at: Date | string
  recalled_at: Date | string | null
  rev: number
  edited_at: Date | string | null
  reply_to: StoredReplyTo | null
  /** What the quoted message's preview needs (its kind's `quoteSql`); null when recalled or nothing. */
  reply_quote: unknown
  reply_recalled: boolean | null
  mentions: string[] | null
  forwarded_from: ForwardedFromView | null
  pinned_at: Date | string | null
  pinned_by: string | null
  reactions: ReactionView[] | null
  /** Polls: what `pollResultsSql` read (absent for a message just sent: no votes yet). */
  poll?: unknown
  /** Link previews: the attached preview (absent where a row does not read it, e.g. a message just sent). */
  link_preview?: LinkPreview | null
  /** Threads: absent on rows built without a read (a message just sent says it itself). */
  thread_root_id?: string | null
  thread_in_chat?: boolean
  thread?: StoredThreadSummary | null
  username: string
  display_name: string
  avatar_url: string | null
}

/** Reactions of message `x`: per emoji, in the order emojis first appeared; the first 100 reactors. */
const REACTIONS = `(SELECT jsonb_agg(jsonb_build_object('emoji', r.emoji, 'count', r.cnt, 'userIds', r.user_ids) ORDER BY r.first_at, r.emoji)
    FROM (SELECT emoji, count(*)::int AS cnt, (array_agg(user_id ORDER BY created_at, user_id))[1:100] AS user_ids, min(created_at) AS first_at
      FROM message_reactions WHERE message_id = x.id GROUP BY emoji) r)`

/**
 * A thread root's summary (docs/protocol.md, "Threads"): a primary-key probe, null for a
 * message without replies. With the summary's own rev: a reply moves it instead of the root's
 * row, and the root's rev as served is the greater of the two (`toMessage`).
 */
const THREAD_SUMMARY = `(SELECT jsonb_build_object('replyCount', ts.reply_count, 'lastReplySeq', ts.last_reply_seq, 'lastReplyAt', ts.last_reply_at,
    'lastRepliers', to_jsonb(ts.last_repliers), 'rev', ts.rev) FROM thread_summaries ts WHERE ts.root_id = x.id)`

/**
 * Message columns plus its sender, as plain SQL text; needs `messages x JOIN users u ON
 * u.id = x.sender_id`. Reactions and a reply's quote are read when served (index probes on
 * the message's id), so they are never stale. The quote's columns are scalar subqueries, not
 * EXISTS(... AND recalled_at IS NOT NULL): the planner turned that EXISTS into a hashed
 * subplan over every recalled message, a parallel sequential scan of the whole table (265 ms
 * at 1M messages) for any page holding a reply.
 */
export const MESSAGE_COLUMNS = `x.id, x.conversation_id, x.seq, x.sender_id, x.client_msg_id, x.type::text AS type,
  x.content, x.created_at, x.recalled_at, x.rev, x.edited_at, x.reply_to,
  ${replyColumns('x')},
  x.mentions, x.forwarded_from, x.pinned_at, x.pinned_by, ${REACTIONS} AS reactions,
  ${pollResultsSql('x')} AS poll, x.link_preview, x.thread_root_id, x.thread_in_chat, ${THREAD_SUMMARY} AS thread, u.username, u.display_name, u.avatar_url`

/** One message by id, in its current state. */
export const MESSAGE_BY_ID_SQL = `SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id WHERE x.id = $1::uuid`

const iso = (d: Date | string): string => (d instanceof Date ? d : new Date(d)).toISOString()
const isoOrNull = (d: Date | string | null): string | null => d === null ? null : iso(d)

/**
 * A reply's quote as served: the quoted message's current preview (its kind's, of `quote`: what
 * `quoteSql` selected, or the whole content), or none (`preview: ''`, `recalled: true`) once it
 * was recalled or removed (or is gone).
 */
export function toReplyTo (stored: StoredReplyTo | null, quote: unknown, recalled: boolean | null): ReplyToView | null {
  if (stored === null) return null
  const { id, seq, senderId, type } = stored
  return recalled === false ? { id, seq, senderId, type, preview: previewOf(type, quote), recalled: false } : { id, seq, senderId, type, preview: '', recalled: true }
}

/** The summary as `THREAD_SUMMARY` reads it (the time as PostgreSQL's JSON prints it). */
export interface StoredThreadSummary { replyCount: number, lastReplySeq: number, lastReplyAt: string, lastRepliers: string[], rev?: number }

/** The thread fields of a message view: present only on replies and on roots with replies. */
function threadFields (r: MessageRow): Pick<MessageView, 'threadRootId' | 'alsoInChat' | 'thread'> {
  const out: Pick<MessageView, 'threadRootId' | 'alsoInChat' | 'thread'> = {}
  if (r.thread_root_id !== undefined && r.thread_root_id !== null) {
    out.threadRootId = r.thread_root_id
    out.alsoInChat = r.thread_in_chat === true
  }
  if (r.thread !== undefined && r.thread !== null) {
    const { rev: _rev, ...summary } = r.thread
    out.thread = { ...summary, lastReplyAt: iso(r.thread.lastReplyAt) }
  }
  return out
}

export function toMessage (r: MessageRow): MessageView {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    seq: r.seq,
    senderId: r.sender_id,
    sender: { id: r.sender_id, username: r.username, displayName: r.display_name, avatarUrl: r.avatar_url },
    clientMsgId: r.client_msg_id,
    type: r.type,
    content: r.recalled_at === null ? r.content as MessageContent : null,
    createdAt: iso(r.created_at),
    recalled: r.recalled_at !== null,
    recalledAt: isoOrNull(r.recalled_at),
    // A root's summary has its own rev (a reply moves it, not the root's row): the later change wins.
    rev: Math.max(r.rev, r.thread?.rev ?? 0),
    editedAt: isoOrNull(r.edited_at),
    replyTo: toReplyTo(r.reply_to, r.reply_quote, r.reply_recalled),
    mentions: r.mentions ?? [],
    reactions: r.reactions ?? [],
    forwardedFrom: r.forwarded_from,
    pinnedAt: isoOrNull(r.pinned_at),
    pinnedBy: r.pinned_by,
    ...(r.type === 'poll' && r.recalled_at === null ? { poll: toPollResults(r.content as PollContent, r.poll) } : {}),
    ...(r.link_preview !== undefined && r.link_preview !== null && r.recalled_at === null ? { linkPreview: r.link_preview } : {}),
    ...threadFields(r)
  }
}

/** `message:new`: every message field but `recalled` (`recalledAt` is kept). */
export function toNewMessageEvent (m: MessageView): Omit<MessageView, 'recalled'> {
  const { recalled: _r, ...event } = m
  return event
}

export function toAck (m: MessageView): { id: string, conversationId: string, seq: number, clientMsgId: string, createdAt: string } {
  return { id: m.id, conversationId: m.conversationId, seq: m.seq, clientMsgId: m.clientMsgId, createdAt: m.createdAt }
}
