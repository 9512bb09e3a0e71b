import type { Message } from '@relay-im/client/protocol'
import { channelRoom, type Publish, type PublishToRoom } from '../../plugins/realtime.js'
import type { Prisma } from '../../generated/prisma/client.js'

export interface RemovedMessage {
  id: string
  conversationId: string
  seq: number
  senderId: string
  /** Empty for a channel: its room gets the events. */
  memberIds: string[]
  channel: boolean
  /** false when it was already recalled or removed: nothing changed, nobody is told. */
  changed: boolean
}

/**
 * Erases a message's content the way a recall does (the row and its seq stay), as a change of
 * the conversation's change stream: under the conversation's row lock (the one sends and
 * member changes take) the message takes the next rev, so devices learn it through
 * `message:updated` live and through `sync {revs}` later. Pins of the message go too, as on a recall.
 */
export async function removeMessageContent (tx: Prisma.TransactionClient, messageId: string): Promise<RemovedMessage | null> {
  const locked = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT c.id FROM conversations c WHERE c.id = (SELECT conversation_id FROM messages WHERE id = ${messageId}::uuid) FOR UPDATE`
  if (locked.length === 0) return null
  const rows = await tx.$queryRaw<Array<{ id: string, conversation_id: string, seq: number, sender_id: string, changed: boolean, channel: boolean, member_ids: string[] | null }>>`
    WITH t AS (SELECT id, conversation_id, seq, sender_id, recalled_at IS NULL AS live FROM messages WHERE id = ${messageId}::uuid),
    c AS (UPDATE conversations SET last_rev = last_rev + 1 FROM t WHERE conversations.id = t.conversation_id AND t.live RETURNING last_rev),
    upd AS (UPDATE messages x SET content = NULL, recalled_at = now(), pinned_at = NULL, pinned_by = NULL, rev = c.last_rev FROM t, c WHERE x.id = t.id RETURNING x.id)
    SELECT t.id, t.conversation_id, t.seq, t.sender_id, EXISTS (SELECT 1 FROM upd) AS changed, cv.type = 'channel' AS channel,
      CASE WHEN cv.type <> 'channel' THEN (SELECT array_agg(m.user_id::text) FROM conversation_members m WHERE m.conversation_id = t.conversation_id) END AS member_ids
    FROM t JOIN conversations cv ON cv.id = t.conversation_id`
  const row = rows[0]
  if (row === undefined) return null
  return { id: row.id, conversationId: row.conversation_id, seq: row.seq, senderId: row.sender_id, memberIds: row.member_ids ?? [], channel: row.channel, changed: row.changed }
}

/** Tells the members live, after the commit: `message:updated` with the message as it is now, and `message:recalled` for v1 clients. */
export function announceRemoval (publish: Publish, m: RemovedMessage, message: Message | undefined, toRoom?: PublishToRoom): void {
  if (!m.changed) return
  const recalled = { conversationId: m.conversationId, messageId: m.id, seq: m.seq }
  if (m.channel) {
    // A channel's members get it through the channel's room (one emit).
    if (message !== undefined) toRoom?.(channelRoom(m.conversationId), 'message:updated', message)
    toRoom?.(channelRoom(m.conversationId), 'message:recalled', recalled)
    return
  }
  if (message !== undefined) publish(m.memberIds, 'message:updated', message)
  publish(m.memberIds, 'message:recalled', recalled)
}
