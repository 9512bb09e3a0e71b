import t from 'tap'
import { build, createTestDatabase, ownDatabase, servicesMode } from '../helper.js'

// Its own database: the queues' settings are read here, and other files' apps start with theirs.
ownDatabase()

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

t.test('a start leaves the queues alone when they are as the config says, and writes a changed setting', async (t) => {
  const queues = async (app: Awaited<ReturnType<typeof build>>): Promise<Map<string, { expire: number, updated: string }>> => new Map(
    (await app.sql.query<{ name: string, expire: number, updated: string }>('SELECT name, expire_seconds AS expire, updated_on::text AS updated FROM pgboss.queue', []))
      .map((r) => [r.name, { expire: r.expire, updated: r.updated }]))
  const first = await build(t, { JOBS_EXPIRE_S: 900 })
  const before = await queues(first)
  t.ok(before.size >= 6, `${before.size} queues`)
  await build(t, { JOBS_EXPIRE_S: 900 })
  t.same(await queues(first), before, 'a second start with the same settings wrote no queue')
  await build(t, { JOBS_EXPIRE_S: 1200 })
  const after = await queues(first)
  const changed = [...after].filter(([name, q]) => q.expire === 1200 && q.updated !== before.get(name)?.updated).map(([name]) => name)
  t.ok(changed.length >= 5, `a start with another expiry wrote it to the queues that take it (${changed.join(', ')})`)
  t.same([...after.keys()].sort(), [...before.keys()].sort(), 'no queue made or lost')
})
