import { conflict, validation } from '../../lib/errors.js'
import { membersOf } from '../../delivery/index.js'
import { checkContent } from '../message-kinds/index.js'
import { previewUrlOfContent } from '../link-previews/index.js'
import { type ConversationsDeps, toMessage, toNewMessageEvent, type ForwardedFromView, type MessageRow, type MessageView, type StoredReplyTo, type MessageType } from '../conversations/index.js'
import { postingRefusal } from './membership-checks.js'
import { createMessageSender, type Outgoing } from './send-statement.js'
import { createSendReferences } from './send-references.js'
import type { Threads } from './threads.js'
import { MESSAGE_BY_CLIENT_ID_SQL } from './sql.js'
import type { BeforeSendHook } from './before-send.js'

export interface SendInput {
  clientMsgId: string
  /** Required unless `forwardOf` is given. */
  type?: MessageType
  content?: unknown
  replyTo?: string
  mentions?: string[]
  forwardOf?: string
  /** false: no link preview for this message (docs/protocol.md, "Link previews"). */
  linkPreview?: boolean
  threadRootId?: string
  alsoInChat?: boolean
}
export interface SendResult { message: MessageView, created: boolean }

/** Sending: content and reference checks, the batched send statement, `message:new` to the members. */
export function createSend (deps: ConversationsDeps, threads: Threads, beforeSend?: BeforeSendHook): { send: (senderId: string, conversationId: string, input: SendInput) => Promise<SendResult> } {
  const { sql, limits } = deps
  const sender = createMessageSender(deps.sendSql, { concurrency: deps.sendConcurrency, maxQueued: deps.sendQueueMax })
  const references = createSendReferences(deps)

  async function findByClientMsgId (senderId: string, clientMsgId: string): Promise<MessageView | undefined> {
    const rows = await sql.query<MessageRow>(MESSAGE_BY_CLIENT_ID_SQL, [senderId, clientMsgId], 'message_by_client_id')
    return rows[0] === undefined ? undefined : toMessage(rows[0])
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
    if (input.threadRootId !== undefined) {
      // Checked and resolved (a reply's root) by the send statement itself; rootFor says why when it refused.
      item.threadRootId = input.threadRootId
      if (input.alsoInChat === true) item.alsoInChat = true
    } else if (input.alsoInChat !== undefined) {
      throw validation('alsoInChat goes with threadRootId')
    }
    return { item, reply }
  }

  async function send (senderId: string, conversationId: string, input: SendInput): Promise<SendResult> {
    let item: Outgoing
    let reply: { quote: unknown, recalled: boolean } | undefined
    if (input.forwardOf === undefined && input.replyTo === undefined && input.mentions === undefined && input.threadRootId === undefined &&
      input.alsoInChat === undefined && input.type !== undefined && input.content !== undefined) {
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
    if (beforeSend !== undefined) {
      // The app's verdict (before-send.ts); a replaced content passes the kind's rule again.
      const verdict = await beforeSend.check({ senderId, conversationId, clientMsgId: item.clientMsgId, type: item.type, content: item.content })
      if (verdict.action === 'replace') {
        checkContent(item.type, verdict.content, limits)
        item.content = verdict.content
      }
    }
    // After the hook: the preview is of the content that is stored.
    if (input.linkPreview !== false && deps.linkPreviews !== undefined) {
      const url = previewUrlOfContent(item.type, item.content, deps.linkPreviews.allowedHosts)
      if (url !== null) item.linkPreviewUrl = url
    }
    const stored = await sender.send(conversationId, item)
    if (stored === undefined) {
      // A repeat (also one sent before the sender lost access) gets its original back.
      const original = await findByClientMsgId(senderId, input.clientMsgId)
      if (original !== undefined) return { message: original, created: false }
      // May they post here at all; then, for a reply, its root (NOT_FOUND or VALIDATION: the statement's root check refused it).
      const posting = await postingRefusal(deps, senderId, conversationId)
      if (posting !== undefined) throw posting
      if (item.threadRootId !== undefined) await threads.rootFor(senderId, conversationId, item.threadRootId)
      throw conflict('Message not sent, try again')
    }
    // The row as a read of it would return it now: a new message is unedited, unpinned, without reactions.
    const message = toMessage({
      id: stored.id,
      conversation_id: conversationId,
      seq: stored.seq,
      sender_id: senderId,
      client_msg_id: input.clientMsgId,
      type: item.type,
      content: item.content,
      created_at: stored.createdAt,
      recalled_at: null,
      rev: stored.rev,
      edited_at: null,
      reply_to: (item.replyTo as StoredReplyTo | undefined) ?? null,
      reply_quote: reply?.quote ?? null,
      reply_recalled: reply?.recalled ?? true,
      mentions: item.mentions ?? null,
      forwarded_from: (item.forwardedFrom as ForwardedFromView | undefined) ?? null,
      pinned_at: null,
      pinned_by: null,
      reactions: null,
      username: stored.sender.username,
      display_name: stored.sender.displayName,
      avatar_url: stored.sender.avatarUrl,
      thread_root_id: stored.thread?.rootId ?? null,
      thread_in_chat: item.alsoInChat === true
    })
    deps.delivery.deliver({ event: 'message:new', payload: toNewMessageEvent(message), audience: membersOf({ id: conversationId, type: stored.conversationType }, stored.memberIds) })
    if (stored.thread !== undefined) threads.publishReply(conversationId, stored.conversationType, stored.memberIds, stored.thread)
    return { message, created: true }
  }

  return { send }
}
