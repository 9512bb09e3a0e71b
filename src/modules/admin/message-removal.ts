import type { Prisma } from '../../generated/prisma/client.js'

export interface RemovedMessage {
  id: string
  conversationId: string
  seq: number
  senderId: string
  memberIds: string[]
  /** false when it was already recalled or removed: nothing changed, nobody is told. */
  changed: boolean
}

/**
 * Erases a message's content the way a recall does (the row and its seq stay). The one place
 * that knows how an admin removal is stored and announced: when the messages change stream
 * lands, switch `announceRemoval` (and, if it gains one, the removal marker) to `message:updated`.
 */
export async function removeMessageContent (tx: Prisma.TransactionClient, messageId: string): Promise<RemovedMessage | null> {
  const rows = await tx.$queryRaw<Array<{ id: string, conversation_id: string, seq: number, sender_id: string, changed: boolean, member_ids: string[] | null }>>`
    WITH t AS (SELECT id, conversation_id, seq, sender_id, recalled_at IS NULL AS live FROM messages WHERE id = ${messageId}::uuid FOR UPDATE),
    upd AS (UPDATE messages x SET content = NULL, recalled_at = now() FROM t WHERE x.id = t.id AND t.live RETURNING x.id)
    SELECT t.id, t.conversation_id, t.seq, t.sender_id, EXISTS (SELECT 1 FROM upd) AS changed,
      (SELECT array_agg(m.user_id::text) FROM conversation_members m WHERE m.conversation_id = t.conversation_id) AS member_ids
    FROM t`
  const row = rows[0]
  if (row === undefined) return null
  return { id: row.id, conversationId: row.conversation_id, seq: row.seq, senderId: row.sender_id, memberIds: row.member_ids ?? [], changed: row.changed }
}

/** Tells the members live: today `message:recalled`, the event a recall sends. */
export function announceRemoval (publish: (userIds: readonly string[], event: string, payload: unknown) => void, m: RemovedMessage): void {
  if (!m.changed) return
  publish(m.memberIds, 'message:recalled', { conversationId: m.conversationId, messageId: m.id, seq: m.seq })
}
