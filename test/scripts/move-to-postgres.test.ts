// Over 20 s (about 40 s): the built server runs twice as a child process (on PGlite, then on
// PostgreSQL), and the move runs PostgreSQL's pg_dump compiled to WebAssembly.
/**
 * `npm run admin -- move-to-postgres <DATABASE_URL>`: a PGlite DATA_DIR with users, a group,
 * messages, a receipt, a reaction and an upload moves into an empty PostgreSQL database; the
 * server started there with the same DATA_DIR has the same conversations and seqs, and the
 * tokens issued before the move still work. A server holding the store, a non-empty target
 * and a URL that is not PostgreSQL's are refused with nothing written.
 * Needs the real PostgreSQL: it runs in the services suite (CI) and is skipped in the default one.
 */
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import pg from 'pg'
import { api, checkGapFree, ensureBuilt, history, startServer, tempDir } from '../faults/support.js'
import { createTestDatabase, servicesMode } from '../helper.js'
import { admin, checkSeeded, generatedSecretEnv, seed } from './ops-support.js'

t.setTimeout(600_000)
// A start from files (initdb, migrations) on a busy machine: an upper bound, not a wait.
const START = { timeoutMs: 180_000 }
t.before(ensureBuilt)

const tableCount = async (url: string): Promise<number> => {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    return (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")).rows[0]!.n
  } finally {
    await c.end()
  }
}

t.test('an embedded DATA_DIR moves into an empty PostgreSQL and the server carries on there', { skip: servicesMode ? false : 'needs the real PostgreSQL (services suite)' }, async (t) => {
  const dataDir = tempDir(t)
  const env = generatedSecretEnv(dataDir)
  const embedded = await startServer(t, env, START)
  const s = await seed(embedded.url)
  for (let i = 0; i < 30; i++) {
    const r = await api(embedded.url, 'POST', `/api/conversations/${s.conversationId}/messages`, s.b.accessToken, { clientMsgId: randomUUID(), type: 'text', content: `before the move ${i} \u4f60\u597d` })
    t.equal(r.status, 201)
  }
  const before = await history(embedded.url, s.a, s.conversationId)

  const target = await createTestDatabase(t, { empty: true })
  const held = await admin(env, 'move-to-postgres', target)
  t.equal(held.code, 1, held.out)
  t.match(held.out, /in use/, 'refused while the server holds the store')
  t.equal(await tableCount(target), 0, 'nothing written')

  embedded.proc.kill('SIGTERM')
  t.equal((await embedded.exited).code, 0, 'the embedded server stopped cleanly')

  const notEmpty = await createTestDatabase(t)
  const refused = await admin(env, 'move-to-postgres', notEmpty)
  t.equal(refused.code, 6, refused.out)
  t.match(refused.out, /not empty/)
  t.equal((await admin(env, 'move-to-postgres', 'mysql://x@127.0.0.1/db')).code, 2, 'not a PostgreSQL URL')

  const moved = await admin(env, 'move-to-postgres', target)
  t.equal(moved.code, 0, moved.out)
  t.match(moved.out, /counts and message checksums equal/)

  const onPostgres = await startServer(t, { ...env, DATABASE_URL: target }, START)
  await checkSeeded(t, onPostgres.url, s)
  const after = await history(onPostgres.url, s.a, s.conversationId)
  t.same(after.map((m) => [m.id, m.seq, m.content]), before.map((m) => [m.id, m.seq, m.content]), 'the same messages under the same seqs')
  const next = await api(onPostgres.url, 'POST', `/api/conversations/${s.conversationId}/messages`, s.a.accessToken, { clientMsgId: randomUUID(), type: 'text', content: 'after the move' })
  t.equal(next.status, 201, next.body?.code)
  t.equal(next.body.seq, before.length + 1, 'the next send continues the seq')
  checkGapFree(t, s.conversationId, (await history(onPostgres.url, s.a, s.conversationId)).map((m) => m.seq), undefined)
  onPostgres.proc.kill('SIGTERM')
  await onPostgres.exited

  // The same DATA_DIR, backed up offline (no server holds it: the command reads the files)
  // and restored into another empty PostgreSQL database: loaded, then moved the same way.
  const file = join(tempDir(t), 'embedded.backup')
  const b = await admin(env, 'backup', file)
  t.equal(b.code, 0, b.out)
  t.notMatch(b.out, /online/, 'no server: the command read the store itself')
  const restoredDir = tempDir(t)
  const restoredEnv = { ...generatedSecretEnv(restoredDir), DATABASE_URL: await createTestDatabase(t, { empty: true }) }
  const r = await admin(restoredEnv, 'restore', file)
  t.equal(r.code, 0, r.out)
  t.match(r.out, /restored the pglite backup .* checked \d+ tables/)
  const restored = await startServer(t, restoredEnv, START)
  await checkSeeded(t, restored.url, s)
  t.same((await history(restored.url, s.a, s.conversationId)).map((m) => m.seq), before.map((m) => m.seq), 'the embedded backup restored into PostgreSQL has the same seqs')
})
