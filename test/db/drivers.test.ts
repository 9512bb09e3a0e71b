import tap from 'tap'
import pg from 'pg'
import { openDatabase } from '../../src/db/drivers.js'
import { createTestDatabase, PG_ADMIN_URL } from '../helper.js'

// Needs the real PostgreSQL (always running beside the suite), as send-statement.test.ts does.
tap.test('an idle pooled connection killed by the server is reported to onPoolError, and the next query works', async (t) => {
  const url = await createTestDatabase(t)
  const errors: Error[] = []
  const db = await openDatabase({ databaseUrl: url, pgliteDir: 'memory://', poolMax: 2, onPoolError: (err) => { errors.push(err) } })
  t.teardown(async () => { await db.close() })
  await db.sql.query('SELECT 1', [])

  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  try {
    const { rows } = await admin.query('SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()) x', [new URL(url).pathname.slice(1)])
    t.ok(rows[0].n >= 1, 'the idle connection was terminated')
  } finally {
    await admin.end()
  }
  for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  t.ok(errors.length >= 1, 'the pool error reached the callback')
  t.same(await db.sql.query<{ one: number }>('SELECT 1 AS one', []), [{ one: 1 }], 'the pool recovers')
})

tap.test('PGlite opens with the configured shared_buffers (PGLITE_SHARED_BUFFERS_MB), and with Liftoff only still answers', async (t) => {
  const db = await openDatabase({ pgliteDir: 'memory://', poolMax: 1, pglite: { sharedBuffersMb: 16, liftoffOnly: true } })
  t.teardown(async () => { await db.close() })
  t.same(await db.sql.query<{ shared_buffers: string }>('SHOW shared_buffers', []), [{ shared_buffers: '16MB' }])
  t.same(await db.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM messages', []), [{ n: 0 }], 'migrated and queryable')
})
