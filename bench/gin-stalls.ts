/**
 * Where the send path's tail comes from in PostgreSQL, without the server: the send statement
 * (SEND_SQL, as the server prepares it) driven open-loop at --rate messages/s, group-committed
 * (each free connection of --conns takes every message due as one statement) with seeded chat-like text, each statement timed from its due time, beside a
 * time series of the search indexes' GIN pending lists (pgstattuple's pgstatginindex, sampled
 * every 100 ms). A pending list that shrinks between two samples is a flush: whichever insert
 * found the list over gin_pending_list_limit merged it into the index, inside its own statement.
 *
 *   npx tsx bench/gin-stalls.ts [--rate 2000] [--duration 20] [--conns 4] [--mode default|off|cleaner|none]
 *     default: the indexes as migrated; off: fastupdate = off (every insert updates the tree);
 *     cleaner: the pending list merged by another connection every --clean-ms (gin_clean_pending_list);
 *     none: both search indexes dropped (the floor).
 */
import { parseArgs } from 'node:util'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { SEND_SQL } from '../src/modules/messages/index.js'
import { SEND_SESSION_OPTIONS } from '../src/db/drivers.js'
import { uuidv7 } from '../src/lib/uuid.js'
import { createDatabase, seedConversationHistory, seedPairs, seedUsers } from './lib/database.js'
import { chatTextGenerator } from './lib/chat-text.js'
import { directId, userId } from './lib/ids.js'
import { Histogram } from './lib/histogram.js'

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    duration: { type: 'string', default: '20' },
    conns: { type: 'string', default: '4' },
    pairs: { type: 'string', default: '50' },
    history: { type: 'string', default: '2000' },
    mode: { type: 'string', default: 'default' },
    'clean-ms': { type: 'string', default: '1000' },
    sql: { type: 'string', multiple: true, default: [] }
  }
})
const rate = Number(values.rate)
const durationMs = Number(values.duration) * 1000
const conns = Number(values.conns)
const pairs = Number(values.pairs)
const mode = values.mode
const INDEXES = ['messages_search_en_idx', 'messages_search_trgm_idx']

