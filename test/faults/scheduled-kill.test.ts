// Over 20 s (about 45-60 s): two starts of the built server, the messages' time 20 s ahead,
// and the jobs in flight at the kill come back only once their lease expires (JOBS_EXPIRE_S=5).
/**
 * Fault: the server (embedded PGlite; PostgreSQL with TEST_SERVICES=1) is killed with SIGKILL
 * while 60 scheduled messages, all due at one moment, are being sent (as soon as the first
 * one is stored); then started again on the same store.
 * Promise: after the restart each of the 60 is in the conversation exactly once, and each is
 * `sent` (none failed, none left waiting): rows still waiting are queued by the relay, jobs
 * the dead node held are retried after their lease, and a retry of a message stored before
 * the kill finds it by its clientMsgId instead of sending it again.
 */
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { api, delay, ensureBuilt, group, history, scratchDatabase, startServer, tempDir, until, users, type User } from './support.js'

t.setTimeout(600_000)
t.before(ensureBuilt)

const N = 60

t.test('kill -9 in the middle of sending 60 due scheduled messages: each is sent exactly once after the restart', async (t) => {
  const env: Record<string, string> = {
    DATA_DIR: tempDir(t),
    ...(process.env.TEST_SERVICES === '1' ? { DATABASE_URL: await scratchDatabase(t) } : {}),
    SCHEDULED_MIN_AHEAD_S: '0',
    JOBS_EXPIRE_S: '5'
  }
  // A first start creates the store (initdb, every migration, the job queue's schema): minutes on a loaded machine.
  const first = await startServer(t, env, { timeoutMs: 240_000 })
  const [a, b] = await users(first.url, 2) as [User, User]
  const g = await group(first.url, a, [b])
  // All due at one moment, ahead enough to schedule them all first on a loaded machine.
  const sendAt = new Date(Date.now() + 20_000).toISOString()
  const ids = new Map<string, string>()
  await Promise.all(Array.from({ length: N }, async (_, i) => {
    const clientMsgId = randomUUID()
    const res = await api(first.url, 'POST', `/api/conversations/${g}/scheduled`, a.accessToken, { clientMsgId, type: 'text', content: `s${i}`, sendAt })
    if (res.status !== 201) throw new Error(`schedule: ${res.status} ${JSON.stringify(res.body)}`)
    ids.set(clientMsgId, res.body.id)
  }))
  t.ok(Date.now() < Date.parse(sendAt), 'all scheduled before their time')

  // Kill as soon as a worker has claimed one (status 'sending'): the rest are queued, in hand, or half done.
  // None is claimed before its time: the close look (every 10 ms) starts 2 s before it, not
  // at once (20 s of it was 2,000 requests, most of the server's CPU in this test).
  await delay(Math.max(0, Date.parse(sendAt) - Date.now() - 2000))
  let seen: Array<{ status: string }> = []
  await until(async () => {
    seen = (await api(first.url, 'GET', '/api/scheduled', a.accessToken)).body
    return seen.some((s) => s.status === 'sending') || seen.length < N
  }, 60_000, 'a scheduled message being sent', 10)
  first.proc.kill('SIGKILL')
  await first.exited
  const atKill = Object.entries(seen.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s.status]: (acc[s.status] ?? 0) + 1 }), { sent: N - seen.length }))
  t.ok(seen.length > 0, `not all sent at the kill (last look: ${atKill.map(([k, v]) => `${k} ${v}`).join(', ')})`)
  await delay(200)

  const second = await startServer(t, env, { port: first.port, timeoutMs: 240_000 })
  await until(async () => (await history(second.url, b, g)).length >= N, 120_000, `all ${N} stored`, 200)
  await until(async () => (await api(second.url, 'GET', '/api/scheduled', a.accessToken)).body.length === 0, 60_000, 'none waiting or failed', 200)
  // A second or two more: a late duplicate would show up now.
  await delay(1500)

  const messages = await history(second.url, b, g)
  const byClientId = new Map<string, number>()
  for (const m of messages) byClientId.set(m.clientMsgId, (byClientId.get(m.clientMsgId) ?? 0) + 1)
  t.equal(messages.length, N, `exactly ${N} messages`)
  t.same([...byClientId.keys()].sort(), [...ids.keys()].sort(), 'each scheduled clientMsgId once')
  t.ok([...byClientId.values()].every((n) => n === 1), 'no duplicates')
  t.same(messages.map((m) => m.seq), Array.from({ length: N }, (_, i) => i + 1), 'gap-free seqs')
})
