import { Prisma } from '../../generated/prisma/client.js'
import { AppError, conflict, Errors, forbidden, notFound, validation } from '../../lib/errors.js'
import { checkContent } from './content.js'
import type { ConversationsDeps } from './deps.js'
import { createMessageSender } from './message-sender.js'
import { MESSAGE_COLUMNS, messageColumns, toMessage, toNewMessageEvent, type MessageRow, type MessageView } from './rows.js'
import type { MessageType } from './schemas.js'

export interface SendInput { clientMsgId: string, type: MessageType, content: unknown }
export interface SendResult { message: MessageView, created: boolean }

interface CursorRow {
  last_seq: number
  old_seq: number
  new_seq: number | null
  member_ids: string[] | null
}

interface RecallRow {
  id: string
  conversation_id: string
  seq: number
  sender_id: string
  was_recalled: boolean
  in_window: boolean
  is_member: boolean
  recalled_now: boolean
  member_ids: string[] | null
}

const messageNotFound = () => notFound('Message not found')

const HISTORY_BEFORE_SQL = `
SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
WHERE x.conversation_id = $1::uuid
  AND EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = x.conversation_id AND m.user_id = $2::uuid)
  AND x.seq < $3::int
ORDER BY x.seq DESC LIMIT $4::int`

const HISTORY_AFTER_SQL = `
SELECT ${MESSAGE_COLUMNS} FROM messages x JOIN users u ON u.id = x.sender_id
WHERE x.conversation_id = $1::uuid
  AND EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = x.conversation_id AND m.user_id = $2::uuid)
  AND x.seq > $3::int
ORDER BY x.seq ASC LIMIT $4::int`

/** Messages after each cursor, in the conversations the caller is a member of; conversation id then seq. */
const SYNC_SQL = `
SELECT ${MESSAGE_COLUMNS}
FROM unnest($1::uuid[], $2::int[]) AS cur(conversation_id, after_seq)
JOIN conversation_members m ON m.conversation_id = cur.conversation_id AND m.user_id = $3::uuid
CROSS JOIN LATERAL (
  SELECT * FROM messages y WHERE y.conversation_id = cur.conversation_id AND y.seq > cur.after_seq
  ORDER BY y.seq LIMIT $4::int
) x
JOIN users u ON u.id = x.sender_id
ORDER BY x.conversation_id, x.seq
LIMIT $4::int`

