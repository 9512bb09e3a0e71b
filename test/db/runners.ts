import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import pg from 'pg'
import type { Test } from 'tap'
import type { SqlRunner } from '../../src/db/migrator.js'
import { createTestDatabase, servicesMode } from '../helper.js'
import { emptyPgliteDump } from '../prepared-databases.js'

/** A fresh, empty in-memory PGlite behind the migrator's SqlRunner, closed in teardown. */
export async function pgliteRunner (t: Test): Promise<SqlRunner> {
  const client = await PGlite.create('memory://', { extensions: { pg_trgm }, loadDataDir: await emptyPgliteDump() })
  t.teardown(async () => { await client.close() })
  return {
    exec: async (sql) => { await client.exec(sql) },
    query: async (sql, params) => (await client.query<any>(sql, params)).rows
  }
}

/** One connection to a fresh PostgreSQL database (services mode), dropped in teardown. */
export async function postgresRunner (t: Test, url?: string): Promise<SqlRunner> {
  const client = new pg.Client({ connectionString: url ?? await createTestDatabase(t, { empty: true }) })
  await client.connect()
  // Registered after createTestDatabase's teardown, so it runs first (tap runs them in reverse).
  t.teardown(async () => { await client.end() })
  return {
    exec: async (sql) => { await client.query(sql) },
    query: async (sql, params) => (await client.query(sql, params as unknown[])).rows
  }
}

/** The store this mode tests: PGlite by default, a fresh PostgreSQL database with TEST_SERVICES=1. */
export async function freshRunner (t: Test): Promise<SqlRunner> {
  return servicesMode ? await postgresRunner(t) : await pgliteRunner(t)
}
