// suite: default only — the embedded store's own start and restart (PGlite under DATA_DIR); it takes no DATABASE_URL
// Over 20 s (about 25 s): the built server is started twice as a child process on a new DATA_DIR
// (initdb, migrations), and the SDK's outbox must settle on the restarted one.
/**
 * Fault: the embedded server (PGlite under DATA_DIR) is killed with SIGKILL while messages
 * are being written, then started again on the same DATA_DIR.
 * Promise: every message acknowledged before the kill is still there (REST history), and
 * the SDK outbox re-sends the unacknowledged ones to the restarted server exactly once.
 * Runs in both modes: it needs no services.
 */
import t from 'tap'
import { checkExactlyOnce, checkGapFree, delay, ensureBuilt, group, history, sdk, sendTracked, startServer, tempDir, until, users, within, type Sent, type User } from './support.js'

t.setTimeout(300_000)
t.before(ensureBuilt)

t.test('kill -9 during writes on PGlite: acked messages survive the restart', async (t) => {
  const t0 = Date.now()
  const dataDir = tempDir(t)
  const env = { DATA_DIR: dataDir }
  const first = await startServer(t, env)
  const [a, b] = await users(first.url, 2) as [User, User]
  const g = await group(first.url, a, [b])

  const sender = sdk(t, first.url, a)
  await within(sender.client.connect(), 20_000, 'connect')

  const t1 = Date.now()
  // 100 messages queued at once: the outbox sends them one after another, so the kill
  // lands in the middle of a stream of writes.
  const sent: Sent[] = []
  for (let i = 0; i < 100; i++) sent.push(sendTracked(sender, a.id, g, `m${i}`))
  await until(() => sent.filter((s) => s.ack !== undefined).length >= 20, 60_000, '20 acks before the kill', 5)

  first.proc.kill('SIGKILL')
  const killedAt = (await first.exited).at
  const ackedBeforeKill = sent.filter((s) => s.ackedAt !== undefined && s.ackedAt <= killedAt)
  const pendingAtKill = sent.filter((s) => s.ack === undefined)
  t.ok(ackedBeforeKill.length >= 20, `${ackedBeforeKill.length} acked before the kill`)
  t.ok(pendingAtKill.length > 0, `${pendingAtKill.length} not yet acked at the kill`)

  await delay(200)
  const t2 = Date.now()
  const second = await startServer(t, env, { port: first.port })
  t.comment(`ms: first start + setup ${t1 - t0}, stream until kill ${t2 - t1}, restart ${Date.now() - t2}`)

  // Everything acked before the kill is in the restarted server's history.
  const stored = await history(second.url, a, g)
  const storedIds = new Set(stored.map((m) => m.clientMsgId))
  t.same(ackedBeforeKill.filter((s) => !storedIds.has(s.clientMsgId)).map((s) => s.clientMsgId), [], 'no acknowledged message was lost by the kill')

  // The SDK reconnects to the restarted server and its outbox delivers the rest.
  await within(Promise.all(sent.map(async (s) => { await s.done })), 90_000, 'every send to settle')
  t.same(sent.filter((s) => s.error !== undefined).map((s) => s.error), [], 'every send was acknowledged in the end')
  t.ok(sender.disconnects.length >= 1 && sender.disconnects.every((d) => d.reconnecting), 'the SDK saw the cut and reconnected by itself')

  const all = await history(second.url, a, g)
  checkExactlyOnce(t, sent, all.map((m) => ({ id: m.id, conversation_id: m.conversationId, seq: m.seq, sender_id: m.senderId, client_msg_id: m.clientMsgId })))
  checkGapFree(t, g, all.map((m) => m.seq), undefined)
  t.equal(all.length, sent.length, 'one stored message per send')
})
