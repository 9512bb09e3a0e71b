import type { AnyMessage as Message } from '@relay-im/client/protocol'
import type { Delivery } from '../../delivery/index.js'
import type { PrismaClient, User } from '../../generated/prisma/client.js'
import { conflict, Errors, validation } from '../../lib/errors.js'
import { isSuspended } from '../../lib/suspension.js'
import { writeAudit } from './audit.js'
import { isLastAdminRefusal } from './last-admin.js'
import { cleanText } from './text.js'
import { after, encodeCursor } from './keyset.js'
import { announceRemoval, removeMessageContent } from './message-removal.js'
import type { AdminUser, AuditEntry, ReportView } from './schemas.js'

export interface AdminServiceDeps {
  prisma: PrismaClient
  /** Cuts the user's access tokens issued before `atMs` and their sockets, on every node. */
  endSessions: (userId: string, atMs: number) => Promise<void>
  /** After a removal commits (src/delivery). */
  delivery: Pick<Delivery, 'deliver'>
  /** The message in its current state, as members see it (for `message:updated`). */
  readMessage: (messageId: string) => Promise<Message | undefined>
}

type UserRow = Pick<User, 'id' | 'username' | 'displayName' | 'avatarUrl' | 'createdAt' | 'role' | 'suspendedAt' | 'suspendedUntil' | 'suspendedReason' | 'deletedAt'>
const adminUserSelect = { id: true, username: true, displayName: true, avatarUrl: true, createdAt: true, role: true, suspendedAt: true, suspendedUntil: true, suspendedReason: true, deletedAt: true } as const

export function toAdminUser (r: UserRow): AdminUser {
  const suspended = isSuspended(r)
  return {
    id: r.id,
    username: r.username,
    displayName: r.displayName,
    avatarUrl: r.avatarUrl,
    createdAt: r.createdAt.toISOString(),
    role: r.role,
    suspended,
    // An expired suspension reads as none, although its columns are only cleared by unsuspend.
    suspendedAt: suspended ? r.suspendedAt?.toISOString() ?? null : null,
    suspendedUntil: suspended ? r.suspendedUntil?.toISOString() ?? null : null,
    suspendedReason: suspended ? r.suspendedReason : null,
    deleted: r.deletedAt !== null
  }
}

/** Parses `until`: a future instant, or VALIDATION. */
export function parseUntil (until: string | undefined, now = Date.now()): Date | null {
  if (until === undefined) return null
  const at = new Date(until)
  // The pattern admits 2026-13-45T…; Date refuses it (NaN). A past moment suspends nobody.
  if (Number.isNaN(at.getTime())) throw validation('until: not a valid date')
  if (at.getTime() <= now) throw validation('until: must be in the future')
  return at
}

export interface Page<T> { items: T[], nextCursor: string | null }

