import type { Static } from 'typebox'
import { Errors, notFound, validation } from '../../lib/errors.js'
import { membersOf } from '../../delivery/index.js'
import { type ConversationsDeps, toMessage, type MessageRow, type MessageView } from '../conversations/index.js'
import { publicReadRefusal } from './membership-checks.js'
import type { StoredThread } from './send-statement.js'
import type { ThreadListItem, ThreadState } from './schemas.js'
import {
  PUBLIC_THREAD_AFTER_SQL, PUBLIC_THREAD_BEFORE_SQL, PUBLIC_THREAD_LIST_SQL, PUBLIC_THREAD_ROOT_VIEW_SQL, PUBLIC_THREAD_STATE_SQL,
  SYNC_THREADS_SQL, THREAD_AFTER_SQL, THREAD_BEFORE_SQL, THREAD_FOLLOW_SQL, THREAD_LIST_SQL, THREAD_READ_SQL, THREAD_ROOT_SQL, THREAD_ROOT_VIEW_SQL, THREAD_STATE_SQL
} from './sql.js'

export type ThreadStateView = Static<typeof ThreadState>
export type ThreadListItemView = Omit<Static<typeof ThreadListItem>, 'root'> & { root: MessageView }

interface StateRow {
  root_id: string
  conversation_id: string
  type: string
  own_root_id: string | null
  reply_count: number
  last_reply_seq: number
  last_reply_at: Date | string | null
  last_repliers: string[]
  following: boolean
  read_seq: number
  unread: number
  unread_mentions: number
  /** Read by a non-member of a public channel (no state of their own). */
  public?: boolean
}

const iso = (d: Date | string | null): string | null => d === null ? null : (d instanceof Date ? d : new Date(d)).toISOString()

function toState (r: Omit<StateRow, 'type' | 'own_root_id'>): ThreadStateView {
  return {
    conversationId: r.conversation_id,
    rootId: r.root_id,
    replyCount: r.reply_count,
    lastReplySeq: r.last_reply_seq,
    lastReplyAt: iso(r.last_reply_at),
    lastRepliers: r.last_repliers,
    following: r.following,
    readSeq: r.read_seq,
    unread: r.unread,
    unreadMentions: r.unread_mentions
  }
}

/**
 * Threads (docs/protocol.md, "Threads"): which message a reply hangs under, a conversation's
 * threads, a thread's replies, follows and read positions. Replies themselves are stored by
 * the send statement (its root check and thread part, THREAD_ROOT_CHECK and THREAD_CTES in
 * sql.ts), so a reply costs no statement here; `rootFor` only says why a reply was refused.
 */
