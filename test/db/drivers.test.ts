import tap, { type Test } from 'tap'
import pg from 'pg'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { openDatabase } from '../../src/db/drivers.js'
import { createTestDatabase, PG_ADMIN_URL, tempDir } from '../helper.js'
import { copyPreparedPgliteDir } from '../prepared-databases.js'

const run = promisify(execFile)
const ROOT = join(import.meta.dirname, '..', '..')

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

tap.test('PGlite opens with the configured shared_buffers (PGLITE_SHARED_BUFFERS_MB)', async (t) => {
  const db = await openDatabase({ pgliteDir: 'memory://', poolMax: 1, pglite: { sharedBuffersMb: 16 } })
  t.teardown(async () => { await db.close() })
  t.same(await db.sql.query<{ shared_buffers: string }>('SHOW shared_buffers', []), [{ shared_buffers: '16MB' }])
  t.same(await db.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM messages', []), [{ n: 0 }], 'migrated and queryable')
})

/**
 * V8's own account of each WebAssembly function it compiles (--trace-wasm-compilation-times),
 * in a process of its own: the flags stay set for the rest of a process. Set in-process after
 * V8's start, `--liftoff-only` alone once left the optimising tier on (Node 24).
 */
async function wasmTiers (t: Test, liftoffOnly: boolean): Promise<{ liftoff: number, turbofan: number, answers: string }> {
  const dir = await copyPreparedPgliteDir(join(tempDir(t), 'pglite'))
  const child = `
    const { openDatabase } = await import(${JSON.stringify(new URL('../../src/db/drivers.ts', import.meta.url).href)})
    const db = await openDatabase({ pgliteDir: ${JSON.stringify(dir)}, poolMax: 1, pglite: { liftoffOnly: ${String(liftoffOnly)} } })
    let sum = 0
    for (let i = 0; i < 500; i++) sum += (await db.sql.query('SELECT $1::int + 1 AS n', [i]))[0].n
    await db.close()
    console.error('answers', sum)`
  const { stdout, stderr } = await run(process.execPath, ['--conditions=@relay-im/source', '--import=./test/typescript-loader.mjs', '--trace-wasm-compilation-times', '--input-type=module', '-e', child], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 })
  // "Compiled function <module>#<index> using <tier>, …" on stdout, from V8's compiling threads
  // too (the answer goes to stderr, where no trace line can split it): PostgreSQL is the module
  // with the most functions (the type stripping of the loader is WebAssembly too, compiled earlier).
  const byModule = new Map<string, { liftoff: number, turbofan: number }>()
  for (const [, module, tier] of stdout.matchAll(/^Compiled function (0x[0-9a-f]+)#\d+ using (\w+)/gm)) {
    const counts = byModule.get(module!) ?? { liftoff: 0, turbofan: 0 }
    if (tier === 'Liftoff') counts.liftoff++
    else if (tier === 'TurboFan') counts.turbofan++
    byModule.set(module!, counts)
  }
  const postgres = [...byModule.values()].sort((a, b) => b.liftoff + b.turbofan - a.liftoff - a.turbofan)[0] ?? { liftoff: 0, turbofan: 0 }
  return { ...postgres, answers: stderr.match(/answers \d+/)?.[0] ?? '' }
}

tap.test('PGLITE_LIFTOFF_ONLY: PGlite\'s WebAssembly is compiled by Liftoff only, and by both tiers without it', async (t) => {
  const [only, tiered] = await Promise.all([wasmTiers(t, true), wasmTiers(t, false)])
  t.equal(only.answers, 'answers 125250', 'Liftoff only: the queries are answered')
  t.ok(only.liftoff > 100, `Liftoff compiled PostgreSQL's functions (${only.liftoff})`)
  t.equal(only.turbofan, 0, 'and TurboFan none')
  t.equal(tiered.answers, 'answers 125250')
  t.ok(tiered.turbofan > 0, `by default the hot functions are optimised (${tiered.turbofan} by TurboFan): the workload reaches the tier the flag turns off`)
})
