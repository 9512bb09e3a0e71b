/**
 * How long the operator's commands take on a store of a given size, and how big the backup
 * is: an embedded store with MESSAGES messages (default 50,000, about 100 characters each)
 * in one group, then `npm run admin -- backup` (server stopped: the command reads the files),
 * `restore` into a new DATA_DIR, and `move-to-postgres` into a new database on PG_URL
 * (default postgresql://postgres@127.0.0.1:5432/postgres; skipped with PG_URL=none).
 *
 *   npx tsx --conditions=@relay-im/source bench/ops-store.ts
 */
import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { openDatabase } from '../src/db/drivers.js'

const N = Number(process.env.MESSAGES ?? 50_000)
const PG_URL = process.env.PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
const admin = join(import.meta.dirname, '..', 'scripts', 'admin.mjs')
const work = mkdtempSync(join(tmpdir(), 'relay-ops-bench-'))
const du = (dir: string): number => Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0])
const timed = (label: string, env: Record<string, string>, ...args: string[]): void => {
  const t0 = Date.now()
  execFileSync(process.execPath, [admin, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'inherit'] })
  console.log(`${label}: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
}

try {
  const dataDir = join(work, 'data')
  const db = await openDatabase({ pgliteDir: join(dataDir, 'pglite'), poolMax: 1 })
  const user = await db.prisma.user.create({ data: { id: randomUUID(), username: `bench${Date.now()}`, displayName: 'bench', passwordHash: 'x' } })
  const conversation = await db.prisma.conversation.create({ data: { id: randomUUID(), type: 'group', name: 'bench', ownerId: user.id } })
  const t0 = Date.now()
  await db.sql.query(`INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, type, content)
    SELECT gen_random_uuid(), $1::uuid, g, $2::uuid, 'c' || g, 'text', to_jsonb('message ' || g || ' ' || repeat('lorem ipsum ', 8))
    FROM generate_series(1, $3::int) g`, [conversation.id, user.id, N])
  await db.sql.query('UPDATE conversations SET last_seq = $2 WHERE id = $1::uuid', [conversation.id, N])
  console.log(`seeded ${N} messages in ${((Date.now() - t0) / 1000).toFixed(1)} s; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
  await db.close()
  console.log(`embedded store on disk: ${(du(join(dataDir, 'pglite')) / 1e6).toFixed(1)} MB`)

  const file = join(work, 'store.backup')
  timed('backup (offline)', { DATA_DIR: dataDir }, 'backup', file)
  console.log(`backup file: ${(statSync(file).size / 1e6).toFixed(1)} MB`)
  timed('restore into a new DATA_DIR', { DATA_DIR: join(work, 'restored') }, 'restore', file)
  if (PG_URL !== 'none') {
    const name = `relay_ops_bench_${randomUUID().replaceAll('-', '')}`
    const c = new pg.Client({ connectionString: PG_URL })
    await c.connect()
    await c.query(`CREATE DATABASE ${name}`)
    try {
      const url = new URL(PG_URL)
      url.pathname = `/${name}`
      timed('move-to-postgres (with its check)', { DATA_DIR: dataDir }, 'move-to-postgres', url.toString())
    } finally {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    }
  }
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
} finally {
  rmSync(work, { recursive: true, force: true })
}
