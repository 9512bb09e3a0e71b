// suite: default only — the SDK's own behaviour; the server paths it drives run on both engines in test/modules
import t from 'tap'
import type { Socket as NetSocket } from 'node:net'
import { randomUUID } from 'node:crypto'
import { ClientError, type Message, type SendAck, type TypingEvent } from '@relay-im/client'
import { befriend } from '../helper.js'
import { allMessages, clientFor, delay, group, next, registerUser, server, until, groupOfTwo } from './fixtures.js'

/** Counts message:send packets the client actually put on the wire. */
function countSends (socket: { onAnyOutgoing: (fn: (event: string) => void) => void }): { n: number } {
  const c = { n: 0 }
  socket.onAnyOutgoing((event) => { if (event === 'message:send') c.n++ })
  return c
}

t.test('send: ack data, delivery to the peer, and a retry with the same clientMsgId is one message', async (t) => {
  const { srv, a, ca, cb, g: conversationId } = await groupOfTwo(t)
  const got: Message[] = []
  cb.on('message:new', (m) => got.push(m))

  const clientMsgId = randomUUID()
  const ack = await ca.send({ conversationId, type: 'text', content: 'hello', clientMsgId })
  t.match(ack, { conversationId, seq: 1, clientMsgId, id: String, createdAt: String })
  await until(() => got.length === 1, 3000, 'peer got it')
  t.match(got[0], { id: ack.id, seq: 1, senderId: a.id, content: 'hello', sender: { id: a.id, username: a.username } })

  const again = await ca.send({ conversationId, type: 'text', content: 'hello', clientMsgId })
  t.same(again, ack, 'the original ack')
  await delay(200)
  t.equal(got.length, 1, 'delivered once')
  const stored = await allMessages(srv.app, a, conversationId)
  t.same(stored.map((m) => m.clientMsgId), [clientMsgId], 'stored once')
})

t.test('send by toUserId to a friend', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  await befriend(srv.app, a, b)
  const ca = clientFor(t, srv, a)
  await ca.connect()
  const ack = await ca.send({ toUserId: b.id, type: 'text', content: 'hi' })
  t.equal(ack.seq, 1)
  const stored = await allMessages(srv.app, b, ack.conversationId)
  t.same(stored.map((m) => m.content), ['hi'])
})

t.test('a server error ack rejects with its code, at once, without retry, writing nothing', async (t) => {
  const srv = await server(t)
  const [a, b, stranger] = [await registerUser(srv.app), await registerUser(srv.app), await registerUser(srv.app)]
  const conversationId = await group(srv.app, a, [b])
  const ca = clientFor(t, srv, a)
  await ca.connect()
  const sent = countSends(ca.socket)

  const started = Date.now()
  const tooLong = await ca.send({ conversationId, type: 'text', content: 'x'.repeat(4001) }).catch((e: unknown) => e)
  t.ok(tooLong instanceof ClientError)
  t.equal((tooLong as ClientError).code, 'VALIDATION')
  t.equal((tooLong as ClientError).status, 400)
  t.type((tooLong as ClientError).clientMsgId, 'string', 'says which message failed')

  const notMine = await ca.send({ conversationId: randomUUID(), type: 'text', content: 'x' }).catch((e: unknown) => e)
  t.equal((notMine as ClientError).code, 'NOT_FOUND')

  const notFriend = await ca.send({ toUserId: stranger.id, type: 'text', content: 'x' }).catch((e: unknown) => e)
  t.equal((notFriend as ClientError).code, 'FORBIDDEN')

  const bothTargets = await ca.send({ conversationId, toUserId: b.id, type: 'text', content: 'x' } as any).catch((e: unknown) => e)
  t.equal((bothTargets as ClientError).code, 'VALIDATION', 'refused locally')

  t.ok(Date.now() - started < 3000, 'no waiting for retries')
  t.equal(sent.n, 3, 'each rejected message went out exactly once')
  t.same(await allMessages(srv.app, a, conversationId), [], 'nothing written')
  t.equal(ca.pending, 0)
})

