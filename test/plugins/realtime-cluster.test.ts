import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { createTestDatabase, listen, servicesMode } from '../helper.js'
import type { App } from '../../src/app.js'
import { connect, makeConversation, makeFriends, makeUsers, settle, until, type User } from '../modules/presence/helpers.js'

type Adapter = 'classic' | 'sharded'

/** Two app instances (nodes) on one PostgreSQL database and one Redis. */
async function twoNodes (t: Test, adapter: Adapter): Promise<Array<{ app: App, url: string }>> {
  const databaseUrl = await createTestDatabase(t)
  const one = await listen(t, { REDIS_ADAPTER: adapter }, { databaseUrl })
  const two = await listen(t, { REDIS_ADAPTER: adapter }, { databaseUrl })
  return [one, two]
}

const online = async (app: App, userId: string): Promise<boolean | undefined> => (await app.presence.status([userId])).get(userId)?.online

// Every test under both Socket.IO Redis adapters (REDIS_ADAPTER).
for (const adapter of ['classic', 'sharded'] as const) {
t.test(`many nodes (${adapter} adapter)`, { skip: !servicesMode ? 'needs PostgreSQL and Redis' : false }, async (t) => {
  t.test('emits to users, rooms joined and left, and kicks cross nodes', async (t) => {
    const [n1, n2] = await twoNodes(t, adapter) as [{ app: App, url: string }, { app: App, url: string }]
    const [a, b] = await makeUsers(n1.app, 2) as [User, User]
    const a1 = await connect(t, n1.url, a)
    const b2 = await connect(t, n2.url, b)
    const b1 = await connect(t, n1.url, b)
    // Until the other node's subscription to a room it just got a socket in is live (the
    // sharded adapter subscribes per room), an emit may miss it: retry until one arrives.
    const eventually = async (emit: () => void, got: () => boolean, what: string): Promise<void> => {
      await until(async () => { if (!got()) emit(); await settle(50); return got() }, 5000, what)
    }
    const typing = (n: number): { conversationId: string, userId: string, typing: boolean } => ({ conversationId: `c${n}`, userId: a.id, typing: true })
    await eventually(() => { n2.app.realtime.toUser(b.id, 'typing', typing(0)) }, () => b2.of('typing').length > 0, 'b\'s user room live on node 2')
    await settle(300)
    const before = { a1: a1.of('typing').length, b1: b1.of('typing').length, b2: b2.of('typing').length }

    // Two rooms (one at a time under sharded; b named twice) and many rooms (one emit to all).
    n2.app.realtime.toUsers([a.id, b.id, b.id], 'typing', typing(1))
    const many = [a.id, b.id, ...Array.from({ length: 10 }, () => randomUUID())]
    n1.app.realtime.toUsers(many, 'typing', typing(2))
    for (const [client, n] of [[a1, before.a1], [b1, before.b1], [b2, before.b2]] as const) await client.waitFor('typing', n + 2)
    await settle(300)
    for (const [client, n] of [[a1, before.a1], [b1, before.b1], [b2, before.b2]] as const) {
      // Emitted from two nodes: no order between them.
      t.same(client.of('typing').slice(n).map((p) => p.conversationId).sort(), ['c1', 'c2'], 'each device once')
    }

    const room = `channel:${randomUUID()}`
    n1.app.realtime.joinRoom([b.id], room)
    // Joins are asynchronous on both adapters (classic: even on the emitting node, which
    // applies its own join when Redis echoes it back; sharded: until the other node's room
    // subscription is live).
    const inRoom = (c: typeof b1): boolean => c.of('typing').some((p) => p.conversationId === 'c3')
    await eventually(() => { n1.app.realtime.toRoom(room, 'typing', typing(3)) }, () => inRoom(b1) && inRoom(b2), 'b\'s sockets on both nodes in the room')
    t.notOk(a1.of('typing').some((p) => p.conversationId === 'c3'), 'not a, who is not in the room')

    n1.app.realtime.leaveRoom([b.id], room)
    await settle(300)
    const received = b2.of('typing').length
    n1.app.realtime.toRoom(room, 'typing', typing(4))
    await settle(300)
    t.equal(b2.of('typing').length, received, 'left on node 2 too')

    n1.app.realtime.disconnectUser(b.id)
    t.equal(await b2.disconnected, 'io server disconnect', 'kicked on the other node')
    t.equal(await b1.disconnected, 'io server disconnect')
  })

  t.test('a session cutoff lands on the other node before a later emit from the same node', async (t) => {
    const [n1, n2] = await twoNodes(t, adapter) as [{ app: App, url: string }, { app: App, url: string }]
    const [b] = await makeUsers(n1.app, 1) as [User]
    const b2 = await connect(t, n2.url, b)
    const typing = { conversationId: 'c', userId: b.id, typing: true }
    await until(async () => { if (b2.of('typing').length === 0) n1.app.realtime.toUser(b.id, 'typing', typing); await settle(50); return b2.of('typing').length > 0 }, 5000, 'b\'s room live on node 2')
    await settle(300)
    const seen = b2.of('typing').length
    await settle(5)
    // PUBLISH (the cutoff) then, under sharded, SPUBLISH (the emit) on one connection.
    const cut = n1.app.realtime.endSessions(b.id, Date.now())
    n1.app.realtime.toUser(b.id, 'typing', typing)
    await cut
    t.equal(await b2.disconnected, 'io server disconnect', 'the old token\'s socket is cut')
    t.equal(b2.of('typing').length, seen, 'before the emit that followed the cutoff reached it')
  })

  t.test('presence follows a user\'s devices across nodes', async (t) => {
    const [n1, n2] = await twoNodes(t, adapter) as [{ app: App, url: string }, { app: App, url: string }]
    const [a, friend] = await makeUsers(n1.app, 2) as [User, User]
    await makeFriends(n1.app, a, friend)
    const f = await connect(t, n1.url, friend)

    const onTwo = await connect(t, n2.url, a)
    t.same(await f.waitFor('presence'), [{ userId: a.id, online: true, lastSeenAt: null }], 'online announced from node 2 reaches node 1')
    t.equal(await online(n1.app, a.id), true, 'node 1 sees a online on node 2')
    const onOne = await connect(t, n1.url, a)
    await onTwo.close()
    await until(async () => n2.app.realtime.localSocketCount(a.id) === 0, 5000, 'node 2 to drop a')
    await settle(300)
    t.equal(f.of('presence').length, 1, 'moving between nodes changes nothing')
    t.equal(await online(n2.app, a.id), true, 'node 2 sees a online on node 1')

    await onOne.close()
    const [, offline] = await f.waitFor('presence', 2)
    t.equal(offline.online, false)
    t.equal(await online(n2.app, a.id), false)
    const row = await n2.app.prisma.user.findUniqueOrThrow({ where: { id: a.id } })
    t.equal(row.lastSeenAt?.toISOString(), offline.lastSeenAt, 'lastSeenAt stored')
  })

  t.test('devices connecting and leaving on both nodes at once: exactly one online and one offline', async (t) => {
    const [n1, n2] = await twoNodes(t, adapter) as [{ app: App, url: string }, { app: App, url: string }]
    const [a, friend] = await makeUsers(n1.app, 2) as [User, User]
    await makeFriends(n1.app, a, friend)
    const f = await connect(t, n2.url, friend)
    for (let round = 1; round <= 3; round++) {
      const devices = await Promise.all([n1, n2, n1, n2].map(async (n) => await connect(t, n.url, a)))
      await f.waitFor('presence', 2 * round - 1)
      await Promise.all(devices.map(async (d) => { await d.close() }))
      await f.waitFor('presence', 2 * round)
    }
    await settle(300)
    t.same(f.of('presence').map((p) => p.online), [true, false, true, false, true, false])
  })

  t.test('typing and signal cross nodes', async (t) => {
    const [n1, n2] = await twoNodes(t, adapter) as [{ app: App, url: string }, { app: App, url: string }]
    const [a, b, c] = await makeUsers(n1.app, 3) as [User, User, User]
    const conversationId = await makeConversation(n1.app, [a, b, c])
    const a1 = await connect(t, n1.url, a)
    const b1 = await connect(t, n1.url, b)
    const b2 = await connect(t, n2.url, b)
    const c2 = await connect(t, n2.url, c)

    t.same(await a1.call('typing', { conversationId, typing: true }), { ok: true, data: {} })
    const typing = { conversationId, userId: a.id, typing: true }
    for (const client of [b1, b2, c2]) t.same(await client.waitFor('typing'), [typing])

    t.same(await c2.call('signal', { toUserId: b.id, name: 'call:offer', payload: { sdp: 'x' } }), { ok: true, data: {} })
    const signal = { fromUserId: c.id, name: 'call:offer', payload: { sdp: 'x' } }
    t.same(await b1.waitFor('signal'), [signal], 'the target\'s device on the other node')
    t.same(await b2.waitFor('signal'), [signal], 'and on the same node')
    await settle()
    t.same(a1.of('signal'), [])
    t.same(c2.of('typing'), [typing])
  })

  t.test('a node shutting down announces its users offline to the other nodes', async (t) => {
    const [n1, n2] = await twoNodes(t, adapter) as [{ app: App, url: string }, { app: App, url: string }]
    const [a, friend] = await makeUsers(n1.app, 2) as [User, User]
    await makeFriends(n1.app, a, friend)
    const f = await connect(t, n1.url, friend)
    await connect(t, n2.url, a)
    await f.waitFor('presence')
    await n2.app.close()
    const [, offline] = await f.waitFor('presence', 2)
    t.same([offline.userId, offline.online], [a.id, false])
    t.equal(await online(n1.app, a.id), false)
  })

  t.test('the users of a node that stopped heartbeating count as offline, and a sweep announces them', async (t) => {
    const [n1] = await twoNodes(t, adapter) as [{ app: App, url: string }]
    const redis = n1.app.realtime.redis
    if (redis === undefined) throw new Error('no redis')
    const [a, friend] = await makeUsers(n1.app, 2) as [User, User]
    await makeFriends(n1.app, a, friend)
    const f = await connect(t, n1.url, friend)

    // A node that died without cleaning up: its hash still says a has a socket there.
    const deadNode = `dead-${randomUUID()}`
    t.teardown(async () => { await redis.multi().zrem('presence:nodes', deadNode).del(`presence:node:${deadNode}`).exec() })
    const [seconds] = await redis.time()
    await redis.multi().hset(`presence:node:${deadNode}`, a.id, 1).zadd('presence:nodes', Number(seconds) * 1000, deadNode).exec()
    t.equal(await online(n1.app, a.id), true, 'while its heartbeat is fresh, its users are online')

    const lastBeat = (Number(seconds) - 60) * 1000
    await redis.zadd('presence:nodes', lastBeat, deadNode)
    t.equal(await online(n1.app, a.id), false, 'a stale node counts for nothing')
    t.ok(await n1.app.presence.sweep() >= 1, 'swept')
    t.same(await f.waitFor('presence'), [{ userId: a.id, online: false, lastSeenAt: new Date(lastBeat).toISOString() }], 'announced, last seen at the dead node\'s last heartbeat')
    const row = await n1.app.prisma.user.findUniqueOrThrow({ where: { id: a.id } })
    t.equal(row.lastSeenAt?.getTime(), lastBeat)
    t.equal(await redis.zscore('presence:nodes', deadNode), null, 'the dead node is gone')
    t.equal(await redis.exists(`presence:node:${deadNode}`), 0)
  })

  t.test('a sweep does not announce users still connected elsewhere', async (t) => {
    const [n1, n2] = await twoNodes(t, adapter) as [{ app: App, url: string }, { app: App, url: string }]
    const redis = n1.app.realtime.redis
    if (redis === undefined) throw new Error('no redis')
    const [a, friend] = await makeUsers(n1.app, 2) as [User, User]
    await makeFriends(n1.app, a, friend)
    const f = await connect(t, n1.url, friend)
    await connect(t, n2.url, a)
    await f.waitFor('presence')

    const deadNode = `dead-${randomUUID()}`
    t.teardown(async () => { await redis.multi().zrem('presence:nodes', deadNode).del(`presence:node:${deadNode}`).exec() })
    await redis.multi().hset(`presence:node:${deadNode}`, a.id, 2).zadd('presence:nodes', 1000, deadNode).exec()
    await n1.app.presence.sweep()
    await settle(300)
    t.equal(f.of('presence').length, 1, 'no offline for a user online on node 2')
    t.equal(await online(n1.app, a.id), true)
  })

  t.test('a node repairs its Redis state on the next heartbeat (Redis restarted or flushed)', async (t) => {
    const [n1, n2] = await twoNodes(t, adapter) as [{ app: App, url: string }, { app: App, url: string }]
    const redis = n1.app.realtime.redis
    if (redis === undefined) throw new Error('no redis')
    const [a] = await makeUsers(n1.app, 1) as [User]
    await connect(t, n1.url, a)
    await until(async () => await online(n2.app, a.id) === true, 5000, 'a online')
    // What a Redis restart without persistence leaves: nothing of node 1.
    const nodeKeys = (await redis.zrange('presence:nodes', '0', '-1')).map((id) => `presence:node:${id}`)
    const mine: string[] = []
    for (const key of nodeKeys) if (await redis.hget(key, a.id) !== null) mine.push(key)
    t.equal(mine.length, 1, 'a is counted on exactly one node')
    await redis.del(...mine)
    t.equal(await online(n2.app, a.id), false, 'lost')
    await n1.app.presence.sweep()
    t.equal(await online(n2.app, a.id), true, 'restored by the heartbeat')
  })
})
}