/** Admin and moderation: users, suspension, message removal, reports, the audit log. */
export function createAdminService (deps: AdminServiceDeps) {
  const { prisma } = deps

  async function page<R extends { id: string, createdAt: Date }, T> (rows: R[], limit: number, map: (r: R) => T): Promise<Page<T>> {
    const more = rows.length > limit
    const items = more ? rows.slice(0, limit) : rows
    const last = items[items.length - 1]
    return { items: items.map(map), nextCursor: more && last !== undefined ? encodeCursor({ at: last.createdAt, id: last.id }) : null }
  }

  return {
    /** Username prefix (any case), or everybody; alphabetical. Deleted accounts included (flagged). */
    async listUsers (q: string | undefined, limit: number): Promise<AdminUser[]> {
      const prefix = (q ?? '').trim().toLowerCase().replace(/[\\%_]/g, '\\$&')
      const rows = await prisma.user.findMany({
        where: prefix === '' ? {} : { username: { startsWith: prefix } },
        select: adminUserSelect,
        orderBy: { username: 'asc' },
        take: limit
      })
      return rows.map(toAdminUser)
    },

    /**
     * Suspends a user: login and refresh refused, refresh tokens revoked, access tokens issued
     * before now cut off and sockets closed on every node (as a password change does).
     * Suspending again replaces the reason and `until`.
     */
    async suspend (actorId: string | null, userId: string, reason: string, untilText: string | undefined, via?: { serverKeyId: string }): Promise<AdminUser> {
      if (userId === actorId) throw validation('You cannot suspend yourself')
      const until = parseUntil(untilText)
      reason = cleanText(reason)
      const now = new Date()
      // The last active admin cannot be suspended: the database refuses it (last-admin.ts).
      const row = await prisma.$transaction(async (tx) => {
        const target = await tx.user.findUnique({ where: { id: userId }, select: adminUserSelect })
        if (target === null || target.deletedAt !== null) throw Errors.userNotFound()
        const updated = await tx.user.update({
          where: { id: userId },
          data: { suspendedAt: now, suspendedUntil: until, suspendedReason: reason, tokensValidAfter: now },
          select: adminUserSelect
        })
        await tx.refreshToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } })
        await writeAudit(tx, { actorId, action: 'user.suspend', targetType: 'user', targetId: userId, reason, details: { until: until?.toISOString() ?? null, ...via } })
        return updated
      }).catch((err: unknown) => {
        if (isLastAdminRefusal(err)) throw conflict('The last active admin cannot be suspended')
        throw err
      })
      await deps.endSessions(userId, now.getTime())
      return toAdminUser(row)
    },

    /** Lifts a suspension; audited when there was one to lift (also an expired one). */
    async unsuspend (actorId: string | null, userId: string, via?: { serverKeyId: string }): Promise<AdminUser> {
      const row = await prisma.$transaction(async (tx) => {
        const target = await tx.user.findUnique({ where: { id: userId }, select: adminUserSelect })
        if (target === null || target.deletedAt !== null) throw Errors.userNotFound()
        if (target.suspendedAt === null) return target
        const updated = await tx.user.update({ where: { id: userId }, data: { suspendedAt: null, suspendedUntil: null, suspendedReason: null }, select: adminUserSelect })
        await writeAudit(tx, { actorId, action: 'user.unsuspend', targetType: 'user', targetId: userId, details: { wasSuspended: isSuspended(target), ...via } })
        return updated
      })
      return toAdminUser(row)
    },

    /** Removes a message's content (and its forwarded copies') for everyone; members are told live. Already removed: no-op. */
    async removeMessage (actorId: string, messageId: string, reason: string | undefined): Promise<void> {
      if (reason !== undefined) reason = cleanText(reason)
      const removed = await prisma.$transaction(async (tx) => {
        const all = await removeMessageContent(tx, messageId)
        const m = all?.[0]
        if (all === null || m === undefined) throw Errors.messageNotFound()
        const copies = all.slice(1).filter((c) => c.changed).map((c) => c.id)
        if (m.changed || copies.length > 0) {
          await writeAudit(tx, { actorId, action: 'message.remove', targetType: 'message', targetId: messageId, reason: reason ?? null, details: { conversationId: m.conversationId, seq: m.seq, senderId: m.senderId, ...(copies.length > 0 ? { forwardedCopies: copies } : {}) } })
        }
        return all
      })
      // The message and its forwarded copies, each to those who see it.
      for (const r of removed) announceRemoval(deps.delivery, r, r.changed ? await deps.readMessage(r.id) : undefined)
    },

    async listReports (limit: number, cursor: string | undefined): Promise<Page<ReportView>> {
      const rows = await prisma.report.findMany({ where: after(cursor), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit + 1 })
      return await page(rows, limit, (r) => ({ id: r.id, reporterId: r.reporterId, messageId: r.messageId, userId: r.targetUserId, reason: r.reason, createdAt: r.createdAt.toISOString() }))
    },

    async listAudit (limit: number, cursor: string | undefined): Promise<Page<AuditEntry>> {
      const rows = await prisma.auditLog.findMany({ where: after(cursor), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit + 1 })
      return await page(rows, limit, (r) => ({ id: r.id, actorId: r.actorId, action: r.action, targetType: r.targetType, targetId: r.targetId, reason: r.reason, details: r.details ?? null, createdAt: r.createdAt.toISOString() }))
    }
  }
}

export type AdminService = ReturnType<typeof createAdminService>
