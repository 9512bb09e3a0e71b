import { randomUUID } from 'node:crypto'
import { SCHEDULED_MAX_AHEAD_S, SCHEDULED_MAX_PENDING, type ScheduledMessage, type SendableMessageType } from '@relay-im/client/protocol'
import { conflict, notFound, validation } from '../../lib/errors.js'
import { isUniqueViolation } from '../../db/constraint-errors.js'
import { txSql } from '../../db/tx-sql.js'
import { checkContent } from '../message-kinds/index.js'
import type { ConversationsDeps } from '../conversations/index.js'
import { postingRefusal } from '../messages/index.js'
import { CANCEL_SQL, EDIT_SQL, LIST_SQL, OWN_SQL, PENDING_COUNT_SQL, SENDER_LOCK_SQL } from './sql.js'
import { toScheduled, type ScheduledRow } from './view.js'

export interface ScheduleRequest {
  clientMsgId: string
  type: SendableMessageType
  content: unknown
  sendAt: string
  replyTo?: string
  mentions?: string[]
}
export interface ScheduledEditRequest { content?: unknown, sendAt?: string }

export interface ScheduledDeps extends Pick<ConversationsDeps, 'prisma' | 'sql' | 'limits' | 'friends' | 'delivery'> {
  minAheadS: number
}

/**
 * Scheduling, listing, editing and cancelling (docs/protocol.md, "Scheduled messages"). What
 * happens when a message's time comes is sender.ts. Every change is told to the author's
 * devices as `scheduled:updated`.
 */
