// GET /api/users?q= runs Prisma's `startsWith`: `username::text LIKE ($1 || '%')`. PostgreSQL
// turns a constant LIKE prefix into an index range only on an index whose ordering is bytewise:
// the unique index on username follows the database collation, which serves it under C but not
// under en_US or ICU, where the search scanned the whole table. Migration
// 20261201000100_users_username_pattern_index adds a text_pattern_ops index for it; this test
// plans the query on a database with an ICU collation (what a production cluster often has).
import t from 'tap'
import pg from 'pg'
import { randomUUID } from 'node:crypto'
import { migrate } from '../../src/db/migrator.js'
import { PG_ADMIN_URL, servicesMode } from '../helper.js'
import { postgresRunner } from './runners.js'

// The statement Prisma 7 sends for users.search() (seen in its query log), with its parameters.
const SEARCH_SQL = 'SELECT "public"."users"."id", "public"."users"."username" FROM "public"."users" WHERE "public"."users"."username"::text LIKE ($1 || \'%\') ORDER BY "public"."users"."username" ASC LIMIT $2 OFFSET $3'

/** Every node of a JSON plan, flattened. */
function nodes (plan: any): any[] {
  return [plan, ...((plan.Plans as any[] | undefined) ?? []).flatMap(nodes)]
}

t.test('username prefix search is an index range under a non-C collation', { skip: !servicesMode ? 'needs PostgreSQL (PGlite has only the C collation)' : false }, async (t) => {
  const name = `relay_test_${randomUUID().replaceAll('-', '')}`
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`)
  } finally {
    await admin.end()
  }
  t.teardown(async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL })
    await c.connect()
    try { await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) } finally { await c.end() }
  })
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  const db = await postgresRunner(t, url.toString())
  const [locale] = await db.query<{ provider: string, icu: string }>('SELECT datlocprovider AS provider, daticulocale AS icu FROM pg_database WHERE datname = current_database()')
  t.same(locale, { provider: 'i', icu: 'en-US' }, 'an ICU collation, where the unique index does not serve LIKE')

  await migrate(db)
  await db.exec(`INSERT INTO users (id, username, display_name, password_hash)
    SELECT gen_random_uuid(), 'user' || i, 'x', 'x' FROM generate_series(1, 5000) AS i;
    ANALYZE users`)

  const [row] = await db.query<{ 'QUERY PLAN': any }>(`EXPLAIN (FORMAT JSON) ${SEARCH_SQL}`, ['user4321', 20, 0])
  const plan = nodes(row!['QUERY PLAN'][0].Plan)
  const scan = plan.find((p) => p['Index Name'] === 'users_username_pattern_idx')
  t.ok(scan, 'the pattern index is used', { plan: JSON.stringify(plan.map((p) => [p['Node Type'], p['Index Name'], p['Index Cond'], p.Filter])) })
  t.match(scan?.['Index Cond'], /~>=~.*~<~/, 'as a range on the prefix')
  t.notOk(plan.some((p) => p['Node Type'] === 'Seq Scan'), 'no sequential scan')

  const found = await db.query<{ username: string }>(SEARCH_SQL, ['user432', 20, 0])
  t.same(found.map((r) => r.username), ['user432', 'user4320', 'user4321', 'user4322', 'user4323', 'user4324', 'user4325', 'user4326', 'user4327', 'user4328', 'user4329'], 'and the answer is the same')
})