t.test('a message that cannot be delivered in time rejects with TIMEOUT and is not sent later', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const conversationId = await group(srv.app, a, [b])
  const ca = clientFor(t, srv, a, { sendTimeoutMs: 300 })
  const sent = countSends(ca.socket)
  const started = Date.now()
  const err = await ca.send({ conversationId, type: 'text', content: 'late' }).catch((e: unknown) => e)
  t.equal((err as ClientError).code, 'TIMEOUT')
  t.type((err as ClientError).clientMsgId, 'string')
  t.ok(Date.now() - started >= 290, 'after sendTimeoutMs')
  t.equal(ca.pending, 0)
  await ca.connect()
  await delay(300)
  t.equal(sent.n, 0, 'the timed-out message was dropped from the outbox')
  t.same(await allMessages(srv.app, a, conversationId), [])
})

t.test('messages sent before connecting are queued and flushed in order', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const conversationId = await group(srv.app, a, [b])
  const ca = clientFor(t, srv, a)
  const acks = Array.from({ length: 10 }, (_, i) => ca.send({ conversationId, type: 'text', content: `m${i}` }))
  t.equal(ca.pending, 10)
  await ca.connect()
  const done = await Promise.all(acks)
  t.same(done.map((x) => x.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  t.same((await allMessages(srv.app, a, conversationId)).map((m) => m.content), done.map((_, i) => `m${i}`))
})

t.test('RATE_LIMITED acks are retried after the retryAfterMs the server gave, order kept', async (t) => {
  // 1 event/s with a burst of 2: most of 5 quick sends are refused at first, and the next
  // token is up to a second away. The 5-10 ms backoff alone would resend hundreds of times in
  // the seconds this takes; waiting retryAfterMs, a handful.
  const srv = await server(t, { SOCKET_EVENTS_PER_S: 1 })
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const conversationId = await group(srv.app, a, [b])
  const ca = clientFor(t, srv, a, { reconnect: { baseMs: 5, maxMs: 10 } })
  await ca.connect()
  const sent = countSends(ca.socket)
  const acks = await Promise.all(Array.from({ length: 5 }, (_, i) => ca.send({ conversationId, type: 'text', content: `r${i}` })))
  t.same(acks.map((x) => x.seq), [1, 2, 3, 4, 5])
  t.ok(sent.n > 5 && sent.n <= 20, `retried (${sent.n} packets for 5 messages)`)
  t.ok(srv.app.realtime.stats.rateLimited > 0, 'the server did refuse some')
  t.same((await allMessages(srv.app, a, conversationId)).map((m) => m.content), ['r0', 'r1', 'r2', 'r3', 'r4'])
})

t.test('outbox: 100 messages through repeated connection cuts arrive once each, in order', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const conversationId = await group(srv.app, a, [b])
  // Server-side TCP connections, to cut them hard (no close handshake).
  const sockets = new Set<NetSocket>()
  srv.app.server.on('connection', (s: NetSocket) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })

  const ca = clientFor(t, srv, a, { ackTimeoutMs: 1000, reconnect: { baseMs: 20, maxMs: 200 } })
  await ca.connect()
  let disconnects = 0
  ca.on('disconnect', () => { disconnects++ })
  const contents = Array.from({ length: 100 }, (_, i) => `n${i}`)
  const acked: SendAck[] = []
  const all = contents.map((content) => ca.send({ conversationId, type: 'text', content }).then((ack) => { acked.push(ack); return ack }))

  // Cut three times while the stream is flowing: client-side engine close, a hard server-side
  // socket destroy, and the engine again.
  const cuts: Array<() => void> = [
    () => { ca.socket.io.engine.close() },
    () => { for (const s of sockets) s.destroy() },
    () => { ca.socket.io.engine.close() }
  ]
  for (const [i, cut] of cuts.entries()) {
    await until(() => acked.length >= (i + 1) * 25, 20_000, `${(i + 1) * 25} acks`)
    await until(() => ca.status === 'online', 5000, 'online')
    cut()
  }
  const acks = await Promise.all(all)
  t.ok(disconnects >= 3, `connection was cut (${disconnects} disconnects)`)
  t.same(acks.map((x) => x.seq), contents.map((_, i) => i + 1), 'acks in send order with consecutive seqs')
  t.equal(new Set(acks.map((x) => x.clientMsgId)).size, 100)

  const stored = await allMessages(srv.app, b, conversationId)
  t.equal(stored.length, 100, 'exactly 100 stored')
  t.same(stored.map((m) => m.content), contents, 'each once, in send order')
  t.same(stored.map((m) => m.seq), contents.map((_, i) => i + 1))
  t.same(stored.map((m) => m.clientMsgId), acks.map((x) => x.clientMsgId))
  t.equal(ca.pending, 0)
})

