import type { MessageContent, SendInput } from '../protocol.js'
import type { ListMessage } from '../state/message-list.js'

/** One change waiting for the server, kept in storage until it is done. */
export type QueuedOp =
  | { kind: 'send', input: SendInput & { clientMsgId: string }, echo?: ListMessage, failed?: string }
  | { kind: 'read', conversationId: string, seq: number }
  | { kind: 'edit', messageId: string, content: MessageContent }
  | { kind: 'react', messageId: string, emoji: string }

/** Storage keys of the offline layer. */
export const KEYS = {
  tokens: 'tokens',
  user: 'user',
  cursors: 'cursors',
  outbox: 'outbox',
  messages: (conversationId: string) => `messages:${conversationId}`
} as const

/** The cursors kept in storage: seq and rev positions per conversation. */
export interface StoredCursors { seqs: Record<string, number>, revs: Record<string, number>, memberships?: string }
