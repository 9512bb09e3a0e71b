import type { Conversation, Message } from '../protocol.js'

/**
 * Whether a message counts as unread for `userId` (the server's rule): someone else's, not a
 * system message, not recalled, after the member's read position.
 */
export function countsAsUnread (m: Message, userId: string | undefined, readSeq: number): boolean {
  return m.senderId !== userId && m.type !== 'system' && m.recalled !== true && m.seq > readSeq
}

/** Whether the message mentions `userId` (by id, or `all`). */
export function mentions (m: Message, userId: string | undefined): boolean {
  return m.mentions.includes('all') || (userId !== undefined && m.mentions.includes(userId))
}

/** Pinned first, then the newest activity, then the id (the server's order). */
export function compareConversations (a: Conversation, b: Conversation): number {
  const pinned = Number(b.settings?.pinned === true) - Number(a.settings?.pinned === true)
  if (pinned !== 0) return pinned
  if (a.lastActivityAt !== b.lastActivityAt) return a.lastActivityAt < b.lastActivityAt ? 1 : -1
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0
}
