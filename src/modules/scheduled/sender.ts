import type { FastifyBaseLogger } from 'fastify'
import type { ErrorCode, ScheduledMessage } from '@relay-im/client/protocol'
import { AppError, forbidden } from '../../lib/errors.js'
import { isSuspended } from '../../lib/suspension.js'
import type { SqlClient } from '../../db/drivers.js'
import type { ConversationsDeps } from '../conversations/index.js'
import type { MessageService } from '../messages/index.js'
import { CLAIM_SQL, FINISH_SQL } from './sql.js'
import { toScheduled, type ScheduledRow } from './view.js'

/** Refusals that a later try would get again: the message is marked failed at once. */
const FINAL: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['VALIDATION', 'FORBIDDEN', 'NOT_FOUND', 'PAYLOAD_TOO_LARGE', 'UNAUTHORIZED'])
/** A message whose sends kept failing for other reasons (the database, a lost race) is given up after this many claims. */
export const SEND_ATTEMPTS = 5

export interface SenderDeps {
  sql: SqlClient
  prisma: ConversationsDeps['prisma']
  messages: Pick<MessageService, 'send'>
  tell: (senderId: string, view: ScheduledMessage) => void
  log: Pick<FastifyBaseLogger, 'warn'>
}

/**
 * Sends one scheduled message whose time came (the job's work). Exactly once: the row is
 * claimed (`sending`), the message goes through the ordinary send service with the row's
 * clientMsgId (the unique (sender, clientMsgId) makes a second send return the first's
 * message: a retry after a crash, or a second worker), and the outcome is recorded only by
 * the claim's row, so the author is told once. Membership, friendship, blocks, mentions and
 * the reply target are checked by that send, as for a user's; a refusal marks it failed.
 */
export function createScheduledSender (deps: SenderDeps) {
  const attempts = new Map<string, number>()

  async function finish (row: ScheduledRow, outcome: { messageId: string } | { error: AppError }): Promise<void> {
    const values = 'messageId' in outcome
      ? [row.id, 'sent', outcome.messageId, null, null]
      : [row.id, 'failed', null, outcome.error.code, outcome.error.message]
    const [done] = await deps.sql.query<ScheduledRow>(FINISH_SQL, values, 'scheduled_finish')
    if (done !== undefined) deps.tell(done.sender_id, toScheduled(done))
  }

  /** `attempt`: how many times this node has tried it (pg-boss retries a thrown error). */
  async function sendDue (id: string): Promise<void> {
    const [row] = await deps.sql.query<ScheduledRow>(CLAIM_SQL, [id], 'scheduled_claim')
    if (row === undefined) return
    const user = await deps.prisma.user.findUnique({ where: { id: row.sender_id }, select: { suspendedAt: true, suspendedUntil: true, deletedAt: true } })
    if (user === null || user.deletedAt !== null || isSuspended(user)) {
      await finish(row, { error: user?.deletedAt == null && user !== null ? forbidden('Suspended') : forbidden('The account was deleted') })
      return
    }
    try {
      const { message } = await deps.messages.send(row.sender_id, row.conversation_id, {
        clientMsgId: row.client_msg_id,
        type: row.type as ScheduledMessage['type'],
        content: row.content,
        replyTo: row.reply_to ?? undefined,
        mentions: (row.mentions as string[] | null) ?? undefined
      })
      await finish(row, { messageId: message.id })
      attempts.delete(id)
    } catch (err) {
      if (err instanceof AppError && FINAL.has(err.code)) {
        await finish(row, { error: err })
        attempts.delete(id)
        return
      }
      const n = (attempts.get(id) ?? 0) + 1
      attempts.set(id, n)
      if (n >= SEND_ATTEMPTS) {
        attempts.delete(id)
        await finish(row, { error: err instanceof AppError ? err : new AppError('INTERNAL', 'Could not be sent') })
        return
      }
      deps.log.warn({ err, scheduledId: id, attempt: n }, 'scheduled send failed; left for a retry')
      throw err
    }
  }

  return { sendDue }
}
