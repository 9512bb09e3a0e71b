import type { AnyMessage as Message } from '@relay-im/client/protocol'
import { membersOf, type Delivery } from '../../delivery/index.js'
import type { Prisma } from '../../generated/prisma/client.js'
import { txSql } from '../../db/tx-sql.js'
import { ERASE_SQL, REMOVAL_LOCK_SQL, REMOVAL_TARGETS_SQL } from './sql.js'

export interface RemovedMessage {
  id: string
  conversationId: string
  seq: number
  senderId: string
  /** Who sees it (the visibility rule); empty for a channel: its room gets the events. */
  memberIds: string[]
  /** A channel's members who do not see it (left out of the room's emit). */
  blindIds: string[]
  channel: boolean
  /** false when it was already recalled or removed: nothing changed, nobody is told. */
  changed: boolean
}

/**
 * Erases a message's content the way a recall does (the row and its seq stay), and that of
 * every forwarded copy naming it as its origin (forwards keep their origin's id through chains
 * of forwards: `forwarded_from.messageId`), as changes of their conversations' change streams:
 * under each conversation's row lock (the one sends and member changes take; taken in id
 * order, as the send statement does) each message takes the next rev, so devices learn it
 * through `message:updated` live and through `sync {revs}` later. Pins of the messages go
 * too, as on a recall. Removing a copy removes that copy (its own forwards name the origin).
 * Returns the message first, then its copies; null when it does not exist.
 */
export async function removeMessageContent (tx: Prisma.TransactionClient, messageId: string): Promise<RemovedMessage[] | null> {
  const q = txSql(tx)
  const locked = await q.query<{ id: string }>(REMOVAL_LOCK_SQL, [messageId])
  if (locked.length === 0) return null
  // Read after the locks. A copy committed in the same instant into a conversation not locked
  // here escapes (its check of the origin ran before this commit); its attachment still stops
  // (downloads check the origin: visibility.ts, originLive).
  const ids = await q.query<{ id: string }>(REMOVAL_TARGETS_SQL, [messageId])
  if (ids[0]?.id !== messageId) return null
  const out: RemovedMessage[] = []
  for (const { id } of ids) {
    const row = await eraseOne(tx, id)
    if (row !== null) out.push(row)
  }
  return out
}

async function eraseOne (tx: Prisma.TransactionClient, messageId: string): Promise<RemovedMessage | null> {
  const rows = await txSql(tx).query<{ id: string, conversation_id: string, seq: number, sender_id: string, changed: boolean, channel: boolean, member_ids: string[] | null, blind_ids: string[] | null }>(ERASE_SQL, [messageId])
  const row = rows[0]
  if (row === undefined) return null
  return { id: row.id, conversationId: row.conversation_id, seq: row.seq, senderId: row.sender_id, memberIds: row.member_ids ?? [], blindIds: row.blind_ids ?? [], channel: row.channel, changed: row.changed }
}

/**
 * Tells the members live, after the commit: `message:updated` with the message as it is now,
 * and `message:recalled` for clients that only know that event. A channel's get it through
 * the channel's room (one emit).
 */
export function announceRemoval (delivery: Pick<Delivery, 'deliver'>, m: RemovedMessage, message: Message | undefined): void {
  if (!m.changed) return
  const audience = membersOf({ id: m.conversationId, type: m.channel ? 'channel' : 'group' }, m.memberIds, m.blindIds)
  if (message !== undefined) delivery.deliver({ event: 'message:updated', payload: message, audience })
  delivery.deliver({ event: 'message:recalled', payload: { conversationId: m.conversationId, messageId: m.id, seq: m.seq }, audience })
}
