/**
 * Fault: SIGTERM while clients are sending (a rolling deploy).
 * Promise: /readyz turns 503 before any socket is closed (a load balancer drains the node),
 * sends in flight at the signal finish and are acknowledged on their own connection, the
 * sockets are closed as a transport close (the SDK reconnects; not an "io server disconnect"
 * kick), the process exits cleanly within SHUTDOWN_TIMEOUT_MS, and after a restart the
 * outbox delivers the rest exactly once.
 * Default mode: PGlite under DATA_DIR. Services mode: PostgreSQL + Redis.
 */
import t from 'tap'
import { createTestDatabase, REDIS_URL, servicesMode } from '../helper.js'
import {
  checkExactlyOnce, checkGapFree, dbRows, ensureBuilt, group, history, probe, sdk, sendTracked, startServer, tempDir, until, users, within,
  type Sent, type User, type Watched
} from './support.js'

t.setTimeout(300_000)
t.before(ensureBuilt)

const SHUTDOWN_TIMEOUT_MS = 12_000

t.test('SIGTERM drains: readyz red first, in-flight sends acked, transport close, bounded exit', async (t) => {
  const env: Record<string, string> = { DATA_DIR: tempDir(t), SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) }
  if (servicesMode) {
    env.DATABASE_URL = await createTestDatabase(t)
    env.REDIS_URL = REDIS_URL
  }
  const node = await startServer(t, env)
  const [a, b] = await users(node.url, 2) as [User, User]
  const g = await group(node.url, a, [b])
  const clients: Array<[Watched, User]> = [[sdk(t, node.url, a), a], [sdk(t, node.url, b), b]]
  await within(Promise.all(clients.map(async ([w]) => { await w.client.connect() })), 20_000, 'connect')

  // Readiness as a load balancer sees it, every 50 ms.
  const probes: Array<{ at: number, status: number }> = []
  let probing = true
  const prober = (async () => {
    while (probing) {
      const status = await probe(node.url + '/readyz')
      probes.push({ at: Date.now(), status })
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })()

  // Each client keeps three messages in its outbox until it sees the cut.
  const sent: Sent[] = []
  let producing = true
  const producers = clients.flatMap(([w, u]) => [0, 1, 2].map(async () => {
    for (let i = 0; producing && w.disconnects.length === 0; i++) {
      const s = sendTracked(w, u.id, g, `${u.username} ${i}`)
      sent.push(s)
      await s.done
    }
  }))
  await until(() => sent.filter((s) => s.ack !== undefined).length >= 20, 60_000, '20 acks before SIGTERM', 5)

  const termAt = Date.now()
  node.proc.kill('SIGTERM')
  const pendingAtTerm = sent.filter((s) => s.ack === undefined)
  t.ok(pendingAtTerm.length > 0, `${pendingAtTerm.length} sends in flight or queued at SIGTERM`)

  await within(until(() => clients.every(([w]) => w.disconnects.length > 0), 30_000, 'both clients cut'), 35_000, 'cut')
  producing = false
  const exit = await within(node.exited, SHUTDOWN_TIMEOUT_MS + 15_000, 'process exit')
  probing = false
  await prober

  t.equal(exit.code, 0, 'the process exits cleanly (not by the shutdown timeout)')
  t.ok(exit.at - termAt <= SHUTDOWN_TIMEOUT_MS + 5000, `exit ${exit.at - termAt} ms after SIGTERM (bound ${SHUTDOWN_TIMEOUT_MS} ms + 5 s)`)

  const firstCut = Math.min(...clients.map(([w]) => w.disconnects[0]!.at))
  const after = probes.filter((p) => p.at > termAt)
  const red = after.find((p) => p.status === 503)
  t.ok(red !== undefined && red.at < firstCut, `/readyz answered 503 before the first socket was cut (${red === undefined ? 'never' : `${firstCut - red.at} ms before`})`)
  const firstRed = after.findIndex((p) => p.status === 503)
  t.same((firstRed < 0 ? [] : after.slice(firstRed)).filter((p) => p.status === 200), [], 'once red, readiness never turned green again')

  for (const [w, u] of clients) {
    t.same(w.disconnects.map((d) => [d.reason, d.reconnecting]), [['transport close', true]], `${u.username}: a transport close, and the SDK reconnects (not a kick)`)
    const cut = w.disconnects[0]!.at
    const late = pendingAtTerm.filter((s) => s.senderId === u.id && (s.ackedAt === undefined || s.ackedAt > cut))
    t.same(late.map((s) => s.clientMsgId), [], `${u.username}: every send in flight at SIGTERM was acked before the socket closed`)
  }

  // A new process on the same port and store: the outbox delivers what the cut left unacked.
  const again = await startServer(t, env, { port: node.port })
  await within(Promise.all(producers), 90_000, 'producers')
  await within(Promise.all(sent.map(async (s) => { await s.done })), 90_000, 'every send to settle')
  t.same(sent.filter((s) => s.error !== undefined).map((s) => s.error), [], `all ${sent.length} sends acknowledged in the end`)
  const stored = await history(again.url, a, g)
  checkExactlyOnce(t, sent, stored.map((m) => ({ id: m.id, conversation_id: m.conversationId, seq: m.seq, sender_id: m.senderId, client_msg_id: m.clientMsgId })))
  const lastSeq = servicesMode ? (await dbRows(env.DATABASE_URL!, [g])).lastSeq.get(g) : undefined
  checkGapFree(t, g, stored.map((m) => m.seq), lastSeq)
})