export function createScheduledService (deps: ScheduledDeps) {
  const { prisma, sql, limits } = deps
  // One sender's schedules run one at a time on this node (the database lock orders the
  // nodes): a burst from one user holds one pooled connection, not the whole pool.
  const chains = new Map<string, Promise<unknown>>()
  async function oneAtATime<T> (senderId: string, run: () => Promise<T>): Promise<T> {
    const before = chains.get(senderId) ?? Promise.resolve()
    const mine = before.catch(() => {}).then(run)
    const settled = mine.catch(() => {})
    chains.set(senderId, settled)
    try {
      return await mine
    } finally {
      if (chains.get(senderId) === settled) chains.delete(senderId)
    }
  }

  const tell = (senderId: string, view: ScheduledMessage): void => {
    deps.delivery.deliver({ event: 'scheduled:updated', payload: view, audience: { users: [senderId] } })
  }

  /** The time, parsed and within [now + min, now + a year]; else VALIDATION. */
  function sendTime (sendAt: string): Date {
    const at = new Date(sendAt)
    const now = Date.now()
    if (Number.isNaN(at.getTime())) throw validation('sendAt: not a date-time')
    if (at.getTime() < now + deps.minAheadS * 1000) throw validation(deps.minAheadS > 0 ? `sendAt: at least ${deps.minAheadS} s ahead` : 'sendAt: in the past')
    if (at.getTime() > now + SCHEDULED_MAX_AHEAD_S * 1000) throw validation('sendAt: at most a year ahead')
    return at
  }

  async function own (userId: string, id: string): Promise<ScheduledRow | undefined> {
    return (await sql.query<ScheduledRow>(OWN_SQL, [id, userId], 'scheduled_own'))[0]
  }

  /** Why an edit or cancel matched nothing: not the caller's (or gone), or past waiting. */
  async function missed (userId: string, id: string): Promise<Error> {
    const row = await own(userId, id)
    return row === undefined ? notFound('Scheduled message not found') : conflict(`The scheduled message is ${row.status}: it can no longer be changed`)
  }

  async function schedule (senderId: string, conversationId: string, input: ScheduleRequest): Promise<{ scheduled: ScheduledMessage, created: boolean }> {
    const repeat = await prisma.scheduledMessage.findUnique({ where: { senderId_clientMsgId: { senderId, clientMsgId: input.clientMsgId } }, select: { id: true } })
    if (repeat !== null) return { scheduled: toScheduled((await own(senderId, repeat.id))!), created: false }
    const at = sendTime(input.sendAt)
    checkContent(input.type, input.content, limits)
    const refusal = await postingRefusal(deps, senderId, conversationId)
    if (refusal !== undefined) throw refusal
    if (input.replyTo !== undefined) {
      const target = await prisma.message.findUnique({ where: { id: input.replyTo }, select: { conversationId: true } })
      if (target === null) throw notFound('Message replied to not found')
      if (target.conversationId !== conversationId) throw validation('replyTo: the message is in another conversation')
    }
    if (input.mentions !== undefined && input.mentions.includes('all') && input.mentions.length > 1) throw validation('mentions: "all" stands alone')
    const sent = await prisma.message.findUnique({ where: { senderId_clientMsgId: { senderId, clientMsgId: input.clientMsgId } }, select: { id: true } })
    if (sent !== null) throw conflict('clientMsgId already names a sent message')
    const id = randomUUID()
    try {
      await oneAtATime(senderId, async () => await prisma.$transaction(async (tx) => {
        const q = txSql(tx)
        await q.query(SENDER_LOCK_SQL, [senderId])
        const [{ n }] = await q.query<{ n: number }>(PENDING_COUNT_SQL, [senderId]) as [{ n: number }]
        if (n >= SCHEDULED_MAX_PENDING) throw conflict(`At most ${SCHEDULED_MAX_PENDING} scheduled messages wait at once`)
        await tx.scheduledMessage.create({
          data: {
            id,
            senderId,
            conversationId,
            clientMsgId: input.clientMsgId,
            type: input.type,
            content: input.content as never,
            replyTo: input.replyTo ?? null,
            mentions: input.mentions === undefined ? undefined : input.mentions,
            sendAt: at
          }
        })
      }, { maxWait: 10_000, timeout: 10_000 }))
    } catch (err) {
      // Two requests with one clientMsgId at once: the second gets the first's.
      if (!isUniqueViolation(err)) throw err
      const row = await prisma.scheduledMessage.findUnique({ where: { senderId_clientMsgId: { senderId, clientMsgId: input.clientMsgId } }, select: { id: true } })
      if (row === null) throw err
      return { scheduled: toScheduled((await own(senderId, row.id))!), created: false }
    }
    const scheduled = toScheduled((await own(senderId, id))!)
    tell(senderId, scheduled)
    return { scheduled, created: true }
  }

  async function list (userId: string, conversationId?: string): Promise<ScheduledMessage[]> {
    const rows = await sql.query<ScheduledRow>(LIST_SQL, [userId, conversationId ?? null, SCHEDULED_MAX_PENDING * 2], 'scheduled_list')
    return rows.map((r) => toScheduled(r))
  }

  async function edit (userId: string, id: string, patch: ScheduledEditRequest): Promise<ScheduledMessage> {
    if (patch.content === undefined && patch.sendAt === undefined) throw validation('Give content, sendAt or both')
    const current = await own(userId, id)
    if (current === undefined) throw notFound('Scheduled message not found')
    const at = patch.sendAt === undefined ? undefined : sendTime(patch.sendAt)
    if (at === undefined && current.status === 'failed') throw validation('sendAt: a failed message needs a new time')
    if (patch.content !== undefined) checkContent(current.type as SendableMessageType, patch.content, limits)
    const [row] = await sql.query<ScheduledRow>(EDIT_SQL, [id, userId, patch.content === undefined ? null : JSON.stringify(patch.content), at ?? null], 'scheduled_edit')
    if (row === undefined) throw await missed(userId, id)
    const view = toScheduled(row)
    tell(userId, view)
    return view
  }

  async function cancel (userId: string, id: string): Promise<void> {
    const [row] = await sql.query<ScheduledRow>(CANCEL_SQL, [id, userId], 'scheduled_cancel')
    if (row === undefined) throw await missed(userId, id)
    tell(userId, toScheduled(row, 'cancelled'))
  }

  return { schedule, list, edit, cancel, tell }
}

export type ScheduledService = ReturnType<typeof createScheduledService>
