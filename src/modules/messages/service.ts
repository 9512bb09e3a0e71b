import type { MessageContent } from '@relay-im/client/protocol'
import { Prisma } from '../../generated/prisma/client.js'
import { AppError, conflict, Errors, forbidden, validation } from '../../lib/errors.js'
import type { ChangeStream } from './change-stream.js'
import { checkContent } from './content.js'
import { type ConversationsDeps, MESSAGE_COLUMNS, toMessage, toNewMessageEvent, toReplyTo, type ForwardedFromView, type MessageRow, type MessageView, type StoredReplyTo, type MessageType, toMembers, visibleTo } from '../conversations/index.js'
import { createMessageSender, type Outgoing } from './message-sender.js'
import { createSendReferences } from './send-references.js'

export interface SendInput {
  clientMsgId: string
  /** Required unless `forwardOf` is given. */
  type?: MessageType
  content?: unknown
  replyTo?: string
  mentions?: string[]
  forwardOf?: string
}
export interface SendResult { message: MessageView, created: boolean }

interface CursorRow {
  type: 'direct' | 'group' | 'channel'
  last_seq: number
  old_seq: number
  new_seq: number | null
  member_ids: string[] | null
}

/** Only the caller's visible messages (`m` is their membership row): the visibility rule. */
const VISIBLE = visibleTo('x', 'm')

const HISTORY_BEFORE_SQL = `
SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $2::uuid
WHERE x.conversation_id = $1::uuid AND x.seq < $3::int AND ${VISIBLE}
ORDER BY x.seq DESC LIMIT $4::int`

const HISTORY_AFTER_SQL = `
SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $2::uuid
WHERE x.conversation_id = $1::uuid AND x.seq > $3::int AND ${VISIBLE}
ORDER BY x.seq ASC LIMIT $4::int`

/** A channel's history for a non-member (public; nothing is hidden or cleared for them). */
const PUBLIC_HISTORY_BEFORE_SQL = `
SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
WHERE x.conversation_id = $1::uuid AND x.seq < $2::int
ORDER BY x.seq DESC LIMIT $3::int`

const PUBLIC_HISTORY_AFTER_SQL = `
SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
WHERE x.conversation_id = $1::uuid AND x.seq > $2::int
ORDER BY x.seq ASC LIMIT $3::int`

/** Messages after each cursor, in the conversations the caller is a member of; conversation id then seq. */
const SYNC_SQL = `
SELECT ${MESSAGE_COLUMNS}
FROM unnest($1::uuid[], $2::int[]) AS cur(conversation_id, after_seq)
JOIN conversation_members m ON m.conversation_id = cur.conversation_id AND m.user_id = $3::uuid
CROSS JOIN LATERAL (
  SELECT * FROM messages y WHERE y.conversation_id = cur.conversation_id AND y.seq > cur.after_seq AND ${visibleTo('y', 'm')}
  ORDER BY y.seq LIMIT $4::int
) x
JOIN users u ON u.id = x.sender_id
ORDER BY x.conversation_id, x.seq
LIMIT $4::int`

/**
 * Messages changed after each device's last rev, at or below its seq cursor (newer ones come
 * in `messages` anyway), oldest change first per conversation (index conversation_id, rev).
 */
const SYNC_UPDATED_SQL = `
SELECT ${MESSAGE_COLUMNS}
FROM unnest($1::uuid[], $2::int[], $3::int[]) AS cur(conversation_id, upto_seq, after_rev)
JOIN conversation_members m ON m.conversation_id = cur.conversation_id AND m.user_id = $4::uuid
CROSS JOIN LATERAL (
  SELECT * FROM messages y WHERE y.conversation_id = cur.conversation_id AND y.rev > cur.after_rev
    AND y.seq <= cur.upto_seq AND ${visibleTo('y', 'm')}
  ORDER BY y.rev LIMIT $5::int
) x
JOIN users u ON u.id = x.sender_id
ORDER BY x.conversation_id, x.rev
LIMIT $5::int`

/** The last rev of each listed conversation the caller is a member of. */
const SYNC_REVS_SQL = `
SELECT c.id, c.last_rev FROM conversations c
JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = $2::uuid
WHERE c.id = ANY($1::uuid[])`

export interface SyncResult {
  messages: MessageView[]
  /** Messages changed since the given revs (empty without `revs`). */
  updated: MessageView[]
  /** Per conversation, the rev the caller is now complete up to (send it back as `revs`). */
  revs: Record<string, number>
  hasMore: boolean
}