t.test('typing: throttled true, false after idle or on send', async (t) => {
  const { a, ca, cb, g: conversationId } = await groupOfTwo(t)
  const seen: Array<TypingEvent & { at: number }> = []
  cb.on('typing', (e) => seen.push({ ...e, at: Date.now() }))
  const typingPackets: boolean[] = []
  ca.socket.onAnyOutgoing((event, payload: { typing: boolean }) => { if (event === 'typing') typingPackets.push(payload.typing) })

  // Keystrokes every 100 ms for 2.5 s: typing:true at 0 and at about 2 s, nothing else.
  const start = Date.now()
  while (Date.now() - start < 2500) {
    ca.typing(conversationId)
    await delay(100)
  }
  t.same(typingPackets, [true, true], 'at most one typing:true per 2 s')
  // Then 3 s idle -> typing:false.
  await next(cb, 'typing', (e) => !e.typing, 10_000)
  const stop = seen[seen.length - 1]!
  t.ok(stop.at - start >= 2400 + 3000 - 200, 'false only after 3 s without a keystroke')
  t.same(typingPackets, [true, true, false])
  t.match(seen[0], { conversationId, userId: a.id, typing: true })

  // Typing, then sending: typing:false goes out with the message.
  typingPackets.length = 0
  const stopped = next(cb, 'typing', (e) => !e.typing, 10_000)
  ca.typing(conversationId)
  await ca.send({ conversationId, type: 'text', content: 'done' })
  t.same(typingPackets, [true, false])
  t.match(await stopped, { conversationId, userId: a.id, typing: false })
})

t.test('receipts, recall and signals: one call each, the peer hears about it', async (t) => {
  const { a, b, ca, cb, g: conversationId } = await groupOfTwo(t)
  const first = await ca.send({ conversationId, type: 'text', content: 'one' })
  const second = await ca.send({ conversationId, type: 'text', content: 'two' })

  const delivered = next(ca, 'message:delivered')
  t.same(await cb.markDelivered(conversationId, second.seq), { deliveredSeq: 2 })
  t.same(await delivered, { conversationId, userId: b.id, seq: 2 })

  const read = next(ca, 'message:read', (e) => e.userId === b.id)
  t.same(await cb.markRead(conversationId, first.seq), { readSeq: 1 })
  t.same(await read, { conversationId, userId: b.id, seq: 1 })

  // Offline, markRead goes over REST.
  cb.disconnect()
  const readOffline = next(ca, 'message:read', (e) => e.userId === b.id)
  t.same(await cb.markRead(conversationId, second.seq), { readSeq: 2 })
  t.same(await readOffline, { conversationId, userId: b.id, seq: 2 })
  await cb.connect()

  const bad = await cb.markRead(conversationId, 99).catch((e: unknown) => e)
  t.equal((bad as ClientError).code, 'VALIDATION', 'beyond the last message')

  const recalled = next(cb, 'message:recalled')
  await ca.recall(second.id)
  t.same(await recalled, { conversationId, messageId: second.id, seq: 2 })

  const signal = next(cb, 'signal')
  await ca.signal(b.id, 'call:offer', { sdp: 'x' })
  t.same(await signal, { fromUserId: a.id, name: 'call:offer', payload: { sdp: 'x' } })
})

t.test('close() is final: pending sends reject with CLOSED, later calls too', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const conversationId = await group(srv.app, a, [b])
  const ca = clientFor(t, srv, a)
  const queued = ca.send({ conversationId, type: 'text', content: 'never' })
  ca.close()
  t.equal(((await queued.catch((e: unknown) => e)) as ClientError).code, 'CLOSED')
  t.equal(((await ca.send({ conversationId, type: 'text', content: 'x' }).catch((e: unknown) => e)) as ClientError).code, 'CLOSED')
  t.equal(((await ca.connect().catch((e: unknown) => e)) as ClientError).code, 'CLOSED')
  t.equal(ca.pending, 0)
  t.same(await allMessages(srv.app, a, conversationId), [])
})
