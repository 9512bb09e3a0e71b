import type { Prisma } from '../generated/prisma/client.js'
import type { SqlClient } from './drivers.js'

/** A SqlClient whose statements also report how many rows they changed (INSERT/UPDATE/DELETE without RETURNING). */
export interface TxSql extends SqlClient {
  execute: (text: string, values: unknown[]) => Promise<number>
}

/**
 * Named SQL statements inside a Prisma interactive transaction, on its connection. The
 * statement name is not used: Prisma's driver adapter prepares statements itself.
 */
export function txSql (tx: Prisma.TransactionClient): TxSql {
  return {
    query: async <R>(text: string, values: unknown[]): Promise<R[]> => await tx.$queryRawUnsafe<R[]>(text, ...values),
    execute: async (text: string, values: unknown[]): Promise<number> => await tx.$executeRawUnsafe(text, ...values)
  }
}
