/**
 * The send statement's cost in PostgreSQL, without the server: CPU of one backend per
 * statement and per message, for batches of 1..N messages (distinct direct conversations,
 * as the group commit builds them), on a fresh seeded database.
 *
 *   npx tsx bench/send-statement.ts [--pairs 500] [--messages 4000] [--batches 1,4,16,64] [--history 100]
 *     [--sql "DROP INDEX …"]...   (run after seeding: what an index or a trigger costs)
 *     [--custom-plans]             (PostgreSQL's own plan choice instead of the server's generic plans)
 *     [--content realistic|fixed]  seeded chat-like text (default) or the one fixed sentence (the control)
 *
 * CPU comes from /proc/<backend pid>/stat (user + system), so it is the backend's own work
 * whatever else the machine runs; `fixed` and `perMessage` are a least-squares line through
 * the per-statement CPU against the batch size.
 */
import { parseArgs } from 'node:util'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { SEND_SQL } from '../src/modules/messages/index.js'
import { SEND_SESSION_OPTIONS } from '../src/db/drivers.js'
import { uuidv7 } from '../src/lib/uuid.js'
import { createDatabase, seedConversationHistory, seedPairs, seedUsers } from './lib/database.js'
import { directId, userId } from './lib/ids.js'
import { readProc } from './lib/proc.js'
import { chatTextGenerator, FIXED_CONTENT } from './lib/chat-text.js'

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '500' },
    messages: { type: 'string', default: '4000' },
    batches: { type: 'string', default: '1,4,16,64' },
    history: { type: 'string', default: '100' },
    sql: { type: 'string', multiple: true, default: [] },
    json: { type: 'boolean', default: false },
    'custom-plans': { type: 'boolean', default: false },
    content: { type: 'string', default: 'realistic' }
  }
})
const pairs = Number(values.pairs)
const perSize = Number(values.messages)
const sizes = values.batches.split(',').map(Number)
const texts = values.content === 'fixed' ? [FIXED_CONTENT] : Array.from({ length: 20_000 }, chatTextGenerator(7))

const db = await createDatabase('postgres', `stmt_${Date.now().toString(36)}`)
try {
  await seedUsers(db, pairs * 2)
  await seedPairs(db, pairs)
  await seedConversationHistory(db, pairs, false, 2, Number(values.history), values.content === 'fixed' ? 'fixed' : 'realistic')
  for (const s of values.sql) await db.query(s)
  await db.query('ANALYZE')
  // As the server runs it (src/db/drivers.ts); --custom-plans: PostgreSQL's own choice, as before 2026-12-01.
  const client = new pg.Client({ connectionString: db.serverEnv.DATABASE_URL, ...(values['custom-plans'] ? {} : { options: SEND_SESSION_OPTIONS }) })
  await client.connect()
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
  let next = 0
  const statement = async (size: number): Promise<void> => {
    const rows = Array.from({ length: size }, () => {
      const k = next++ % pairs
      return { conv: directId(k), sender: userId(2 * k + (Math.floor(next / pairs) % 2)) }
    })
    const res = await client.query({
      name: 'message_send',
      text: SEND_SQL,
      values: [
        rows.map(() => uuidv7()), rows.map((r) => r.conv), rows.map((r) => r.sender), rows.map(() => randomUUID()),
        rows.map(() => 'text'), rows.map(() => JSON.stringify(texts[next % texts.length])), rows.map(() => null), rows.map(() => null), rows.map(() => null),
        rows.map(() => null), rows.map(() => null), rows.map(() => null) // no thread root, not also in the chat: a plain message
      ]
    })
    if (res.rows.length !== size) throw new Error(`stored ${res.rows.length} of ${size}`)
  }
  for (let i = 0; i < 200; i++) await statement(4) // warm: plan cached, caches filled
  const results: Array<{ batch: number, statements: number, cpuMsPerStatement: number, cpuMsPerMessage: number, wallMsPerStatement: number, walBytesPerMessage: number }> = []
  const walLsn = async (): Promise<string> => (await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn
  for (const size of sizes) {
    const n = Math.max(20, Math.round(perSize / size))
    const before = readProc(pid)!
    const walBefore = await walLsn()
    const t = performance.now()
    for (let i = 0; i < n; i++) await statement(size)
    // GIN indexes defer their work to a pending list cleaned up later (by a later insert or
    // autovacuum): clean it here, on this backend, so its cost is counted with the inserts.
    for (const { name } of (await client.query<{ name: string }>("SELECT indexrelid::regclass::text AS name FROM pg_index JOIN pg_class c ON c.oid = indexrelid JOIN pg_am am ON am.oid = c.relam WHERE indrelid = 'messages'::regclass AND am.amname = 'gin'")).rows) {
      await client.query('SELECT gin_clean_pending_list($1::regclass)', [name])
    }
    const wall = performance.now() - t
    const cpuMs = (readProc(pid)!.cpuS - before.cpuS) * 1000
    // WAL written (by everything on the server meanwhile: run it on a quiet PostgreSQL).
    const wal = Number((await client.query<{ b: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn) AS b', [walBefore])).rows[0]!.b)
    results.push({ batch: size, statements: n, cpuMsPerStatement: cpuMs / n, cpuMsPerMessage: cpuMs / (n * size), wallMsPerStatement: wall / n, walBytesPerMessage: wal / (n * size) })
  }
  // Least squares: cpu per statement = fixed + perMessage * batch.
  const xs = results.map((r) => r.batch)
  const ys = results.map((r) => r.cpuMsPerStatement)
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length
  const my = ys.reduce((a, b) => a + b, 0) / ys.length
  const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0)
  const plans = (await client.query<{ generic_plans: string, custom_plans: string }>("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'message_send'")).rows[0]
  const out = { sql: values.sql, results, fixedMs: my - slope * mx, perMessageMs: slope, genericPlans: Number(plans?.generic_plans), customPlans: Number(plans?.custom_plans) }
  if (values.json) process.stdout.write(JSON.stringify(out) + '\n')
  else {
    for (const r of results) process.stdout.write(`batch ${String(r.batch).padStart(3)}: ${r.statements} statements, CPU ${r.cpuMsPerStatement.toFixed(3)} ms/statement = ${r.cpuMsPerMessage.toFixed(3)} ms/message, wall ${r.wallMsPerStatement.toFixed(2)} ms/statement, WAL ${Math.round(r.walBytesPerMessage)} bytes/message\n`)
    process.stdout.write(`fit: ${out.fixedMs.toFixed(3)} ms per statement + ${out.perMessageMs.toFixed(3)} ms per message; plans: ${out.genericPlans} generic, ${out.customPlans} custom\n`)
  }
  await client.end()
} finally {
  await db.drop()
}
