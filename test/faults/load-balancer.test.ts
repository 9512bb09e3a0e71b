// Over 20 s (60 to 90 s here): nodes start five times in all (both, the killed one again, each
// once more in the rolling restart, 5 to 20 s each on this shared machine), and each stop
// waits for the SDK clients to come back before the next step.
/**
 * deploy/nginx.conf in front of two nodes on one PostgreSQL and Redis, every client going
 * through nginx (REST and sockets; six WebSocket clients from six loopback addresses, one
 * long-polling client that only works if nginx keeps its requests on one node).
 * Promises: one node killed with SIGKILL: its clients, and only they, reconnect through nginx
 * to the other; a rolling restart under load (SIGTERM, drain, start again, then the other
 * node) costs each client at most one reconnect per stopped node, each reconnect succeeds at
 * its first attempt, and nginx's /readyz stays 200 throughout. Nothing is lost: every send is
 * acknowledged and stored exactly once, seqs are gap-free, and every client has seen every
 * message once after a catch-up. The nodes count connections per client address (at most 2
 * here), which only holds if nginx passes X-Forwarded-For and TRUST_PROXY takes it.
 * Services mode only (two nodes need a shared PostgreSQL).
 */
import t from 'tap'
import { createTestDatabase, REDIS_URL, servicesMode } from '../helper.js'
import {
  checkExactlyOnce, checkGapFree, dbRows, delay, ensureBuilt, group, probe, sdk, sendTracked, startServer, until, users, within,
  type Sent, type ServerProc, type User, type Watched
} from './support.js'
import { nginxMissing, startNginx } from './nginx.js'

t.setTimeout(300_000)

const METRICS_TOKEN = 'load-balancer-test-metrics-token'

