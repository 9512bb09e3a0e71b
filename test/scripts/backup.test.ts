// Over 20 s (about 40-60 s): the built server runs as a child process twice (the original and
// the one started on the restored copy), each starting its store from files, and the backup
// is taken while a client keeps sending.
/**
 * `npm run admin -- backup <file>` while the server serves and a client sends, then
 * `npm run admin -- restore <file>` into a new DATA_DIR (PGlite) or an empty database
 * (services suite: PostgreSQL through pg_dump/pg_restore), and a server started on the copy:
 * every message acknowledged before the backup began is there with gap-free seqs, and so are
 * users, membership, receipt, reaction, upload and the sessions (the secret travelled too).
 */
import t from 'tap'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { checkGapFree, ensureBuilt, history, sdk, sendTracked, startServer, tempDir, until, within, type Sent } from '../faults/support.js'
import { createTestDatabase, servicesMode } from '../helper.js'
import { admin, checkSeeded, generatedSecretEnv, seed } from './ops-support.js'

t.setTimeout(600_000)
// A start from files (initdb, migrations) on a busy machine: an upper bound, not a wait.
const START = { timeoutMs: 180_000 }
t.before(ensureBuilt)

t.test('backup under send load, restore elsewhere: everything acknowledged before the backup is there', async (t) => {
  const dataDir = tempDir(t)
  const env = { ...generatedSecretEnv(dataDir), ...(servicesMode ? { DATABASE_URL: await createTestDatabase(t, { empty: true }) } : {}) }
  const server = await startServer(t, env, START)
  const s = await seed(server.url)

  const sender = sdk(t, server.url, s.a)
  await within(sender.client.connect(), 20_000, 'connect')
  const sent: Sent[] = []
  for (let i = 0; i < 150; i++) sent.push(sendTracked(sender, s.a.id, s.conversationId, `load ${i}`))
  await until(() => sent.filter((x) => x.ack !== undefined).length >= 20, 60_000, '20 acks before the backup', 5)

  const file = join(tempDir(t), 'relay.backup')
  const backupStarted = Date.now()
  const ackedBefore = sent.filter((x) => x.ackedAt !== undefined)
  const b = await admin(env, 'backup', file)
  t.equal(b.code, 0, b.out)
  t.match(b.out, servicesMode ? /PostgreSQL database/ : /embedded store.*online/, 'the running server wrote it')
  t.ok(sent.some((x) => x.ack === undefined || (x.ackedAt ?? 0) > backupStarted), 'sends were still going on during the backup')
  t.ok(server.alive(), 'the server kept serving')
  await within(Promise.all(sent.map(async (x) => { await x.done })), 90_000, 'every send to settle')
  t.same(sent.filter((x) => x.error !== undefined).map((x) => x.error), [], 'no send failed because of the backup')
  server.proc.kill('SIGTERM')
  await server.exited

  // Restore into a new place.
  const restoredDir = tempDir(t)
  const restoredEnv = { ...generatedSecretEnv(restoredDir), ...(servicesMode ? { DATABASE_URL: await createTestDatabase(t, { empty: true }) } : {}) }
  const r = await admin(restoredEnv, 'restore', file)
  t.equal(r.code, 0, r.out)
  t.ok(existsSync(join(restoredDir, 'jwt-secret')), 'the generated secret is restored into DATA_DIR')

  // A second restore into the same place is refused, and so is a file that is not a backup.
  const again = await admin(restoredEnv, 'restore', file)
  t.equal(again.code, 6, again.out)
  t.match(again.out, /not empty/)
  const junk = join(tempDir(t), 'junk')
  writeFileSync(junk, 'not a backup')
  t.not((await admin(generatedSecretEnv(tempDir(t)), 'restore', junk)).code, 0, 'a file that is not a backup is refused')

  const restored = await startServer(t, restoredEnv, START)
  await checkSeeded(t, restored.url, s)
  const messages = await history(restored.url, s.a, s.conversationId)
  const stored = new Set(messages.map((m) => m.clientMsgId))
  t.same(ackedBefore.filter((x) => !stored.has(x.clientMsgId)).map((x) => x.clientMsgId), [], `all ${ackedBefore.length} messages acknowledged before the backup are restored`)
  checkGapFree(t, s.conversationId, messages.map((m) => m.seq), undefined)
  t.ok(messages.length <= sent.length + 1, 'nothing invented')
})

t.test('backup refuses clearly', async (t) => {
  const noStore = await admin(generatedSecretEnv(tempDir(t)), 'backup', join(tempDir(t), 'x.backup'))
  t.equal(noStore.code, 1, noStore.out)
  t.match(noStore.out, /No PGlite database/)
  const usage = await admin({}, 'backup')
  t.equal(usage.code, 2, 'usage')
  if (servicesMode) {
    // pg_dump is looked up on PATH: without it, a message that says what to install.
    const noPgDump = await admin({ ...generatedSecretEnv(tempDir(t)), DATABASE_URL: await createTestDatabase(t), PATH: '/nonexistent' }, 'backup', join(tempDir(t), 'y.backup'))
    t.equal(noPgDump.code, 1, noPgDump.out)
    t.match(noPgDump.out, /pg_dump was not found on PATH/)
  }
})
