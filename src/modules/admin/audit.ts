import { randomUUID } from 'node:crypto'
import type { Prisma } from '../../generated/prisma/client.js'

export type AuditAction = 'user.suspend' | 'user.unsuspend' | 'user.promote' | 'user.demote' | 'message.remove' |
  'server_key.create' | 'server_key.revoke' | 'user.token'

export interface AuditRecord {
  actorId: string | null
  action: AuditAction
  targetType: 'user' | 'message' | 'server_key'
  targetId: string
  reason?: string | null
  details?: Prisma.InputJsonValue
}

/** Appends one entry, inside the caller's transaction, so an action and its record land together. */
export async function writeAudit (tx: Prisma.TransactionClient, r: AuditRecord): Promise<void> {
  await tx.auditLog.create({
    data: { id: randomUUID(), actorId: r.actorId, action: r.action, targetType: r.targetType, targetId: r.targetId, reason: r.reason ?? null, details: r.details }
  })
}