async function socketsOn (node: ServerProc): Promise<number> {
  const res = await fetch(node.url + '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  const match = /^relay_socketio_connections (\d+)/m.exec(await res.text())
  if (match === null) throw new Error('no relay_socketio_connections in /metrics')
  return Number(match[1])
}

const skip = !servicesMode ? 'needs PostgreSQL and Redis (TEST_SERVICES=1)' : (nginxMissing() ?? false)

t.test('nginx in front of two nodes: kill -9 of one, then a rolling restart under load', { skip }, async (t) => {
  await ensureBuilt()
  const databaseUrl = await createTestDatabase(t)
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    TRUST_PROXY: 'true',
    MAX_CONNECTIONS_PER_IP: '2',
    METRICS_TOKEN,
    SHUTDOWN_DRAIN_MS: '500'
  }
  const nodes = await Promise.all([startServer(t, env), startServer(t, env)])
  const lb = await startNginx(t, nodes.map((n) => n.port))

  // nginx's readiness as an outer load balancer or an orchestrator sees it.
  const notReady: Array<{ at: number, status: number }> = []
  let probing = true
  const prober = (async () => {
    while (probing) {
      const status = await probe(lb.url + '/readyz')
      if (status !== 200) notReady.push({ at: Date.now(), status })
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })()

  const people = await users(lb.url, 7)
  const g = await group(lb.url, people[0]!, people.slice(1))
  const t0 = Date.now()
  let phase = 'start' as 'start' | 'kill' | 'rolling'
  const failedAttempts: Record<'start' | 'kill' | 'rolling', string[]> = { start: [], kill: [], rolling: [] }
  const clients: Array<{ w: Watched, u: User }> = people.map((u, i) => {
    const polling = i === 6
    const w = sdk(t, lb.url, u, polling ? { transports: ['polling'] } : {})
    // One client address each (nginx's sticky hash spreads them over the nodes).
    if (!polling) (w.client.socket.io.opts as Record<string, unknown>).localAddress = `127.0.0.${i + 2}`
    w.client.setCursor(g, 0)
    w.client.socket.on('connect_error', (err) => { failedAttempts[phase].push(`${u.username.slice(0, 6)} at ${Date.now() - t0} ms: ${err.message}`) })
    return { w, u }
  })
  await within(Promise.all(clients.map(async ({ w }) => { await w.client.connect() })), 30_000, 'connect through nginx')
  let before = [0, 0]
  await until(async () => {
    before = await Promise.all(nodes.map(socketsOn))
    return before[0]! + before[1]! === 7
  }, 10_000, 'seven sockets on the nodes')
  t.comment(`node A holds ${before[0]} clients, node B ${before[1]}`)

  // Load: each client keeps one message in flight all along.
  const sent: Sent[] = []
  let producing = true
  const producers = clients.map(async ({ w, u }) => {
    for (let i = 0; producing; i++) {
      const s = sendTracked(w, u.id, g, `${u.username} ${i}`)
      sent.push(s)
      await s.done
      // (A send fails only when the test has failed and closed the clients.)
      if (s.error !== undefined) await delay(100)
    }
  })
  t.teardown(() => { producing = false })
  const allOnline = async (what: string): Promise<void> => {
    await until(() => clients.every(({ w }) => w.client.status === 'online'), 60_000, what)
  }
  // Sticky by address: the polling client, if its address hashes to a node that came back,
  // moves there at its next request (its session is unknown there: one more reconnect).
  const settle = async (): Promise<void> => {
    await delay(1000)
    await allOnline('every client online after a restart')
  }
  const acked = (): number => sent.filter((s) => s.ack !== undefined).length

  // ---- kill -9 of the node with more clients
  await until(() => acked() >= 20, 60_000, '20 acks before the kill', 5)
  const victim = before[0]! >= before[1]! ? 0 : 1
  const survivor = 1 - victim
  t.comment(`kill -9 of node ${'AB'[victim]} at ${Date.now() - t0} ms`)
  phase = 'kill'
  nodes[victim]!.proc.kill('SIGKILL')
  await nodes[victim]!.exited
  await allOnline('every client online again after the kill')
  await until(async () => (await socketsOn(nodes[survivor]!)) === 7, 30_000, 'all seven on the surviving node')
  const cut = clients.filter(({ w }) => w.disconnects.length > 0)
  t.equal(cut.length, before[victim], `the killed node's ${before[victim]} clients were cut, the others not`)
  t.ok(cut.every(({ w }) => w.disconnects.length === 1 && w.disconnects[0]!.reconnecting), 'each of them once, and it reconnected')

  const ackedAfterKill = acked()
  nodes[victim] = await startServer(t, env, { port: nodes[victim]!.port })
  await until(() => acked() >= ackedAfterKill + 20, 60_000, 'acks go on after the kill', 5)
  await settle()
  t.same(failedAttempts.kill, [], 'no connection attempt failed during the failover: nginx took every reconnect to the live node')

  phase = 'rolling'

  // ---- rolling restart: SIGTERM, drain, exit, start again; then the other node
  for (const i of [0, 1]) {
    const cutsBefore = clients.map(({ w }) => w.disconnects.length)
    const ackedBefore = acked()
    t.comment(`SIGTERM to node ${'AB'[i]} at ${Date.now() - t0} ms`)
    nodes[i]!.proc.kill('SIGTERM')
    const exit = await within(nodes[i]!.exited, 30_000, `node ${i} to exit after SIGTERM`)
    t.equal(exit.code, 0, `node ${'AB'[i]} exited cleanly after SIGTERM`)
    await allOnline(`every client online while node ${'AB'[i]} is down`)
    const extra = clients.filter(({ w }, k) => w.disconnects.length - cutsBefore[k]! > 1).map(({ u }) => u.username)
    t.same(extra, [], `stopping node ${'AB'[i]} cost no client more than one reconnect`)
    nodes[i] = await startServer(t, env, { port: nodes[i]!.port })
    t.comment(`node ${'AB'[i]} ready again at ${Date.now() - t0} ms`)
    await settle()
    await until(() => acked() >= ackedBefore + 20, 60_000, `acks go on after node ${'AB'[i]}'s restart`, 5)
  }

  producing = false
  await within(Promise.all(producers), 90_000, 'producers to finish')
  probing = false
  await prober
  t.same(notReady, [], 'nginx /readyz answered 200 throughout (one node was always ready)')
  // A stopping node refuses new handshakes (Engine.IO answers 400 to a WebSocket upgrade)
  // until its listener closes, and nginx retries no 400: a client whose address hashes to that
  // node retries with its backoff for that second or two, still within one reconnect.
  t.comment(`${failedAttempts.rolling.length} handshakes refused by a stopping node during the rolling restart`)
  t.same(sent.filter((s) => s.error !== undefined).map((s) => s.error), [], `all ${sent.length} sends acknowledged`)
  t.ok(sent.some((s) => s.senderId === people[6]!.id && s.ack !== undefined), 'the long-polling client sent through nginx')
  // A WebSocket sees a transport close; a long-polling request cut by the node, a transport error.
  const kicks = clients.flatMap(({ w }) => w.disconnects).filter((d) => !d.reconnecting || !['transport close', 'transport error'].includes(d.reason))
  t.same(kicks, [], `every cut was a transport close or error the SDK reconnected from (${[...new Set(clients.flatMap(({ w }) => w.disconnects.map((d) => d.reason)))].join(', ')})`)

  const { rows, lastSeq } = await dbRows(databaseUrl, [g])
  checkExactlyOnce(t, sent, rows)
  t.equal(rows.length, sent.length, 'one stored message per send')
  checkGapFree(t, g, rows.map((r) => r.seq), lastSeq.get(g))

  // Delivery: a catch-up fills what live delivery missed during the cuts, nothing twice.
  await Promise.all(clients.map(async ({ w }) => {
    w.client.disconnect()
    const synced = new Promise<void>((resolve) => { const off = w.client.on('synced', () => { off(); resolve() }) })
    await w.client.connect()
    await within(synced, 30_000, 'catch-up')
  }))
  const n = lastSeq.get(g)!
  for (const { w, u } of clients) {
    const seqs = w.received.filter((m) => m.conversationId === g).map((m) => m.seq).sort((x, y) => x - y)
    t.same(seqs, Array.from({ length: n }, (_, i) => i + 1), `${u.username} saw all ${n} messages exactly once`)
  }
})
