import { randomUUID } from 'node:crypto'
import type { PrismaClient } from '../../generated/prisma/client.js'
import { Errors, rateLimited, validation } from '../../lib/errors.js'
import { type ReportView, cleanText } from '../admin/index.js'
import { txSql } from '../../db/tx-sql.js'
import { REPORTABLE_MESSAGE_SQL, REPORTER_LOCK_SQL } from './sql.js'

export interface ReportLimits {
  /** Reports one user may file per window. */
  max: number
  windowMs: number
}

export const DEFAULT_REPORT_LIMITS: ReportLimits = { max: 10, windowMs: 10 * 60_000 }

/**
 * User reports of a message or a user. The target must be visible to the reporter: a message
 * in a conversation they are a member of, an existing account other than their own. The
 * flood limit is counted in the database (so every node shares it) under a per-reporter
 * transaction lock, so concurrent reports cannot slip past it.
 */
export function createReportsService (prisma: PrismaClient, limits: ReportLimits = DEFAULT_REPORT_LIMITS) {
  return {
    async create (reporterId: string, input: { messageId?: string, userId?: string, reason: string }): Promise<ReportView> {
      const { messageId, userId } = input
      if ((messageId === undefined) === (userId === undefined)) throw validation('Give exactly one of messageId and userId')
      if (userId === reporterId) throw validation('You cannot report yourself')
      const reason = cleanText(input.reason)
      const row = await prisma.$transaction(async (tx) => {
        await txSql(tx).execute(REPORTER_LOCK_SQL, ['report:' + reporterId])
        if (messageId !== undefined) {
          const visible = await txSql(tx).query<{ id: string }>(REPORTABLE_MESSAGE_SQL, [reporterId, messageId])
          if (visible.length === 0) throw Errors.messageNotFound()
        } else {
          const target = await tx.user.findUnique({ where: { id: userId }, select: { deletedAt: true } })
          if (target === null || target.deletedAt !== null) throw Errors.userNotFound()
        }
        const recent = await tx.report.count({ where: { reporterId, createdAt: { gt: new Date(Date.now() - limits.windowMs) } } })
        if (recent >= limits.max) throw rateLimited(`At most ${limits.max} reports per ${Math.round(limits.windowMs / 60_000)} minutes`)
        return await tx.report.create({ data: { id: randomUUID(), reporterId, messageId: messageId ?? null, targetUserId: userId ?? null, reason } })
      })
      return { id: row.id, reporterId: row.reporterId, messageId: row.messageId, userId: row.targetUserId, reason: row.reason, createdAt: row.createdAt.toISOString() }
    }
  }
}
