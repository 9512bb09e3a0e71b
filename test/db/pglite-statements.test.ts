import tap from 'tap'
import { PGlite } from '@electric-sql/pglite'
import { pgliteStatements } from '../../src/db/pglite-statements.js'
import { emptyPgliteDump } from '../prepared-databases.js'

interface Prepared { name: string, generic_plans: number, custom_plans: number }

tap.test('PGlite named statements: prepared once, the same rows as query, errors with their codes', async (t) => {
  const client = await PGlite.create('memory://', { loadDataDir: await emptyPgliteDump() })
  t.teardown(async () => { await client.close() })
  await client.exec(`
    CREATE TABLE items (id uuid PRIMARY KEY, n int NOT NULL, tags text[] NOT NULL, meta jsonb, at timestamptz NOT NULL);
    INSERT INTO items SELECT gen_random_uuid(), g, ARRAY['t' || g, 'x'], CASE WHEN g % 2 = 0 THEN jsonb_build_object('g', g) END, now() - g * interval '1 minute'
    FROM generate_series(1, 200) g;`)
  const sql = pgliteStatements(client)
  const prepared = async (): Promise<Prepared[]> => (await client.query<Prepared>('SELECT name, generic_plans::int, custom_plans::int FROM pg_prepared_statements ORDER BY name')).rows

  const text = 'SELECT id, n, tags, meta, at FROM items WHERE n = ANY($1::int[]) AND ($2::text IS NULL OR $2 = ANY(tags)) ORDER BY n'
  const expected = (await client.query(text, [[2, 3, 150], null])).rows
  t.equal(expected.length, 3)
  for (let i = 0; i < 8; i++) {
    t.same(await sql.query(text, [[2, 3, 150], null], 'items_by_n'), expected, `call ${i + 1}: the rows query returns, parsed alike (uuid, int, text[], jsonb, timestamptz)`)
  }
  const rows = await sql.query<{ at: Date, meta: unknown, tags: string[] }>(text, [[2], 't2'], 'items_by_n')
  t.ok(rows[0]?.at instanceof Date, 'timestamptz as Date')
  t.same(rows[0]?.meta, { g: 2 }, 'jsonb parsed')
  t.same(rows[0]?.tags, ['t2', 'x'], 'arrays parsed')
  t.same(await sql.query(text, [[9999], undefined], 'items_by_n'), [], 'no rows, undefined as NULL')

  for (let i = 0; i < 3; i++) await sql.query('SELECT count(*)::int AS c FROM items WHERE n < $1::int', [100], 'items_below')
  const [below, byN, ...others] = await prepared()
  t.same(others, [], 'each statement prepared once, on the one session')
  t.equal(below?.name, 'items_below')
  t.equal((below?.generic_plans ?? 0) + (below?.custom_plans ?? 0), 3, 'one execution per call')
  t.equal(byN?.name, 'items_by_n')
  t.equal((byN?.generic_plans ?? 0) + (byN?.custom_plans ?? 0), 10, 'one execution per call, the plan left to PostgreSQL')

  // Statements without rows, and rows through RETURNING.
  t.same(await sql.query('UPDATE items SET n = n + 1000 WHERE n = $1::int', [1], 'bump'), [], 'no RETURNING: no rows')
  t.same(await sql.query<{ n: number }>('UPDATE items SET n = n - 1000 WHERE n = $1::int RETURNING n', [1001], 'unbump'), [{ n: 1 }])

  t.test('an error reaches the caller with its code; the session goes on', async (t) => {
    await t.rejects(sql.query('SELECT 1 / $1::int AS x', [0], 'divide'), { code: '22012' })
    t.same(await sql.query('SELECT 1 / $1::int AS x', [1], 'divide'), [{ x: 1 }], 'the statement survives its failed call')
    await t.rejects(sql.query('SELEKT $1::int', [1], 'typo'), { code: '42601' }, 'a syntax error on prepare')
    t.same(await sql.query('SELECT $1::int AS fixed', [1], 'typo'), [{ fixed: 1 }], 'nothing was kept under the name that failed to prepare')
    await t.rejects(sql.query('SELECT 2 AS other', [], 'typo'), /already prepared with another text/, 'one name, one text')
  })

  t.test('waits for an open transaction instead of running inside it', async (t) => {
    let release!: () => void
    let inserted!: () => void
    const held = new Promise<void>((resolve) => { release = resolve })
    const open = new Promise<void>((resolve) => { inserted = resolve })
    const tx = client.transaction(async (tr) => {
      await tr.query('INSERT INTO items VALUES (gen_random_uuid(), 5000, ARRAY[]::text[], NULL, now())')
      inserted()
      await held
      await tr.rollback()
    })
    await open
    const count = sql.query<{ c: number }>('SELECT count(*)::int AS c FROM items WHERE n = $1::int', [5000], 'count_n')
    let done = false
    void count.then(() => { done = true })
    await new Promise((resolve) => setTimeout(resolve, 50))
    t.notOk(done, 'still waiting while the transaction is open')
    release()
    await tx
    t.same(await count, [{ c: 0 }], 'ran after the rollback: never saw the uncommitted row')
  })
})
