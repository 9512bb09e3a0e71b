import t from 'tap'
import { build, createTestDatabase, servicesMode } from '../helper.js'

/**
 * Nodes that start together on a new PostgreSQL database all install pg-boss's schema; the
 * losers of that race must start too (CI once saw one exit with a unique violation on
 * pg_namespace, src/plugins/jobs.ts). PGlite is one process: nothing races there.
 */
t.test('four nodes starting at once on a new database all start and share one queue', { skip: servicesMode ? false : 'needs PostgreSQL (TEST_SERVICES=1)' }, async (t) => {
  for (let round = 0; round < 3; round++) {
    const databaseUrl = await createTestDatabase(t, { empty: true })
    const apps = await Promise.all(Array.from({ length: 4 }, async () => await build(t, { JOBS_WORKER: true }, { databaseUrl })))
    t.equal(apps.length, 4, `round ${round}: every node started`)
    const rows = await apps[0]!.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM pgboss.version', [])
    t.equal(rows[0]!.n, 1, `round ${round}: one pg-boss installation`)
    await Promise.all(apps.map(async (app) => { await app.close() }))
  }
})