export function createThreads (deps: Pick<ConversationsDeps, 'prisma' | 'sql' | 'delivery'>) {
  const { prisma, sql, delivery } = deps

  /** Whether the caller is a member; a non-member is refused unless they may read the channel as the public (publicReadRefusal). */
  async function readerOf (userId: string, conversationId: string): Promise<'member' | 'public'> {
    const member = await prisma.conversationMember.findUnique({ where: { conversationId_userId: { conversationId, userId } }, select: { userId: true } })
    if (member !== null) return 'member'
    const refusal = await publicReadRefusal(sql, userId, conversationId)
    if (refusal !== undefined) throw refusal
    return 'public'
  }

  /**
   * The root as the caller sees it (the visibility rule; a non-member of a public channel: as
   * it is), or NOT_FOUND (not visible, not a member, or in another conversation).
   */
  async function stateOf (userId: string, conversationId: string, rootId: string): Promise<StateRow> {
    const row = (await sql.query<StateRow>(THREAD_STATE_SQL, [rootId, userId], 'thread_state'))[0]
    if (row !== undefined && row.conversation_id === conversationId) return row
    if (await readerOf(userId, conversationId) === 'member') throw notFound('Thread root not found')
    const open = (await sql.query<StateRow>(PUBLIC_THREAD_STATE_SQL, [rootId, conversationId], 'public_thread_state'))[0]
    if (open === undefined) throw notFound('Thread root not found')
    return { ...open, public: true }
  }

  /** A member's root for a change of their own state (follow, read): a public reader has none to change. */
  async function ownRootOf (userId: string, conversationId: string, rootId: string): Promise<StateRow> {
    const row = await rootOf(userId, conversationId, rootId)
    if (row.public === true) throw Errors.notChannelMember()
    return row
  }

  /** A message named as a root must be one: a reply names the root of its own thread instead. */
  async function rootOf (userId: string, conversationId: string, rootId: string): Promise<StateRow> {
    const row = await stateOf(userId, conversationId, rootId)
    if (row.type === 'system') throw validation('A system message cannot start a thread')
    return row.own_root_id === null ? row : await stateOf(userId, conversationId, row.own_root_id)
  }

  return {
    /**
     * Why a reply was refused (the send statement's THREAD_ROOT_CHECK found no root; same rule).
     * The root a reply of `senderId` goes under: a message they see in the conversation
     * (NOT_FOUND; in another conversation: VALIDATION, as for replyTo), not a system message
     * (VALIDATION); a reply in a thread names that thread's root (threads are one level deep).
     * A recalled root keeps its thread.
     */
    async rootFor (senderId: string, conversationId: string, rootId: string): Promise<string> {
      const row = (await sql.query<{ id: string, conversation_id: string, type: string, thread_root_id: string | null }>(THREAD_ROOT_SQL, [rootId, senderId], 'thread_root'))[0]
      if (row === undefined) throw notFound('Thread root not found')
      if (row.conversation_id !== conversationId) throw validation('threadRootId: the message is in another conversation')
      if (row.type === 'system') throw validation('A system message cannot start a thread')
      return row.thread_root_id ?? row.id
    },

    /** After a reply committed: the root's new summary and rev to every member (the root's message view carries the same). */
    publishReply (conversationId: string, conversationType: string, memberIds: string[], t: StoredThread): void {
      delivery.deliver({
        event: 'thread:updated',
        payload: {
          conversationId,
          rootId: t.rootId,
          rev: t.rootRev,
          thread: { replyCount: t.replyCount, lastReplySeq: t.lastReplySeq, lastReplyAt: t.lastReplyAt.toISOString(), lastRepliers: t.lastRepliers }
        },
        audience: membersOf({ id: conversationId, type: conversationType }, memberIds)
      })
    },

    /** A conversation's threads the caller sees, latest reply first; `before` a last-reply seq (the previous page's `nextBefore`). */
    async list (userId: string, conversationId: string, opts: { before?: number, limit?: number }): Promise<{ threads: ThreadListItemView[], nextBefore?: number }> {
      const limit = opts.limit ?? 20
      let rows = await sql.query<StateRow & { root: MessageRow }>(THREAD_LIST_SQL, [conversationId, userId, opts.before ?? 2147483647, limit + 1], 'thread_list')
      if (rows.length === 0 && await readerOf(userId, conversationId) === 'public') {
        rows = await sql.query<StateRow & { root: MessageRow }>(PUBLIC_THREAD_LIST_SQL, [conversationId, opts.before ?? 2147483647, limit + 1], 'public_thread_list')
      }
      const page = rows.slice(0, limit)
      const threads = page.map((r) => ({ ...toState(r), root: toMessage(r.root) }))
      const last = page[page.length - 1]
      return rows.length > limit && last !== undefined ? { threads, nextBefore: last.last_reply_seq } : { threads }
    },

    /** A thread's replies: `before` newest first, `after` oldest first, neither the latest newest first; with its root. */
    async messages (userId: string, conversationId: string, rootId: string, opts: { before?: number, after?: number, limit?: number }): Promise<{ root: MessageView, messages: MessageView[], hasMore: boolean }> {
      if (opts.before !== undefined && opts.after !== undefined) throw validation('Give either before or after, not both')
      const state = await rootOf(userId, conversationId, rootId)
      const limit = opts.limit ?? 50
      const open = state.public === true
      const root = open
        ? (await sql.query<MessageRow>(PUBLIC_THREAD_ROOT_VIEW_SQL, [state.root_id], 'public_thread_root_view'))[0]
        : (await sql.query<MessageRow>(THREAD_ROOT_VIEW_SQL, [state.root_id, userId], 'thread_root_view'))[0]
      if (root === undefined) throw notFound('Thread root not found')
      const rows = opts.after !== undefined
        ? (open
            ? await sql.query<MessageRow>(PUBLIC_THREAD_AFTER_SQL, [state.root_id, opts.after, limit + 1], 'public_thread_after')
            : await sql.query<MessageRow>(THREAD_AFTER_SQL, [state.root_id, userId, opts.after, limit + 1], 'thread_after'))
        : (open
            ? await sql.query<MessageRow>(PUBLIC_THREAD_BEFORE_SQL, [state.root_id, opts.before ?? 2147483647, limit + 1], 'public_thread_before')
            : await sql.query<MessageRow>(THREAD_BEFORE_SQL, [state.root_id, userId, opts.before ?? 2147483647, limit + 1], 'thread_before'))
      return { root: toMessage(root), messages: rows.slice(0, limit).map(toMessage), hasMore: rows.length > limit }
    },

    /**
     * sync {revs, threads}: my state of the threads of these conversations (each after its rev)
     * that changed for me: followed ones with new replies, and my own follow or read changes.
     */
    async changedSince (userId: string, revs: Map<string, number>): Promise<ThreadStateView[]> {
      if (revs.size === 0) return []
      const rows = await sql.query<StateRow>(SYNC_THREADS_SQL, [[...revs.keys()], [...revs.values()], userId], 'sync_threads')
      return rows.map(toState)
    },

    /** The caller's state of one thread. */
    async state (userId: string, conversationId: string, rootId: string): Promise<ThreadStateView> {
      return toState(await rootOf(userId, conversationId, rootId))
    },

    /** Follow or unfollow; `thread:followed` to the caller's devices when it changed. */
    async follow (userId: string, conversationId: string, rootId: string, following: boolean): Promise<ThreadStateView> {
      const before = await ownRootOf(userId, conversationId, rootId)
      await sql.query(THREAD_FOLLOW_SQL, [before.root_id, userId, following, conversationId], 'thread_follow')
      if (before.following !== following) {
        delivery.deliver({ event: 'thread:followed', payload: { conversationId, rootId: before.root_id, following }, audience: { users: [userId] } })
      }
      return { ...toState(before), following }
    },

    /**
     * Read position forward (only forward; beyond the thread's last reply: VALIDATION);
     * `thread:read` to every member as `message:read` goes (a channel: the reader's devices).
     */
    async markRead (userId: string, conversationId: string, rootId: string, seq: number): Promise<ThreadStateView> {
      const before = await ownRootOf(userId, conversationId, rootId)
      if (seq > before.last_reply_seq) throw validation(`seq beyond the thread's last reply (${before.last_reply_seq})`)
      const row = (await sql.query<{ new_seq: number | null, type: string, member_ids: string[] }>(THREAD_READ_SQL, [before.root_id, userId, seq, conversationId], 'thread_read'))[0]
      if (row?.new_seq !== null && row?.new_seq !== undefined) {
        delivery.deliver({ event: 'thread:read', payload: { conversationId, rootId: before.root_id, userId, seq: row.new_seq }, audience: { users: row.type === 'channel' ? [userId] : row.member_ids } })
      }
      return toState(await stateOf(userId, conversationId, before.root_id))
    }
  }
}

export type Threads = ReturnType<typeof createThreads>
