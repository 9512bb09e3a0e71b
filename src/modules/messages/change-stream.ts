import type { Prisma } from '../../generated/prisma/client.js'
import { txSql } from '../../db/tx-sql.js'
import { Errors } from '../../lib/errors.js'
import { createLimiter } from '../../lib/limiter.js'
import { membersOf } from '../../delivery/index.js'
import { type ConversationsDeps, MESSAGE_BY_ID_SQL, toMessage, type MessageRow, type MessageView, type MessageType } from '../conversations/index.js'
import { CHANGE_BUMP_SQL, CHANGE_LOCK_SQL, CHANGE_TARGET_SQL } from './sql.js'

export const messageNotFound = Errors.messageNotFound

/** A message as a change sees it, under its conversation's row lock, with the caller's role. */
export interface Target {
  id: string
  conversation_id: string
  seq: number
  sender_id: string
  type: MessageType
  content: unknown
  rev: number
  recalled_at: Date | null
  pinned_at: Date | null
  /** Seconds since the message was created, by the database clock. */
  age_s: number
  conversation_type: 'direct' | 'group' | 'channel'
  role: 'owner' | 'admin' | 'member'
}

export type Tx = Prisma.TransactionClient

export interface ChangeOutcome<T> {
  /** Whether the message changed (then its rev moved and members got `message:updated`). */
  changed: boolean
  result: T
}

/**
 * The change stream: every change of a message takes the conversation's next rev in the
 * same transaction, under the conversation's row lock (the one sends take), so revs commit
 * in order and `sync` by rev cannot skip one. After the commit the whole message in its
 * current state goes to every member's devices as `message:updated`.
 */
export function createChangeStream (deps: ConversationsDeps) {
  const { prisma, sql } = deps
  // Changes of one conversation serialise on its row lock: let only a few of them hold a
  // pooled connection at once (the rest wait in memory, see lib/limiter.ts).
  const slots = createLimiter(Math.max(1, deps.changeConcurrency), 10_000)

  async function read (messageId: string): Promise<MessageView | undefined> {
    const rows = await sql.query<MessageRow>(MESSAGE_BY_ID_SQL, [messageId], 'message_by_id')
    return rows[0] === undefined ? undefined : toMessage(rows[0])
  }

  /**
   * Runs `fn` on a message the caller can see (a member; not deleted or cleared for them;
   * in `conversationId` when given, else NOT_FOUND), under the conversation's row lock.
   * When `fn` reports a change, the message is stamped with the next rev in the same
   * transaction and `message:updated` follows the commit. Returns the message as it is now.
   */
  async function change<T> (userId: string, messageId: string, conversationId: string | undefined,
    fn: (tx: Tx, target: Target) => Promise<ChangeOutcome<T>>): Promise<{ result: T, changed: boolean, message: MessageView, target: Target, memberIds: string[], blindIds: string[] }> {
    const out = await slots.run(async () => await prisma.$transaction(async (tx) => {
      // Lock first, then read: the read sees every change committed before the lock was granted.
      const q = txSql(tx)
      const locked = await q.query<{ id: string }>(CHANGE_LOCK_SQL, [messageId])
      if (locked.length === 0) throw messageNotFound()
      const rows = await q.query<Target>(CHANGE_TARGET_SQL, [messageId, userId])
      const target = rows[0]
      if (target === undefined || (conversationId !== undefined && target.conversation_id !== conversationId)) throw messageNotFound()
      const outcome = await fn(tx, target)
      let memberIds: string[] = []
      let blindIds: string[] = []
      if (outcome.changed) {
        // Who is told: the visibility rule, as it stands in this transaction.
        const bumped = await q.query<{ member_ids: string[] | null, blind_ids: string[] | null }>(CHANGE_BUMP_SQL, [target.conversation_id, messageId, target.conversation_type])
        memberIds = bumped[0]?.member_ids ?? [] // a channel's: none, its room gets the event
        blindIds = bumped[0]?.blind_ids ?? []
      }
      return { ...outcome, target, memberIds, blindIds }
    // Many changes of one conversation queue on its row lock, each holding a pooled
    // connection while it waits: Prisma's defaults (2 s to get one, 5 s to finish) are short.
    }, { maxWait: 10_000, timeout: 10_000 }))
    const message = await read(messageId)
    if (message === undefined) throw messageNotFound()
    if (out.changed) deps.delivery.deliver({ event: 'message:updated', payload: message, audience: membersOf({ id: out.target.conversation_id, type: out.target.conversation_type }, out.memberIds, out.blindIds) })
    return { result: out.result, changed: out.changed, message, target: out.target, memberIds: out.memberIds, blindIds: out.blindIds }
  }

  /** Runs other change work (a reaction batch's transaction) within the same bound. */
  const exclusive = slots.run

  return { read, change, exclusive }
}

export type ChangeStream = ReturnType<typeof createChangeStream>
