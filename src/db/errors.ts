import { Prisma } from '../generated/prisma/client.js'

/** The SQLSTATE behind an error from pg, PGlite, or Prisma (P2010/P20xx with the driver adapter's cause). */
function sqlState (err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code
  if (!(err instanceof Prisma.PrismaClientKnownRequestError)) return undefined
  const cause = (err.meta as { driverAdapterError?: { cause?: { originalCode?: string } } } | undefined)?.driverAdapterError?.cause
  return cause?.originalCode
}

/** A row points at a row that does not exist (e.g. the caller's user was deleted). */
export function isForeignKeyViolation (err: unknown): boolean {
  if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2003') return true
  const kind = ((err as { meta?: { driverAdapterError?: { cause?: { kind?: string } } } } | null)?.meta?.driverAdapterError?.cause?.kind)
  return sqlState(err) === '23503' || kind === 'ForeignKeyConstraintViolation'
}
