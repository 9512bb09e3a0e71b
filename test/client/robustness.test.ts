// suite: default only — the SDK's own behaviour; the server paths it drives run on both engines in test/modules
import t, { type Test } from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server, type Socket } from 'socket.io'
import { ClientError, createClient, PROTOCOL_VERSION, type Client, type ClientOptions, type ConnectionStatus, type Message } from '@relay-im/client'
import { delay, next, server, until } from './fixtures.js'

/**
 * Misbehaving servers, played by small real socket.io servers: whatever they do, the SDK ends
 * in a documented status or error, never an unhandled rejection (tap fails the file on one)
 * and never a message stored twice.
 */
interface Fake {
  url: string
  port: number
  io: Server
  /** Kicks every socket (a disconnect packet: final for the SDK), then stops. */
  close: () => Promise<void>
  /** Stops without a disconnect packet, as a crash or restart does: clients see 'transport close'. */
  crash: () => Promise<void>
}

async function fake (t: Test, opts: {
  port?: number
  version?: (res: ServerResponse) => void
  onSocket?: (socket: Socket) => void
} = {}): Promise<Fake> {
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/api/version') {
      if (opts.version !== undefined) return opts.version(res)
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ protocol: PROTOCOL_VERSION, server: 'fake' }))
      return
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no' } }))
  })
  const io = new Server(http, { path: '/socket.io' })
  io.on('connection', (socket) => opts.onSocket?.(socket))
  await new Promise<void>((resolve) => http.listen(opts.port ?? 0, '127.0.0.1', resolve))
  const port = (http.address() as AddressInfo).port
  let closed = false
  const stop = async (kick: boolean): Promise<void> => {
    if (closed) return
    closed = true
    if (kick) io.disconnectSockets(true)
    await new Promise<void>((resolve) => { io.close(() => resolve()) })
  }
  const close = (): Promise<void> => stop(true)
  t.teardown(close)
  return { url: `http://127.0.0.1:${port}`, port, io, close, crash: () => stop(false) }
}

function client (t: Test, url: string, opts: Partial<ClientOptions> = {}): Client {
  const c = createClient({ url, token: 'any', refreshToken: 'any', reconnect: { baseMs: 50, maxMs: 200 }, ...opts })
  t.teardown(() => { c.close() })
  return c
}

const sendAckFor = (p: { clientMsgId: string }, seq: number): unknown =>
  ({ ok: true, data: { id: `m${seq}`, conversationId: 'c1', seq, clientMsgId: p.clientMsgId, createdAt: new Date().toISOString() } })

t.test('a server of an older protocol: connect() fails INCOMPATIBLE_SERVER, offline, no socket opened', async (t) => {
  for (const [name, version] of [
    ['protocol 0', (res: ServerResponse) => { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ protocol: PROTOCOL_VERSION - 1, server: 'old' })) }],
    ['no /api/version (404)', (res: ServerResponse) => { res.writeHead(404).end() }],
    ['a malformed answer', (res: ServerResponse) => { res.writeHead(200, { 'content-type': 'application/json' }).end('"yes"') }]
  ] as const) {
    let sockets = 0
    const srv = await fake(t, { version, onSocket: () => { sockets++ } })
    const c = client(t, srv.url)
    const errors: Error[] = []
    c.on('error', (e) => errors.push(e))
    const err = await c.connect().then(() => undefined, (e: unknown) => e)
    t.ok(err instanceof ClientError, name)
    t.equal((err as ClientError).code, 'INCOMPATIBLE_SERVER', `${name}: code`)
    t.equal(c.status, 'offline', `${name}: offline`)
    t.equal(errors.length, 1, `${name}: one error event`)
    await delay(100)
    t.equal(sockets, 0, `${name}: no socket was opened`)
  }
})

