import type { Static } from 'typebox'
import { Prisma } from '../../generated/prisma/client.js'
import type { Conversation, Member, Message, MessageType, PublicUser } from './schemas.js'

export type PublicUserView = Static<typeof PublicUser>
export type MessageView = Static<typeof Message>
export type MemberView = Static<typeof Member>
export type ConversationView = Static<typeof Conversation>

/** What the columns of `messageColumns` come back as. */
export interface MessageRow {
  id: string
  conversation_id: string
  seq: number
  sender_id: string
  client_msg_id: string
  type: MessageType
  content: unknown
  created_at: Date
  recalled_at: Date | null
  username: string
  display_name: string
  avatar_url: string | null
}

/** Message columns plus its sender; needs `messages x JOIN users u ON u.id = x.sender_id`. */
export const messageColumns = Prisma.sql`x.id, x.conversation_id, x.seq, x.sender_id, x.client_msg_id, x.type::text AS type,
  x.content, x.created_at, x.recalled_at, u.username, u.display_name, u.avatar_url`

/** The same columns as plain SQL text, for statements sent without Prisma. */
export const MESSAGE_COLUMNS = `x.id, x.conversation_id, x.seq, x.sender_id, x.client_msg_id, x.type::text AS type,
  x.content, x.created_at, x.recalled_at, u.username, u.display_name, u.avatar_url`

export function toMessage (r: MessageRow): MessageView {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    seq: r.seq,
    senderId: r.sender_id,
    sender: { id: r.sender_id, username: r.username, displayName: r.display_name, avatarUrl: r.avatar_url },
    clientMsgId: r.client_msg_id,
    type: r.type,
    content: r.recalled_at === null ? r.content : null,
    createdAt: r.created_at.toISOString(),
    recalled: r.recalled_at !== null,
    recalledAt: r.recalled_at?.toISOString() ?? null
  }
}

/** `message:new` carries exactly the PROTOCOL fields. */
export function toNewMessageEvent (m: MessageView): Omit<MessageView, 'recalled' | 'recalledAt'> {
  const { recalled: _r, recalledAt: _a, ...event } = m
  return event
}

export function toAck (m: MessageView): { id: string, conversationId: string, seq: number, clientMsgId: string, createdAt: string } {
  return { id: m.id, conversationId: m.conversationId, seq: m.seq, clientMsgId: m.clientMsgId, createdAt: m.createdAt }
}
