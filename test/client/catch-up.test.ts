// suite: default only — the SDK's own behaviour; the server paths it drives run on both engines in test/modules
import t from 'tap'
import type { Message } from '@relay-im/client'
import { Cursors } from '../../packages/client/src/cursors.js'
import type { TestUser } from '../helper.js'
import type { App } from '../../src/app.js'
import { clientFor, delay, group, next, registerUser, server, until } from './fixtures.js'

/** Sends through REST as `user` (no client involved). */
async function post (app: App, user: TestUser, conversationId: string, content: string): Promise<number> {
  const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: user.auth, payload: { clientMsgId: crypto.randomUUID(), type: 'text', content } })
  if (res.statusCode !== 201) throw new Error(`post failed: ${res.statusCode} ${res.body}`)
  return res.json().seq
}

const record = (client: { on: (e: 'message:new', fn: (m: Message) => void) => void }): Message[] => {
  const got: Message[] = []
  client.on('message:new', (m) => got.push(m))
  return got
}

t.test('after being offline, the missed messages arrive as message:new, in order, once', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const conversationId = await group(srv.app, a, [b])
  const cb = clientFor(t, srv, b)
  const got = record(cb)
  await cb.connect()
  await post(srv.app, a, conversationId, 'live')
  await until(() => got.length === 1, 3000, 'live message')

  cb.disconnect()
  for (let i = 1; i <= 5; i++) await post(srv.app, a, conversationId, `missed ${i}`)
  const synced = next(cb, 'synced')
  await cb.connect()
  t.same(await synced, { messages: 5 })
  t.same(got.map((m) => m.seq), [1, 2, 3, 4, 5, 6], 'each seq once, in order')
  t.same(got.map((m) => m.content), ['live', 'missed 1', 'missed 2', 'missed 3', 'missed 4', 'missed 5'])
  t.match(got[1], { conversationId, senderId: a.id, sender: { id: a.id } })
  t.same(cb.getCursors(), { [conversationId]: 6 })

  // Reconnecting again with nothing missed delivers nothing again.
  cb.socket.io.engine.close()
  t.same(await next(cb, 'synced'), { messages: 0 })
  await delay(100)
  t.equal(got.length, 6)
})

t.test('a peer keeps sending through cuts: the union of live and caught-up is every seq once, in order', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const conversationId = await group(srv.app, a, [b])
  const ca = clientFor(t, srv, a)
  // Slow reconnects so messages are missed while b is away.
  const cb = clientFor(t, srv, b, { reconnect: { baseMs: 300, maxMs: 600 } })
  const got = record(cb)
  const initial = next(cb, 'synced')
  await Promise.all([ca.connect(), cb.connect()])
  await initial // every connection ends with synced, the first one too
  let syncs = 0
  let caughtUp = 0
  cb.on('synced', (s) => { syncs++; caughtUp += s.messages })

  const sending = (async () => {
    for (let i = 1; i <= 40; i++) {
      await ca.send({ conversationId, type: 'text', content: `s${i}` })
      await delay(15)
    }
  })()
  await until(() => got.length >= 10, 5000, '10 live')
  cb.socket.io.engine.close()
  await until(() => syncs === 1, 5000, 'first catch-up')
  await until(() => got.length >= 25, 5000, '25')
  cb.socket.io.engine.close()
  await sending
  await until(() => syncs === 2 && got.length >= 40, 5000, 'all 40')
  await delay(100)
  t.same(got.map((m) => m.seq), Array.from({ length: 40 }, (_, i) => i + 1))
  t.same(got.map((m) => m.content), Array.from({ length: 40 }, (_, i) => `s${i + 1}`))
  t.ok(caughtUp > 0, `some came through catch-up (${caughtUp})`)
})