/** Sending, history, catch-up sync, read/delivered cursors and recall. */
export function createMessageService (deps: ConversationsDeps) {
  const { prisma, sql, limits, publish, friends } = deps
  const sender = createMessageSender(sql, { concurrency: deps.sendConcurrency })

  async function findByClientMsgId (senderId: string, clientMsgId: string): Promise<MessageView | undefined> {
    const rows = await prisma.$queryRaw<MessageRow[]>`
      SELECT ${messageColumns} FROM messages x JOIN users u ON u.id = x.sender_id
      WHERE x.sender_id = ${senderId}::uuid AND x.client_msg_id = ${clientMsgId}`
    return rows[0] === undefined ? undefined : toMessage(rows[0])
  }

  /** Why the send statement matched no conversation row: not a member, or a direct peer it may not reach. */
  async function refusal (senderId: string, conversationId: string): Promise<AppError> {
    const member = await prisma.conversationMember.findUnique({
      where: { conversationId_userId: { conversationId, userId: senderId } },
      select: { conversation: { select: { type: true, directKey: true } } }
    })
    if (member === null) return Errors.notMember()
    const { type, directKey } = member.conversation
    if (type === 'direct' && directKey !== null) {
      const peer = directKey.split(':').find((id) => id !== senderId) ?? senderId
      const relation = await friends.relation(senderId, peer)
      if (relation.blocked || relation.blockedBy) return Errors.blocked()
      if (!relation.isFriend) return Errors.notFriends()
    }
    return conflict('Message not sent, try again')
  }

  async function assertMember (userId: string, conversationId: string): Promise<void> {
    const member = await prisma.conversationMember.findUnique({
      where: { conversationId_userId: { conversationId, userId } },
      select: { userId: true }
    })
    if (member === null) throw Errors.notMember()
  }

  async function send (senderId: string, conversationId: string, input: SendInput): Promise<SendResult> {
    checkContent(input.type, input.content, limits)
    const stored = await sender.send(conversationId, { senderId, clientMsgId: input.clientMsgId, type: input.type, content: input.content })
    if (stored === undefined) {
      // A repeat (also one sent before the sender lost access) gets its original back.
      const original = await findByClientMsgId(senderId, input.clientMsgId)
      if (original !== undefined) return { message: original, created: false }
      throw await refusal(senderId, conversationId)
    }
    const message: MessageView = {
      id: stored.id,
      conversationId,
      seq: stored.seq,
      senderId,
      sender: { id: senderId, ...stored.sender },
      clientMsgId: input.clientMsgId,
      type: input.type,
      content: input.content,
      createdAt: stored.createdAt.toISOString(),
      recalled: false,
      recalledAt: null
    }
    publish(stored.memberIds, 'message:new', toNewMessageEvent(message))
    return { message, created: true }
  }

  /** Moves one of the caller's cursors forward; returns the cursor and whether it moved. */
  async function moveCursor (userId: string, conversationId: string, seq: number, column: 'read_seq' | 'delivered_seq'): Promise<{ seq: number, moved: boolean, memberIds: string[] }> {
    const col = Prisma.raw(column)
    // Reading implies delivery: the read cursor drags the delivered one along.
    const alsoDelivered = column === 'read_seq' ? Prisma.sql`, delivered_seq = GREATEST(m.delivered_seq, ${seq}::int)` : Prisma.empty
    const rows = await prisma.$queryRaw<CursorRow[]>`
      WITH cur AS (
        SELECT m.${col} AS old_seq, c.last_seq FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.conversation_id = ${conversationId}::uuid AND m.user_id = ${userId}::uuid
      ), upd AS (
        UPDATE conversation_members m SET ${col} = ${seq}::int ${alsoDelivered}
        FROM cur WHERE m.conversation_id = ${conversationId}::uuid AND m.user_id = ${userId}::uuid
          AND m.${col} < ${seq}::int AND ${seq}::int <= cur.last_seq
        RETURNING m.${col} AS new_seq
      )
      SELECT cur.last_seq, cur.old_seq, upd.new_seq,
        CASE WHEN upd.new_seq IS NOT NULL THEN
          ARRAY(SELECT m.user_id FROM conversation_members m WHERE m.conversation_id = ${conversationId}::uuid) END AS member_ids
      FROM cur LEFT JOIN upd ON true`
    const row = rows[0]
    if (row === undefined) throw Errors.notMember()
    if (seq > row.last_seq) throw validation(`seq beyond the last message (${row.last_seq})`)
    if (row.new_seq === null) return { seq: Math.max(row.old_seq, seq), moved: false, memberIds: [] }
    return { seq: row.new_seq, moved: true, memberIds: row.member_ids ?? [] }
  }

  return {
    send,

    /**
     * History page. `before`: older than that seq, newest first. `after`: newer than that
     * seq, oldest first. Neither: the latest messages, newest first.
     */
    async history (userId: string, conversationId: string, opts: { before?: number, after?: number, limit?: number }): Promise<{ messages: MessageView[], hasMore: boolean }> {
      if (opts.before !== undefined && opts.after !== undefined) throw validation('Give either before or after, not both')
      const limit = opts.limit ?? 50
      // Prepared statements (planned once per connection); "latest" is `before` the largest int.
      const rows = opts.after !== undefined
        ? await sql.query<MessageRow>(HISTORY_AFTER_SQL, [conversationId, userId, opts.after, limit + 1], 'history_after')
        : await sql.query<MessageRow>(HISTORY_BEFORE_SQL, [conversationId, userId, opts.before ?? 2147483647, limit + 1], 'history_before')
      if (rows.length === 0) await assertMember(userId, conversationId)
      return { messages: rows.slice(0, limit).map(toMessage), hasMore: rows.length > limit }
    },

    /**
     * Catch-up: messages after each given cursor, in conversations the caller is a member
     * of (other ids are skipped: a client may hold stale ids after leaving), ordered by
     * conversation id then seq. Only the listed conversations are read.
     */
    async sync (userId: string, cursors: Record<string, number>, limit = 200): Promise<{ messages: MessageView[], hasMore: boolean }> {
      const ids = Object.keys(cursors)
      if (ids.length === 0) return { messages: [], hasMore: false }
      const rows = await sql.query<MessageRow>(SYNC_SQL, [ids, ids.map((id) => cursors[id]), userId, limit + 1], 'sync')
      return { messages: rows.slice(0, limit).map(toMessage), hasMore: rows.length > limit }
    },

    /** Read cursor forward; `message:read` to every member (the reader's other devices sync badges). */
    async markRead (userId: string, conversationId: string, seq: number): Promise<{ readSeq: number }> {
      const r = await moveCursor(userId, conversationId, seq, 'read_seq')
      if (r.moved) publish(r.memberIds, 'message:read', { conversationId, userId, seq: r.seq })
      return { readSeq: r.seq }
    },

    /** Delivered cursor forward; `message:delivered` to the other members. */
    async markDelivered (userId: string, conversationId: string, seq: number): Promise<{ deliveredSeq: number }> {
      const r = await moveCursor(userId, conversationId, seq, 'delivered_seq')
      if (r.moved) publish(r.memberIds.filter((id) => id !== userId), 'message:delivered', { conversationId, userId, seq: r.seq })
      return { deliveredSeq: r.seq }
    },

    /**
     * The sender withdraws a message within the recall window: content is erased, the row
     * (and its seq) stays. Recalling an already recalled message succeeds and tells nobody.
     */
    async recall (userId: string, messageId: string, conversationId?: string): Promise<void> {
      const inConversation = conversationId === undefined ? Prisma.empty : Prisma.sql`AND x.conversation_id = ${conversationId}::uuid`
      const rows = await prisma.$queryRaw<RecallRow[]>`
        WITH t AS (
          SELECT x.id, x.conversation_id, x.seq, x.sender_id, x.recalled_at IS NOT NULL AS was_recalled,
            x.created_at > now() - ${limits.recallWindowS}::int * interval '1 second' AS in_window,
            EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = x.conversation_id AND m.user_id = ${userId}::uuid) AS is_member
          FROM messages x WHERE x.id = ${messageId}::uuid ${inConversation}
        ), upd AS (
          UPDATE messages x SET content = NULL, recalled_at = now()
          FROM t WHERE x.id = t.id AND t.is_member AND t.in_window AND t.sender_id = ${userId}::uuid AND x.recalled_at IS NULL
          RETURNING x.id
        )
        SELECT t.id, t.conversation_id, t.seq, t.sender_id, t.was_recalled, t.in_window, t.is_member,
          EXISTS (SELECT 1 FROM upd) AS recalled_now,
          ARRAY(SELECT m.user_id FROM conversation_members m WHERE m.conversation_id = t.conversation_id) AS member_ids
        FROM t`
      const row = rows[0]
      if (row === undefined || !row.is_member) throw messageNotFound()
      if (row.sender_id !== userId) throw forbidden('Only the sender can recall a message')
      if (row.recalled_now) {
        publish(row.member_ids ?? [], 'message:recalled', { conversationId: row.conversation_id, messageId: row.id, seq: row.seq })
        return
      }
      if (row.was_recalled) return
      if (!row.in_window) throw forbidden(`Messages can only be recalled within ${limits.recallWindowS} s`)
    }
  }
}

export type MessageService = ReturnType<typeof createMessageService>
