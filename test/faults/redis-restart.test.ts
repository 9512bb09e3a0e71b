/**
 * Fault: the Redis behind the Socket.IO adapter is killed and restarted (empty) while a
 * client on node A sends to a client on node B.
 * Promise: sends keep being acknowledged (the database is fine); /readyz reports Redis; live
 * cross-node delivery resumes by itself after the restart (no client reconnects); what was
 * missed meanwhile is recovered by `sync`; nothing acknowledged is lost or stored twice.
 * Uses a private redis-server (the shared one on 6379 is never touched). Services mode
 * only (two nodes need a shared PostgreSQL).
 */
import t from 'tap'
import { createTestDatabase, servicesMode } from '../helper.js'
import {
  checkExactlyOnce, checkGapFree, dbRows, delay, ensureBuilt, group, privateRedis, probe, REDIS_SERVER, sdk, sendTracked, startServer, until, users, within,
  type Sent, type User
} from './support.js'
import type { Message, SyncResult } from '@relay-im/client'

t.setTimeout(300_000)

const skip = !servicesMode ? 'needs PostgreSQL and redis-server (TEST_SERVICES=1)' : REDIS_SERVER === undefined ? 'no redis-server binary' : false

t.test('Redis restarted mid-stream', { skip }, async (t) => {
  await ensureBuilt()
  const redis = await privateRedis(t)
  const databaseUrl = await createTestDatabase(t)
  const env = { DATABASE_URL: databaseUrl, REDIS_URL: redis.url }
  const [nodeA, nodeB] = await Promise.all([startServer(t, env), startServer(t, env)])
  const [a, b] = await users(nodeA.url, 2) as [User, User]
  const g = await group(nodeA.url, a, [b])
  const sender = sdk(t, nodeA.url, a)
  const receiver = sdk(t, nodeB.url, b)
  receiver.client.setCursor(g, 0)
  await within(Promise.all([sender.client.connect(), receiver.client.connect()]), 20_000, 'connect')

  const sent: Sent[] = []
  const send = (label: string): Sent => { const s = sendTracked(sender, a.id, g, label); sent.push(s); return s }
  const live = (s: Sent): boolean => receiver.received.some((m) => m.clientMsgId === s.clientMsgId)

  // Before: node A to node B through Redis.
  const before = Array.from({ length: 10 }, (_, i) => send(`before ${i}`))
  await within(Promise.all(before.map(async (s) => { await s.done })), 30_000, 'sends before')
  await until(() => before.every(live), 15_000, 'cross-node delivery before the fault')
  t.pass('cross-node delivery works before the fault')

  // Redis dies; sends go on.
  await redis.kill()
  const during: Sent[] = []
  for (let i = 0; i < 10; i++) {
    during.push(send(`during ${i}`))
    await delay(100)
  }
  const dead = (): boolean => !nodeA.alive() || !nodeB.alive()
  await until(async () => dead() || (await probe(nodeA.url + '/readyz')) === 503, 20_000, 'readyz red without Redis')
  // (A Redis publish that fails must not be an unhandled rejection: close-with-grace would
  // take the whole node down with it.)
  if (dead()) {
    t.fail(`a node died during the Redis outage: A ${nodeA.alive() ? 'alive' : 'exited'}, B ${nodeB.alive() ? 'alive' : 'exited'}`)
    return
  }
  t.pass('/readyz is 503 while Redis is down')
  await within(Promise.all(during.map(async (s) => { await s.done })), 60_000, 'sends during the outage')
  t.same(during.filter((s) => s.error !== undefined).map((s) => s.error), [], 'sends during the outage are acknowledged (stored)')
  t.ok(!dead(), 'both nodes survive the Redis outage')

  // Redis is back (empty). Nothing reconnects the clients: delivery must resume by itself.
  await redis.start()
  await until(async () => (await probe(nodeA.url + '/readyz')) === 200 && (await probe(nodeB.url + '/readyz')) === 200, 30_000, 'readyz green again')
  t.pass('/readyz is green again on both nodes')
  const after: Sent[] = []
  await until(async () => {
    after.push(send(`after ${after.length}`))
    await after[after.length - 1]!.done
    await delay(200)
    return after.some(live)
  }, 45_000, 'live cross-node delivery to resume', 0)
  const resumedAt = after.findIndex(live)
  t.pass(`live cross-node delivery resumed by itself (probe ${resumedAt + 1})`)
  const lastProbe = send('after the resume')
  await lastProbe.done
  await until(() => live(lastProbe), 15_000, 'delivery of a message sent after the resume')
  t.same(receiver.disconnects, [], 'the receiver never lost its socket')

  // What live delivery missed: `sync` from the receiver's cursor returns it.
  const missed = sent.filter((s) => !live(s))
  t.comment(`${missed.length} messages were not delivered live during the fault`)
  const synced: Message[] = []
  for (let cursor = receiver.client.getCursors()[g] ?? 0; ;) {
    const page = await receiver.client.emitAck<SyncResult>('sync', { cursors: { [g]: cursor } })
    synced.push(...page.messages)
    if (!page.hasMore || page.messages.length === 0) break
    cursor = page.messages[page.messages.length - 1]!.seq
  }
  const syncedIds = new Set(synced.map((m) => m.clientMsgId))
  t.same(missed.filter((s) => !syncedIds.has(s.clientMsgId)).map((s) => s.clientMsgId), [], 'sync returns every message live delivery missed')
  const seen = [...receiver.received, ...synced.filter((m) => !receiver.received.some((r) => r.seq === m.seq))]
  t.same(seen.map((m) => m.seq).sort((x, y) => x - y), Array.from({ length: sent.length }, (_, i) => i + 1), 'live + sync: the receiver has every seq exactly once')

  t.same(sent.filter((s) => s.error !== undefined).map((s) => s.error), [], `all ${sent.length} sends acknowledged`)
  const { rows, lastSeq } = await dbRows(databaseUrl, [g])
  checkExactlyOnce(t, sent, rows)
  checkGapFree(t, g, rows.map((r) => r.seq), lastSeq.get(g))
})
