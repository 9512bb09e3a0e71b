import type { AnyMessage as Message } from '@relay-im/client/protocol'
import { membersOf, type Delivery } from '../../delivery/index.js'
import { Prisma } from '../../generated/prisma/client.js'
import { audienceOf, blindTo } from '../conversations/index.js'

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
  const locked = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT c.id FROM conversations c WHERE c.id IN (
      SELECT conversation_id FROM messages WHERE id = ${messageId}::uuid
      UNION SELECT conversation_id FROM messages WHERE ${FORWARDED_FROM} = ${messageId}::uuid AND forwarded_from IS NOT NULL
    ) ORDER BY c.id FOR UPDATE`
  if (locked.length === 0) return null
  // Read after the locks. A copy committed in the same instant into a conversation not locked
  // here escapes (its check of the origin ran before this commit); its attachment still stops
  // (downloads check the origin: visibility.ts, originLive).
  const ids = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT id FROM messages WHERE id = ${messageId}::uuid
    UNION ALL (SELECT id FROM messages WHERE ${FORWARDED_FROM} = ${messageId}::uuid AND forwarded_from IS NOT NULL AND id <> ${messageId}::uuid ORDER BY id)`
  if (ids[0]?.id !== messageId) return null
  const out: RemovedMessage[] = []
  for (const { id } of ids) {
    const row = await eraseOne(tx, id)
    if (row !== null) out.push(row)
  }
  return out
}

/** The origin a forwarded copy names (messages_forward_origin_idx). */
const FORWARDED_FROM = Prisma.raw("(forwarded_from->>'messageId')::uuid")

async function eraseOne (tx: Prisma.TransactionClient, messageId: string): Promise<RemovedMessage | null> {
  const rows = await tx.$queryRaw<Array<{ id: string, conversation_id: string, seq: number, sender_id: string, changed: boolean, channel: boolean, member_ids: string[] | null, blind_ids: string[] | null }>>`
    WITH t AS (SELECT id, conversation_id, seq, sender_id, recalled_at IS NULL AS live FROM messages WHERE id = ${messageId}::uuid),
    c AS (UPDATE conversations SET last_rev = last_rev + 1 FROM t WHERE conversations.id = t.conversation_id AND t.live RETURNING last_rev),
    upd AS (UPDATE messages x SET content = NULL, recalled_at = now(), pinned_at = NULL, pinned_by = NULL, rev = c.last_rev FROM t, c WHERE x.id = t.id RETURNING x.id)
    SELECT t.id, t.conversation_id, t.seq, t.sender_id, EXISTS (SELECT 1 FROM upd) AS changed, cv.type = 'channel' AS channel,
      CASE WHEN cv.type <> 'channel' THEN ${Prisma.raw(audienceOf('t'))}::text[] END AS member_ids,
      CASE WHEN cv.type = 'channel' THEN ${Prisma.raw(blindTo('t'))}::text[] END AS blind_ids
    FROM t JOIN conversations cv ON cv.id = t.conversation_id`
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
