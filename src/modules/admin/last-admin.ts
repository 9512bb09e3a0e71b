import type { Prisma, PrismaClient } from '../../generated/prisma/client.js'
import { sqlState } from '../../db/constraint-errors.js'
import { txSql } from '../../db/tx-sql.js'
import { ADMIN_REMAINS_WITHOUT_SQL } from './sql.js'

/**
 * "At least one active human platform admin remains" is decided by the database, in one
 * function (migration 20261206000000_membership_trust: the trigger platform_admin_must_remain
 * on users and platform_admin_remains_without), so the admin routes, account deletion, the
 * admin command line (scripts/admin.mjs) and hand-written SQL all obey it, race-free. A change
 * that breaks it fails with this SQLSTATE; callers turn it into CONFLICT.
 */
export const LAST_ADMIN_SQLSTATE = 'RA001'

/** The database refused a change because it would leave no active human admin. */
export function isLastAdminRefusal (err: unknown): boolean {
  if (sqlState(err) === LAST_ADMIN_SQLSTATE) return true
  // Prisma's model API may wrap an unknown SQLSTATE into its message only.
  return err instanceof Error && err.message.includes('At least one active platform admin must remain')
}

/**
 * Whether an active human admin other than `userId` exists now: a pre-check for changes that
 * do irreversible work before the guarded update (account deletion leaves groups first). Not
 * a guarantee: the trigger is.
 */
export async function adminRemainsWithout (db: PrismaClient | Prisma.TransactionClient, userId: string): Promise<boolean> {
  const [row] = await txSql(db).query<{ ok: boolean }>(ADMIN_REMAINS_WITHOUT_SQL, [userId])
  return row?.ok === true
}