t.test('the real server states its protocol at GET /api/version and the SDK accepts it', async (t) => {
  const srv = await server(t)
  const res = await srv.app.inject({ method: 'GET', url: '/api/version' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { protocol: PROTOCOL_VERSION, server: '0.1.0', recallWindowS: 120 })
  const c = client(t, srv.url)
  t.same(await c.version(), { protocol: PROTOCOL_VERSION, server: '0.1.0', recallWindowS: 120 })
})

t.test('a server that is down: connect() keeps trying (reconnecting), send ends in TIMEOUT, close() ends connect() with CLOSED', async (t) => {
  const srv = await fake(t)
  await srv.close()
  const c = client(t, srv.url, { sendTimeoutMs: 500 })
  const seen: ConnectionStatus[] = []
  c.on('status', (s) => seen.push(s))
  const connecting = c.connect().then(() => 'online', (e: ClientError) => e.code)
  const err = await c.send({ conversationId: 'c1', type: 'text', content: 'x' }).then(() => undefined, (e: unknown) => e)
  t.equal((err as ClientError).code, 'TIMEOUT')
  t.ok(seen.includes('reconnecting'), 'status says it keeps trying')
  c.close()
  t.equal(await connecting, 'CLOSED')
  t.equal(c.status, 'offline')
})

t.test('a slow server (acks after 10 s): send ends in TIMEOUT after sendTimeoutMs, every attempt with one clientMsgId', async (t) => {
  const ids: string[] = []
  const timers: Array<ReturnType<typeof setTimeout>> = []
  t.teardown(() => { for (const timer of timers) clearTimeout(timer) })
  const srv = await fake(t, {
    onSocket: (socket) => {
      socket.on('message:send', (p: { clientMsgId: string }, ack: (a: unknown) => void) => {
        ids.push(p.clientMsgId)
        timers.push(setTimeout(() => { ack(sendAckFor(p, 1)) }, 10_000))
      })
    }
  })
  const c = client(t, srv.url, { ackTimeoutMs: 200, sendTimeoutMs: 1000 })
  await c.connect()
  const started = Date.now()
  const err = await c.send({ conversationId: 'c1', type: 'text', content: 'slow' }).then(() => undefined, (e: unknown) => e)
  t.equal((err as ClientError).code, 'TIMEOUT')
  t.ok(Date.now() - started < 3000, 'within about sendTimeoutMs')
  t.ok(ids.length >= 2, `retried (${ids.length} attempts)`)
  t.equal(new Set(ids).size, 1, 'one clientMsgId for all attempts: the server stores it once')
  t.equal((err as ClientError).clientMsgId, ids[0], 'the error names it, to retry later')
  t.equal(c.status, 'online', 'the connection itself is fine')
})

t.test('malformed acks: sends are retried and end in TIMEOUT; other calls reject INTERNAL', async (t) => {
  const bad: unknown[] = ['garbage', null, { ok: true }, { ok: true, data: { id: 1 } }, { ok: false }, { ok: false, error: { code: 'NOPE' } }]
  let i = 0
  const srv = await fake(t, {
    onSocket: (socket) => {
      socket.on('message:send', (_p: unknown, ack: (a: unknown) => void) => { ack(bad[i++ % bad.length]) })
      socket.on('message:read', (_p: unknown, ack: (a: unknown) => void) => { ack('garbage') })
      socket.on('message:delivered', (_p: unknown, ack: (a: unknown) => void) => { ack({ ok: false, error: { code: 'NOPE', message: 'x' } }) })
    }
  })
  const c = client(t, srv.url, { ackTimeoutMs: 200, sendTimeoutMs: 1500 })
  await c.connect()
  const err = await c.send({ conversationId: 'c1', type: 'text', content: 'x' }).then(() => undefined, (e: unknown) => e)
  t.equal((err as ClientError).code, 'TIMEOUT')
  t.ok(i >= bad.length, `every malformed ack was seen (${i} attempts)`)
  t.equal(c.status, 'online')
  // Calls that are not retried, on a client that waits long enough for any answer: with the
  // 200 ms above, a loaded machine (four test workers on two cores) once turned the malformed
  // answer into a TIMEOUT.
  const patient = client(t, srv.url, { ackTimeoutMs: 10_000 })
  await patient.connect()
  const read = await patient.markRead('c1', 1).then(() => undefined, (e: unknown) => e)
  t.equal((read as ClientError).code, 'INTERNAL')
  const delivered = await patient.markDelivered('c1', 1).then(() => undefined, (e: unknown) => e)
  t.equal((delivered as ClientError).code, 'INTERNAL', 'an unknown code is INTERNAL')
})

t.test('a server that kicks the client: offline, disconnect says no reconnect, queued sends stay queued until close()', async (t) => {
  let connections = 0
  const srv = await fake(t, { onSocket: (socket) => { connections++; socket.on('kick-me', () => socket.disconnect(true)) } })
  const c = client(t, srv.url)
  await c.connect()
  const info = next(c, 'disconnect')
  c.socket.emit('kick-me')
  t.same(await info, { reason: 'io server disconnect', reconnecting: false })
  t.equal(c.status, 'offline')
  const pending = c.send({ conversationId: 'c1', type: 'text', content: 'later' }).then(() => 'sent', (e: ClientError) => e.code)
  await delay(400)
  t.equal(connections, 1, 'no reconnect')
  c.close()
  t.equal(await pending, 'CLOSED')
})

t.test('a server that restarts mid-send: the send is retried with its clientMsgId and stored once', async (t) => {
  const stored = new Map<string, unknown>() // the "database": survives the restart
  let attempts = 0
  const handler = (restartOnFirst: boolean) => (socket: Socket) => {
    socket.on('message:send', (p: { clientMsgId: string }, ack: (a: unknown) => void) => {
      attempts++
      if (!stored.has(p.clientMsgId)) stored.set(p.clientMsgId, sendAckFor(p, stored.size + 1))
      if (restartOnFirst && attempts === 1) { void first.crash(); return } // stored, never acked
      ack(stored.get(p.clientMsgId))
    })
  }
  const first = await fake(t, { onSocket: handler(true) })
  const c = client(t, first.url, { ackTimeoutMs: 1000, sendTimeoutMs: 10_000 })
  await c.connect()
  const sent = c.send({ conversationId: 'c1', type: 'text', content: 'once' })
  await until(() => attempts === 1, 2000, 'first attempt')
  await until(() => c.status !== 'online', 2000, 'the cut is seen')
  await delay(200)
  await fake(t, { port: first.port, onSocket: handler(false) })
  const ack = await sent
  t.equal(ack.seq, 1)
  t.ok(attempts >= 2, 'sent again after the restart')
  t.equal(stored.size, 1, 'stored once')
  t.equal(c.status, 'online')
})

t.test('clock skew: a client clock a day off and server times far from it change nothing', async (t) => {
  const realNow = Date.now
  Date.now = () => realNow() + 24 * 3600_000
  t.teardown(() => { Date.now = realNow })
  const past = '2001-01-01T00:00:00.000Z'
  const srv = await fake(t, {
    onSocket: (socket) => {
      socket.on('message:send', (p: { clientMsgId: string }, ack: (a: unknown) => void) => {
        ack({ ok: true, data: { id: 'm9', conversationId: 'c1', seq: 9, clientMsgId: p.clientMsgId, createdAt: past } })
      })
      socket.on('sync', (_p: unknown, ack: (a: unknown) => void) => { ack({ ok: true, data: { messages: [], hasMore: false } }) })
      const msg = (seq: number): Message => ({
        id: `m${seq}`, conversationId: 'c1', seq, senderId: 'u2', sender: { id: 'u2', username: 'b', displayName: 'b', avatarUrl: null },
        clientMsgId: `k${seq}`, type: 'text', content: `#${seq}`, createdAt: '2099-01-01T00:00:00.000Z',
        rev: seq, editedAt: null, replyTo: null, mentions: [], reactions: [], forwardedFrom: null, pinnedAt: null, pinnedBy: null
      })
      setTimeout(() => { socket.emit('message:new', msg(1)); socket.emit('message:new', msg(2)); socket.emit('message:new', msg(2)) }, 100)
    }
  })
  const c = client(t, srv.url)
  const got: number[] = []
  c.on('message:new', (m) => got.push(m.seq))
  await c.connect()
  const ack = await c.send({ conversationId: 'c1', type: 'text', content: 'x' })
  t.equal(ack.createdAt, past, 'server times are passed through, not judged')
  await until(() => got.length >= 2, 2000, 'messages')
  await delay(100)
  t.same(got, [1, 2], 'in order, a repeat delivered once')
  t.equal(c.status, 'online')
})
