// `npm run admin -- move-to-postgres <DATABASE_URL>`: the embedded store (a PGlite data
// directory) into an empty PostgreSQL database, then a check that both hold the same.
//
// How: PGlite's own pg_dump (@electric-sql/pglite-tools, PostgreSQL 17's pg_dump compiled to
// WebAssembly) writes the whole database as SQL: every schema (the app's tables and the job
// queue's `pgboss`), functions, triggers, sequences' positions, `_prisma_migrations`. That
// script runs on the target in one transaction, so a failure leaves the target empty. The
// server started on the target finds every migration applied and the same rows, so users,
// seqs and refresh tokens carry over; access tokens are signed with JWT_SECRET, which stays
// in DATA_DIR/jwt-secret (or the environment): start the server with the same DATA_DIR,
// whose uploads/ stays where it is.
//
// Checked afterwards: the row count of every table, and per conversation a checksum of its
// messages (every column, in seq order) on both sides.
import { Refusal, connectPostgres, openPglite, pgliteHeld, redact, requireEmptyPostgres, requirePglite } from './stores.mjs'

/** pg_dump 17 settings PostgreSQL before 17 does not know; they only reset session defaults. */
const NEWER_SETTINGS = /^SET (transaction_timeout) = .*;$/gm

/** Row counts of every table, by schema-qualified name. */
const TABLES_SQL = `SELECT schemaname || '.' || tablename AS name FROM pg_tables
  WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`

/** Per conversation: its messages' count and an md5 of every row as text, in seq order. */
const MESSAGE_SUMS_SQL = `SELECT conversation_id::text AS conversation, count(*)::int AS n,
  md5(string_agg(m::text, E'\\n' ORDER BY m.seq)) AS sum FROM public.messages m GROUP BY 1 ORDER BY 1`

/** `query(text)` -> rows, on either engine. */
async function census (query) {
  await query("SET TimeZone = 'UTC'")
  const tables = {}
  for (const { name } of await query(TABLES_SQL)) {
    const [schema, table] = name.split('.')
    const [{ n }] = await query(`SELECT count(*)::int AS n FROM "${schema}"."${table}"`)
    tables[name] = n
  }
  const conversations = {}
  for (const r of await query(MESSAGE_SUMS_SQL)) conversations[r.conversation] = `${r.n}:${r.sum}`
  return { tables, conversations }
}

function differences (a, b) {
  const out = []
  for (const kind of ['tables', 'conversations']) {
    for (const key of new Set([...Object.keys(a[kind]), ...Object.keys(b[kind])])) {
      if (a[kind][key] !== b[kind][key]) out.push(`${kind === 'tables' ? 'table' : 'conversation'} ${key}: ${a[kind][key] ?? 'missing'} -> ${b[kind][key] ?? 'missing'}`)
    }
  }
  return out
}

/**
 * Moves the PGlite directory `pgliteDir` into the empty database at `url`.
 * Returns { tables, rows, conversations, messages, ms }; throws Refusal (exit 6: target not
 * empty, 7: the check found a difference, 1: store in use or missing).
 */
export async function moveToPostgres ({ pgliteDir, url, force = false, log = () => {} }) {
  requirePglite(pgliteDir)
  if (pgliteHeld(pgliteDir) && !force) {
    throw new Refusal(`The PGlite database at ${pgliteDir} is in use (postmaster.pid exists): stop the server first, ` +
      'so nothing is written after the move. If no server runs (it crashed), add --force.')
  }
  const started = Date.now()
  const target = await connectPostgres(url)
  let targetOpen = true
  let source
  try {
    await requireEmptyPostgres(target, url)
    source = await openPglite(pgliteDir)
    const { pgDump } = await import('@electric-sql/pglite-tools/pg_dump')
    log('dumping the embedded store…')
    // INSERTs rather than COPY: the script then runs through an ordinary connection.
    const dump = await pgDump({ pg: source, args: ['--no-owner', '--no-privileges', '--inserts', '--rows-per-insert=500'] })
    const script = (await dump.text()).replace(NEWER_SETTINGS, '')
    log(`loading ${(script.length / 1e6).toFixed(1)} MB of SQL into ${redact(url)}…`)
    await target.query('BEGIN')
    try {
      await target.query(script)
      await target.query('COMMIT')
    } catch (err) {
      await target.query('ROLLBACK').catch(() => {})
      throw new Refusal(`Loading into PostgreSQL failed, nothing was kept: ${err.message}`)
    }
    // The script emptied search_path for its session; the check reads qualified names, a fresh session anyway.
    targetOpen = false
    await target.end()
    const check = await connectPostgres(url)
    try {
      const before = await census(async (text) => (await source.query(text)).rows)
      const after = await census(async (text) => (await check.query(text)).rows)
      const diff = differences(before, after)
      if (diff.length > 0) throw new Refusal(`The moved database differs from the embedded one:\n  ${diff.slice(0, 20).join('\n  ')}`, 7)
      return {
        tables: Object.keys(after.tables).length,
        rows: Object.values(after.tables).reduce((a, b) => a + b, 0),
        conversations: Object.keys(after.conversations).length,
        messages: after.tables['public.messages'] ?? 0,
        ms: Date.now() - started
      }
    } finally {
      await check.end()
    }
  } finally {
    if (targetOpen) await target.end().catch(() => {})
    await source?.close()
  }
}
