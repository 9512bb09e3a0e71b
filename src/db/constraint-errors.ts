import { Prisma } from '../generated/prisma/client.js'

/** The SQLSTATE behind an error from pg, PGlite, or Prisma (P2010/P20xx with the driver adapter's cause). */
export function sqlState (err: unknown): string | undefined {
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

/**
 * A unique violation: SQLSTATE 23505 straight from pg or PGlite, or through Prisma as P2002
 * (model API) or P2010 with the driver's code (raw).
 */
export function isUniqueViolation (err: unknown): boolean {
  if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') return true
  const kind = ((err as { meta?: { driverAdapterError?: { cause?: { kind?: string } } } } | null)?.meta?.driverAdapterError?.cause?.kind)
  return sqlState(err) === '23505' || kind === 'UniqueConstraintViolation'
}