/** Sending, history, catch-up sync, read/delivered cursors and recall. */
export function createMessageService (deps: ConversationsDeps, changes: ChangeStream) {
  const { prisma, sql, limits, publish, friends } = deps
  const sender = createMessageSender(deps.sendSql, { concurrency: deps.sendConcurrency, maxQueued: deps.sendQueueMax })
  const references = createSendReferences(deps)

  async function findByClientMsgId (senderId: string, clientMsgId: string): Promise<MessageView | undefined> {
    const rows = await sql.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
      WHERE x.sender_id = $1::uuid AND x.client_msg_id = $2`, [senderId, clientMsgId], 'message_by_client_id')
    return rows[0] === undefined ? undefined : toMessage(rows[0])
  }

  /** Why the send statement matched no conversation row: not a member, or a direct peer it may not reach. */
  async function refusal (senderId: string, conversationId: string): Promise<AppError> {
    const member = await prisma.conversationMember.findUnique({
      where: { conversationId_userId: { conversationId, userId: senderId } },
      select: { conversation: { select: { type: true, directKey: true } } }
    })
    if (member === null) return await notMemberOf(conversationId)
    const { type, directKey } = member.conversation
    if (type === 'direct' && directKey !== null) {
      const peer = directKey.split(':').find((id) => id !== senderId) ?? senderId
      const relation = await friends.relation(senderId, peer)
      if (relation.blocked || relation.blockedBy) return Errors.blocked()
      if (!relation.isFriend) return Errors.notFriends()
    }
    return conflict('Message not sent, try again')
  }

  /** A non-member's refusal: FORBIDDEN in a channel (it is public: readable, but only members write), else NOT_FOUND. */
  async function notMemberOf (conversationId: string): Promise<AppError> {
    const c = await prisma.conversation.findUnique({ where: { id: conversationId }, select: { type: true } })
    return c?.type === 'channel' ? Errors.notChannelMember() : Errors.notMember()
  }

  async function assertMember (userId: string, conversationId: string): Promise<void> {
    const member = await prisma.conversationMember.findUnique({
      where: { conversationId_userId: { conversationId, userId } },
      select: { userId: true }
    })
    if (member === null) throw Errors.notMember()
  }

  /** Plain sends skip this; replies, mentions and forwards are checked and snapshotted first. */
  async function prepare (senderId: string, conversationId: string, input: SendInput): Promise<{ item: Outgoing, reply?: { preview: string | null, recalled: boolean } }> {
    if (input.forwardOf !== undefined) {
      if (input.type !== undefined || input.content !== undefined) throw validation('A forward copies type and content: give forwardOf without them')
    } else if (input.type === undefined || input.content === undefined) {
      throw validation('type and content are required (or forwardOf)')
    }
    const item: Outgoing = { senderId, clientMsgId: input.clientMsgId, type: input.type ?? 'text', content: input.content }
    if (input.forwardOf !== undefined) {
      const source = await references.forwardSource(senderId, input.forwardOf)
      item.type = source.type
      item.content = source.content
      item.forwardedFrom = source.forwardedFrom
    } else {
      checkContent(item.type, item.content, limits)
    }
    let reply: { preview: string | null, recalled: boolean } | undefined
    if (input.replyTo !== undefined) {
      const snapshot = await references.replySnapshot(senderId, conversationId, input.replyTo)
      item.replyTo = snapshot.stored
      reply = snapshot
    }
    if (input.mentions !== undefined && input.mentions.length > 0) item.mentions = await references.checkMentions(senderId, conversationId, input.mentions)
    return { item, reply }
  }

  async function send (senderId: string, conversationId: string, input: SendInput): Promise<SendResult> {
    let item: Outgoing
    let reply: { preview: string | null, recalled: boolean } | undefined
    if (input.forwardOf === undefined && input.replyTo === undefined && input.mentions === undefined && input.type !== undefined && input.content !== undefined) {
      checkContent(input.type, input.content, limits)
      item = { senderId, clientMsgId: input.clientMsgId, type: input.type, content: input.content }
    } else {
      try {
        ({ item, reply } = await prepare(senderId, conversationId, input))
      } catch (err) {
        // A repeat whose reply target or forward source has gone since still gets its original.
        const original = await findByClientMsgId(senderId, input.clientMsgId)
        if (original !== undefined) return { message: original, created: false }
        throw err
      }
    }
    const stored = await sender.send(conversationId, item)
    if (stored === undefined) {
      // A repeat (also one sent before the sender lost access) gets its original back.
      const original = await findByClientMsgId(senderId, input.clientMsgId)
      if (original !== undefined) return { message: original, created: false }
      throw await refusal(senderId, conversationId)
    }
    const replyTo = item.replyTo as StoredReplyTo | undefined
    const message: MessageView = {
      id: stored.id,
      conversationId,
      seq: stored.seq,
      senderId,
      sender: { id: senderId, ...stored.sender },
      clientMsgId: input.clientMsgId,
      type: item.type,
      // checked by checkContent (or copied from a stored message) before it was stored
      content: item.content as MessageContent,
      createdAt: stored.createdAt.toISOString(),
      recalled: false,
      recalledAt: null,
      rev: stored.rev,
      editedAt: null,
      replyTo: replyTo === undefined ? null : toReplyTo(replyTo, reply?.preview ?? null, reply?.recalled ?? true),
      mentions: item.mentions ?? [],
      reactions: [],
      forwardedFrom: (item.forwardedFrom as ForwardedFromView | undefined) ?? null,
      pinnedAt: null,
      pinnedBy: null
    }
    toMembers(deps, { id: conversationId, type: stored.conversationType }, stored.memberIds, 'message:new', toNewMessageEvent(message))
    return { message, created: true }
  }

  /** Moves one of the caller's cursors forward; returns the cursor and whether it moved. */
  async function moveCursor (userId: string, conversationId: string, seq: number, column: 'read_seq' | 'delivered_seq'): Promise<{ seq: number, moved: boolean, memberIds: string[], channel: boolean }> {
    const col = Prisma.raw(column)
    // Reading implies delivery: the read cursor drags the delivered one along.
    const alsoDelivered = column === 'read_seq' ? Prisma.sql`, delivered_seq = GREATEST(m.delivered_seq, ${seq}::int)` : Prisma.empty
    const rows = await prisma.$queryRaw<CursorRow[]>`
      WITH cur AS (
        SELECT m.${col} AS old_seq, c.last_seq, c.type FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.conversation_id = ${conversationId}::uuid AND m.user_id = ${userId}::uuid
      ), upd AS (
        UPDATE conversation_members m SET ${col} = ${seq}::int ${alsoDelivered}
        FROM cur WHERE m.conversation_id = ${conversationId}::uuid AND m.user_id = ${userId}::uuid
          AND m.${col} < ${seq}::int AND ${seq}::int <= cur.last_seq
        RETURNING m.${col} AS new_seq
      )
      SELECT cur.type::text AS type, cur.last_seq, cur.old_seq, upd.new_seq,
        CASE WHEN upd.new_seq IS NOT NULL AND cur.type <> 'channel' THEN
          ARRAY(SELECT m.user_id FROM conversation_members m WHERE m.conversation_id = ${conversationId}::uuid) END AS member_ids
      FROM cur LEFT JOIN upd ON true`
    const row = rows[0]
    if (row === undefined) throw await notMemberOf(conversationId)
    if (seq > row.last_seq) throw validation(`seq beyond the last message (${row.last_seq})`)
    const channel = row.type === 'channel'
    if (row.new_seq === null) return { seq: Math.max(row.old_seq, seq), moved: false, memberIds: [], channel }
    return { seq: row.new_seq, moved: true, memberIds: row.member_ids ?? [], channel }
  }

  return {
    send,

    /**
     * History page. `before`: older than that seq, newest first. `after`: newer than that
     * seq, oldest first. Neither: the latest messages, newest first. Messages deleted or
     * cleared for the caller are left out.
     */
    async history (userId: string, conversationId: string, opts: { before?: number, after?: number, limit?: number }): Promise<{ messages: MessageView[], hasMore: boolean }> {
      if (opts.before !== undefined && opts.after !== undefined) throw validation('Give either before or after, not both')
      const limit = opts.limit ?? 50
      // Prepared statements (planned once per connection); "latest" is `before` the largest int.
      const rows = opts.after !== undefined
        ? await sql.query<MessageRow>(HISTORY_AFTER_SQL, [conversationId, userId, opts.after, limit + 1], 'history_after')
        : await sql.query<MessageRow>(HISTORY_BEFORE_SQL, [conversationId, userId, opts.before ?? 2147483647, limit + 1], 'history_before')
      if (rows.length === 0) {
        try {
          await assertMember(userId, conversationId)
        } catch (err) {
          // A channel's history is public: a non-member reads it as it is (nothing hidden or cleared).
          const type = (await prisma.conversation.findUnique({ where: { id: conversationId }, select: { type: true } }))?.type
          if (type !== 'channel') throw err
          const open = opts.after !== undefined
            ? await sql.query<MessageRow>(PUBLIC_HISTORY_AFTER_SQL, [conversationId, opts.after, limit + 1], 'public_history_after')
            : await sql.query<MessageRow>(PUBLIC_HISTORY_BEFORE_SQL, [conversationId, opts.before ?? 2147483647, limit + 1], 'public_history_before')
          return { messages: open.slice(0, limit).map(toMessage), hasMore: open.length > limit }
        }
      }
      return { messages: rows.slice(0, limit).map(toMessage), hasMore: rows.length > limit }
    },

    /**
     * Catch-up: messages after each given cursor, in conversations the caller is a member
     * of (other ids are skipped: a client may hold stale ids after leaving), ordered by
     * conversation id then seq. Only the listed conversations are read. With `revs`,
     * also the messages at or below the cursor changed since that rev, and per conversation
     * the rev the caller is complete up to.
     */
    async sync (userId: string, cursors: Record<string, number>, limit = 200, revs?: Record<string, number>): Promise<SyncResult> {
      const after = new Map<string, number>()
      for (const [id, seq] of Object.entries(cursors)) {
        after.set(id, seq)
      }
      const since = new Map<string, number>()
      for (const [id, rev] of Object.entries(revs ?? {})) {
        since.set(id, rev)
      }
      const ids = [...new Set([...after.keys(), ...since.keys()])]
      if (ids.length === 0) return { messages: [], updated: [], revs: {}, hasMore: false }
      // Last revs first: anything changed after this read comes again next time, never missed.
      const last = new Map((await sql.query<{ id: string, last_rev: number }>(SYNC_REVS_SQL, [ids, userId], 'sync_revs')).map((r) => [r.id, r.last_rev]))
      const rows = after.size === 0 ? [] : await sql.query<MessageRow>(SYNC_SQL, [[...after.keys()], [...after.values()], userId, limit + 1], 'sync')
      const asked = [...since.keys()].filter((id) => last.has(id) && (after.get(id) ?? 0) > 0)
      const changedRows = asked.length === 0
        ? []
        : await sql.query<MessageRow>(SYNC_UPDATED_SQL, [asked, asked.map((id) => after.get(id) ?? 0), asked.map((id) => since.get(id) ?? 0), userId, limit + 1], 'sync_updated')
      const updated = changedRows.slice(0, limit)
      const out: Record<string, number> = {}
      for (const [id, rev] of last) out[id] = rev
      if (changedRows.length > limit) {
        // Cut short: conversations with updates left over are complete only up to the last one returned.
        const lastReturned = new Map<string, number>()
        for (const m of updated) lastReturned.set(m.conversation_id, m.rev)
        const cut = changedRows[limit]
        for (const id of asked) {
          if (cut !== undefined && id >= cut.conversation_id) out[id] = lastReturned.get(id) ?? since.get(id) ?? 0
        }
      }
      return {
        messages: rows.slice(0, limit).map(toMessage),
        updated: updated.map(toMessage),
        revs: out,
        hasMore: rows.length > limit || changedRows.length > limit
      }
    },

    /**
     * Read cursor forward; `message:read` to every member (the reader's other devices sync
     * badges). In a channel only to the reader's own devices: thousands of members do not
     * each get everybody's receipts.
     */
    async markRead (userId: string, conversationId: string, seq: number): Promise<{ readSeq: number }> {
      const r = await moveCursor(userId, conversationId, seq, 'read_seq')
      if (r.moved) publish(r.channel ? [userId] : r.memberIds, 'message:read', { conversationId, userId, seq: r.seq })
      return { readSeq: r.seq }
    },

    /** Delivered cursor forward; `message:delivered` to the other members (nobody in a channel: the member list is empty). */
    async markDelivered (userId: string, conversationId: string, seq: number): Promise<{ deliveredSeq: number }> {
      const r = await moveCursor(userId, conversationId, seq, 'delivered_seq')
      if (r.moved) publish(r.memberIds.filter((id) => id !== userId), 'message:delivered', { conversationId, userId, seq: r.seq })
      return { deliveredSeq: r.seq }
    },

    /**
     * The sender withdraws a message within the recall window: content is erased (and the pin
     * dropped), the row and its seq stay; a change like any other (rev, `message:updated`),
     * plus `message:recalled` for v1 clients. Recalling an already recalled message succeeds
     * and tells nobody.
     */
    async recall (userId: string, messageId: string, conversationId?: string): Promise<void> {
      const { changed, target, memberIds, blindIds } = await changes.change(userId, messageId, conversationId, async (tx, t) => {
        if (t.type === 'system') throw validation('System messages cannot be recalled')
        if (t.sender_id !== userId) throw forbidden('Only the sender can recall a message')
        if (t.recalled_at !== null) return { changed: false, result: undefined }
        if (t.age_s > limits.recallWindowS) throw forbidden(`Messages can only be recalled within ${limits.recallWindowS} s`)
        await tx.$executeRaw`UPDATE messages SET content = NULL, recalled_at = now(), pinned_at = NULL, pinned_by = NULL WHERE id = ${messageId}::uuid`
        return { changed: true, result: undefined }
      })
      if (changed) toMembers(deps, { id: target.conversation_id, type: target.conversation_type }, memberIds, 'message:recalled', { conversationId: target.conversation_id, messageId, seq: target.seq }, blindIds)
    }
  }
}

export type MessageService = ReturnType<typeof createMessageService>