t.test('seeded cursors: a new device catches up from where the app left off, paging', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const conversationId = await group(srv.app, a, [b])
  for (let i = 1; i <= 9; i++) await post(srv.app, a, conversationId, `m${i}`)
  const cb = clientFor(t, srv, b, { syncLimit: 2 })
  let syncPackets = 0
  cb.socket.onAnyOutgoing((event) => { if (event === 'sync') syncPackets++ })
  const got = record(cb)
  cb.setCursor(conversationId, 3)
  const synced = next(cb, 'synced')
  await cb.connect()
  t.same(await synced, { messages: 6 })
  t.same(got.map((m) => m.seq), [4, 5, 6, 7, 8, 9])
  t.ok(syncPackets >= 3, `paged (${syncPackets} sync requests)`)
  t.same(cb.getCursors(), { [conversationId]: 9 })
})

t.test('more conversations than one sync request may name are caught up too', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const ids: string[] = []
  for (let i = 0; i < 105; i++) ids.push(await group(srv.app, a, [b]))
  const cb = clientFor(t, srv, b)
  for (const id of ids) cb.setCursor(id, 0)
  await post(srv.app, a, ids[0]!, 'first')
  await post(srv.app, a, ids[104]!, 'last')
  const got = record(cb)
  const errors: Error[] = []
  cb.on('error', (e) => errors.push(e))
  const synced = next(cb, 'synced')
  await cb.connect()
  t.same(await synced, { messages: 2 })
  t.same(got.map((m) => m.content).sort(), ['first', 'last'])
  t.same(errors, [])
})

t.test('cursors: out-of-order arrivals are delivered once; sync closes gaps', async (t) => {
  const c = new Cursors()
  const m = (seq: number) => ({ conversationId: 'c', seq })
  t.equal(c.accept(m(3)), true, 'first sight')
  t.same(c.snapshot(), { c: 3 })
  t.equal(c.accept(m(5)), true, 'ahead of a gap')
  t.same(c.snapshot(), { c: 3 }, 'the cursor waits for 4')
  t.equal(c.accept(m(5)), false, 'duplicate')
  t.equal(c.accept(m(4)), true, 'the overtaken one still arrives')
  t.same(c.snapshot(), { c: 5 })
  t.equal(c.accept(m(2)), false, 'below the cursor')
  t.equal(c.accept(m(7)), true)
  t.equal(c.acceptSynced(m(8)), true, 'sync returned 8 but not 6: 6 does not exist for us')
  t.same(c.snapshot(), { c: 8 })
  t.equal(c.accept(m(7)), false)
  c.set('d', 10)
  t.equal(c.accept({ conversationId: 'd', seq: 10 }), false)
  t.equal(c.accept({ conversationId: 'd', seq: 11 }), true)
})

t.test('a live message lost on its way (gap in seqs) is fetched with sync while the socket stays up', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const conversationId = await group(srv.app, a, [b])
  const cb = clientFor(t, srv, b, { gapRepairMs: 300 })
  const got = record(cb)
  await cb.connect()
  await post(srv.app, a, conversationId, 'one')
  await until(() => got.length === 1, 15_000, 'seq 1 live')

  // Seq 2 is committed but its fan-out never happens (what a node dying between the commit
  // and the emit, or a Redis outage, leaves behind): the row is written without a publish.
  await srv.app.sql.query(`WITH c AS (UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1::uuid RETURNING last_seq)
    INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, type, content)
    SELECT $2::uuid, $1::uuid, c.last_seq, $3::uuid, $4, 'text', '"two"'::jsonb FROM c`, [conversationId, crypto.randomUUID(), a.id, crypto.randomUUID()])
  await post(srv.app, a, conversationId, 'three')

  await until(() => got.length === 3, 15_000, 'the lost seq 2 fetched')
  t.same(got.map((m) => m.seq), [1, 3, 2], 'seq 3 live, then the missing seq 2 from sync')
  t.same(got.map((m) => m.content), ['one', 'three', 'two'])
  t.same(cb.getCursors(), { [conversationId]: 3 }, 'the cursor moved over the closed gap')
  t.ok(cb.socket.connected, 'without a reconnect')
  await delay(700)
  t.equal(got.length, 3, 'nothing delivered twice')
})
