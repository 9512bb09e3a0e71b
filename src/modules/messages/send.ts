import type { MessageContent } from '@relay-im/client/protocol'
import { AppError, conflict, Errors, validation } from '../../lib/errors.js'
import { checkContent } from '../message-kinds/index.js'
import { type ConversationsDeps, MESSAGE_COLUMNS, toMessage, toNewMessageEvent, toReplyTo, type ForwardedFromView, type MessageRow, type MessageView, type StoredReplyTo, type MessageType, toMembers } from '../conversations/index.js'
import { notMemberOf } from './membership-checks.js'
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

/** Sending: content and reference checks, the batched send statement, `message:new` to the members. */
export function createSend (deps: ConversationsDeps): { send: (senderId: string, conversationId: string, input: SendInput) => Promise<SendResult> } {
  const { prisma, sql, limits, friends } = deps
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
    if (member === null) return await notMemberOf(prisma, conversationId)
    const { type, directKey } = member.conversation
    if (type === 'direct' && directKey !== null) {
      const peer = directKey.split(':').find((id) => id !== senderId) ?? senderId
      const relation = await friends.relation(senderId, peer)
      if (relation.blocked || relation.blockedBy) return Errors.blocked()
      if (!relation.isFriend) return Errors.notFriends()
    }
    return conflict('Message not sent, try again')
  }

  /** Plain sends skip this; replies, mentions and forwards are checked and snapshotted first. */
  async function prepare (senderId: string, conversationId: string, input: SendInput): Promise<{ item: Outgoing, reply?: { quote: unknown, recalled: boolean } }> {
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
    let reply: { quote: unknown, recalled: boolean } | undefined
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
    let reply: { quote: unknown, recalled: boolean } | undefined
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
      replyTo: replyTo === undefined ? null : toReplyTo(replyTo, reply?.quote ?? null, reply?.recalled ?? true),
      mentions: item.mentions ?? [],
      reactions: [],
      forwardedFrom: (item.forwardedFrom as ForwardedFromView | undefined) ?? null,
      pinnedAt: null,
      pinnedBy: null
    }
    toMembers(deps, { id: conversationId, type: stored.conversationType }, stored.memberIds, 'message:new', toNewMessageEvent(message))
    return { message, created: true }
  }

  return { send }
}