const db = await createDatabase('postgres', `gin_${Date.now().toString(36)}`)
try {
  await seedUsers(db, pairs * 2)
  await seedPairs(db, pairs)
  await seedConversationHistory(db, pairs, false, 2, Number(values.history))
  await db.query('CREATE EXTENSION IF NOT EXISTS pgstattuple')
  if (mode === 'off') for (const i of INDEXES) await db.query(`ALTER INDEX ${i} SET (fastupdate = off)`)
  if (mode === 'cleaner') for (const i of INDEXES) await db.query(`ALTER INDEX ${i} SET (gin_pending_list_limit = 65536)`)
  if (mode === 'none') for (const i of INDEXES) await db.query(`DROP INDEX ${i}`)
  for (const s of values.sql) await db.query(s)
  await db.query('VACUUM ANALYZE')

  const clients = await Promise.all(Array.from({ length: conns + 2 }, async () => {
    const c = new pg.Client({ connectionString: db.serverEnv.DATABASE_URL, options: SEND_SESSION_OPTIONS })
    c.on('error', () => {}) // the database is dropped under it at the end
    await c.connect()
    return c
  }))
  const senders = clients.slice(0, conns)
  const sampler = clients[conns]!
  const cleanerClient = clients[conns + 1]!
  const text = chatTextGenerator(7)
  const texts = Array.from({ length: 20_000 }, text)
  let next = 0
  const statement = async (c: pg.Client, size: number): Promise<void> => {
    const rows = Array.from({ length: size }, () => {
      const k = next % pairs
      const content = texts[next % texts.length]!
      next++
      return { conv: directId(k), sender: userId(2 * k + (next % 2)), content }
    })
    const res = await c.query({
      name: 'message_send',
      text: SEND_SQL,
      values: [rows.map(() => uuidv7()), rows.map((r) => r.conv), rows.map((r) => r.sender), rows.map(() => randomUUID()),
        rows.map(() => 'text'), rows.map((r) => JSON.stringify(r.content)), ...Array.from({ length: 6 }, () => rows.map(() => null))]
    })
    if (res.rows.length !== size) throw new Error(`stored ${res.rows.length} of ${size}`)
  }
  for (let i = 0; i < 400; i++) await statement(senders[i % conns]!, 1 + (i % 8)) // warm: plans cached

  interface Row { t: number, ms: number }
  const rows: Row[] = []
  const samples: Array<{ t: number, pending: number[] }> = []
  const cleans: Array<{ t: number, ms: number }> = []
  const start = performance.now() + 200
  const total = Math.floor(rate * durationMs / 1000)
  let stop = false
  const sample = async (): Promise<void> => {
    while (!stop) {
      const pending: number[] = []
      for (const i of INDEXES) {
        if (mode === 'none') { pending.push(0); continue }
        const r = await sampler.query<{ pending_pages: number }>('SELECT pending_pages FROM pgstatginindex($1::regclass)', [i])
        pending.push(r.rows[0]!.pending_pages)
      }
      samples.push({ t: performance.now() - start, pending })
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  const clean = async (): Promise<void> => {
    while (!stop && mode === 'cleaner') {
      await new Promise((resolve) => setTimeout(resolve, Number(values['clean-ms'])))
      const t = performance.now()
      for (const i of INDEXES) await cleanerClient.query('SELECT gin_clean_pending_list($1::regclass)', [i])
      cleans.push({ t: t - start, ms: performance.now() - t })
    }
  }
  const bg = [sample(), clean()]

  // Open loop, group-committed as the server does: message i is due at start + i / rate; a free
  // connection takes every message due and not yet taken (up to 64) as one statement.
  const due: number[] = []
  let produced = 0
  const sender = async (c: pg.Client): Promise<void> => {
    while (produced < total || due.length > 0) {
      if (due.length === 0) { await new Promise((resolve) => setTimeout(resolve, 1)); continue }
      const batch = due.splice(0, 64)
      await statement(c, batch.length)
      const now = performance.now()
      for (const d of batch) rows.push({ t: d - start, ms: now - d })
    }
  }
  const queues = senders.map(sender)
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now()
      while (produced < total && start + produced * 1000 / rate <= now) {
        due.push(start + produced * 1000 / rate)
        produced++
      }
      if (produced >= total) resolve()
      else setTimeout(tick, 1)
    }
    setTimeout(tick, Math.max(0, start - performance.now()))
  })
  await Promise.all(queues)
  stop = true
  await Promise.all(bg)

  const all = new Histogram()
  for (const r of rows) all.record(r.ms)
  process.stdout.write(`mode ${mode}: ${rows.length} statements at ${rate}/s on ${conns} connections: p50 ${all.quantile(0.5)?.toFixed(2)} p99 ${all.quantile(0.99)?.toFixed(2)} max ${all.max.toFixed(2)} ms\n`)
  process.stdout.write('second  n     p50    p99     max   pending pages (en, trgm) at its end   flushes in it\n')
  for (let s = 0; s * 1000 < durationMs; s++) {
    const h = new Histogram()
    for (const r of rows) if (r.t >= s * 1000 && r.t < (s + 1) * 1000) h.record(r.ms)
    const inSec = samples.filter((x) => x.t >= s * 1000 && x.t < (s + 1) * 1000)
    const last = inSec.at(-1)?.pending ?? []
    let flushes = 0
    for (let k = 1; k < inSec.length; k++) for (let j = 0; j < INDEXES.length; j++) if (inSec[k]!.pending[j]! < inSec[k - 1]!.pending[j]! - 2) flushes++
    process.stdout.write(`${String(s).padStart(6)} ${String(h.count).padStart(5)} ${(h.quantile(0.5) ?? 0).toFixed(2).padStart(6)} ${(h.quantile(0.99) ?? 0).toFixed(2).padStart(6)} ${h.max.toFixed(1).padStart(7)}   ${last.join(', ').padEnd(12)} ${flushes > 0 ? `${flushes} flush` : ''}\n`)
  }
  if (cleans.length > 0) {
    const ch = new Histogram()
    for (const c of cleans) ch.record(c.ms)
    process.stdout.write(`cleaner: ${cleans.length} cleanups, p50 ${ch.quantile(0.5)?.toFixed(1)} max ${ch.max.toFixed(1)} ms each\n`)
  }
  for (const c of clients) await c.end()
} catch (err) {
  process.stderr.write(`gin-stalls failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
} finally {
  await db.drop()
}
