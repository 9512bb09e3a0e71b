/**
 * Fault: the server (embedded PGlite; PostgreSQL with TEST_SERVICES=1) is killed with SIGKILL right after 100 messages to a bot's
 * conversation were acknowledged, while their webhook deliveries are under way; then it is
 * started again on the same DATA_DIR.
 * Promise: after the restart every one of the 100 messages reaches the webhook, in seq order
 * of first arrival; repeats (at least once) are counted and bounded by what was in flight at
 * the kill (one message per conversation).
 */
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { api, delay, ensureBuilt, group, scratchDatabase, startServer, tempDir, until, users, type User } from './support.js'

t.setTimeout(300_000)

t.before(ensureBuilt)

t.test('kill -9 right after 100 acks: every webhook delivery arrives after the restart', async (t) => {
  const got: Array<{ id: string, seq: number }> = []
  // A slow receiver (each answer after 20 ms), so deliveries are still under way at the kill.
  const rx = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      got.push({ id: String(req.headers['idempotency-key']), seq: body.data.seq })
      setTimeout(() => { res.end('ok') }, 20)
    })
  })
  await new Promise<void>((resolve) => rx.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { rx.closeAllConnections(); rx.close() })
  const rxPort = (rx.address() as { port: number }).port

  // Embedded PGlite by default; the real PostgreSQL in services mode. A delivery times out
  // after 15 s, not the 1 s this test once used: on a loaded machine a 20 ms answer took over a
  // second, the delivery was sent again, and that repeat was counted against the kill's bound.
  const env: Record<string, string> = { DATA_DIR: tempDir(t), ...(process.env.TEST_SERVICES === '1' ? { DATABASE_URL: await scratchDatabase(t) } : {}), OUTBOUND_ALLOWED_HOSTS: `127.0.0.1:${rxPort}`, WEBHOOK_TIMEOUT_MS: '15000', WEBHOOK_RETRY_BASE_MS: '50' }
  // A fresh PGlite (initdb and every migration) can take more than Fastify's 10 s plugin
  // timeout on a loaded machine; that first start is tried again on a new directory (this
  // test is about the restart after the kill, which opens an existing store).
  let first
  try {
    first = await startServer(t, env)
  } catch (err) {
    if (!String((err as Error).message).includes('did not start in time')) throw err
    t.comment('first start timed out creating the store; once more on a new DATA_DIR')
    env.DATA_DIR = tempDir(t)
    first = await startServer(t, env)
  }
  const [owner] = await users(first.url, 1) as [User]
  const created = await api(first.url, 'POST', '/api/bots', owner.accessToken, { username: `fb${randomUUID().slice(0, 8)}`, displayName: 'fault bot' })
  t.equal(created.status, 201)
  const botId = created.body.bot.id as string
  const g = await group(first.url, owner, [{ id: botId } as User])
  const hook = await api(first.url, 'PUT', `/api/bots/${botId}/webhook`, owner.accessToken, { url: `http://127.0.0.1:${rxPort}/hook`, secret: 'fault-test-webhook-secret' })
  t.equal(hook.status, 200)

  const acked: Array<{ id: string, seq: number }> = []
  for (let i = 0; i < 100; i++) {
    const res = await api(first.url, 'POST', `/api/conversations/${g}/messages`, owner.accessToken, { clientMsgId: randomUUID(), type: 'text', content: `m${i}` })
    if (res.status !== 201) throw new Error(`send: ${res.status}`)
    acked.push({ id: res.body.id, seq: res.body.seq })
  }
  first.proc.kill('SIGKILL')
  await first.exited
  const beforeRestart = new Set(got.map((r) => r.id)).size
  t.ok(beforeRestart < 100, `${beforeRestart} of 100 delivered before the kill (the rest were pending)`)

  await delay(200)
  const second = await startServer(t, env, { port: first.port })
  await until(() => new Set(got.map((r) => r.id)).size >= 100, 90_000, 'all 100 delivered after the restart')
  await delay(500)
  void second

  const firstArrival: string[] = []
  const seen = new Set<string>()
  for (const r of got) if (!seen.has(r.id)) { seen.add(r.id); firstArrival.push(r.id) }
  t.same(firstArrival, acked.map((m) => m.id), 'every message, in seq order of first arrival')
  const repeats = got.length - seen.size
  t.comment(`deliveries ${got.length}, distinct ${seen.size}, repeats ${repeats} (at least once)`)
  t.ok(repeats <= 1, `repeats bounded by the one message in flight at the kill (${repeats})`)
})
