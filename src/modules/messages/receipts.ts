import { validation } from '../../lib/errors.js'
import type { ConversationsDeps } from '../conversations/index.js'
import { notMemberOf } from './membership-checks.js'
import { MOVE_DELIVERED_CURSOR_SQL, MOVE_READ_CURSOR_SQL } from './sql.js'

interface CursorRow {
  type: 'direct' | 'group' | 'channel'
  last_seq: number
  old_seq: number
  new_seq: number | null
  member_ids: string[] | null
}

/** Read and delivered cursors: they only move forward, and a move is published. */
export function createReceipts (deps: Pick<ConversationsDeps, 'prisma' | 'sql' | 'delivery'>) {
  const { prisma, sql, delivery } = deps

  /** Moves one of the caller's cursors forward; returns the cursor and whether it moved. */
  async function moveCursor (userId: string, conversationId: string, seq: number, column: 'read_seq' | 'delivered_seq'): Promise<{ seq: number, moved: boolean, memberIds: string[], channel: boolean }> {
    const rows = column === 'read_seq'
      ? await sql.query<CursorRow>(MOVE_READ_CURSOR_SQL, [conversationId, userId, seq], 'move_read_cursor')
      : await sql.query<CursorRow>(MOVE_DELIVERED_CURSOR_SQL, [conversationId, userId, seq], 'move_delivered_cursor')
    const row = rows[0]
    if (row === undefined) throw await notMemberOf(prisma, conversationId)
    if (seq > row.last_seq) throw validation(`seq beyond the last message (${row.last_seq})`)
    const channel = row.type === 'channel'
    if (row.new_seq === null) return { seq: Math.max(row.old_seq, seq), moved: false, memberIds: [], channel }
    return { seq: row.new_seq, moved: true, memberIds: row.member_ids ?? [], channel }
  }

  return {
    /**
     * Read cursor forward; `message:read` to every member (the reader's other devices sync
     * badges). In a channel only to the reader's own devices: thousands of members do not
     * each get everybody's receipts.
     */
    async markRead (userId: string, conversationId: string, seq: number): Promise<{ readSeq: number }> {
      const r = await moveCursor(userId, conversationId, seq, 'read_seq')
      if (r.moved) delivery.deliver({ event: 'message:read', payload: { conversationId, userId, seq: r.seq }, audience: { users: r.channel ? [userId] : r.memberIds } })
      return { readSeq: r.seq }
    },

    /** Delivered cursor forward; `message:delivered` to the other members (nobody in a channel: the member list is empty). */
    async markDelivered (userId: string, conversationId: string, seq: number): Promise<{ deliveredSeq: number }> {
      const r = await moveCursor(userId, conversationId, seq, 'delivered_seq')
      if (r.moved) delivery.deliver({ event: 'message:delivered', payload: { conversationId, userId, seq: r.seq }, audience: { users: r.memberIds.filter((id) => id !== userId) } })
      return { deliveredSeq: r.seq }
    }
  }
}
