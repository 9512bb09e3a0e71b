/*
 * The friends module's named SQL statements (README.md, "Project layout": data access), run
 * through SqlClient.query: txSql(tx) inside a Prisma transaction.
 */

/** The pair's lock ($1: the lock class, $2: the pair's key), until the transaction ends. */
export const PAIR_LOCK_SQL = 'SELECT pg_advisory_xact_lock($1::int, hashtext($2))'
