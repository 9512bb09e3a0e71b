import t from 'tap'
import { Type } from 'typebox'
import { listen } from '../helper.js'
import { badTokens } from '../modules/auth/tokens.js'
import { defineEvent } from '../../src/plugins/realtime/index.js'
import { validation } from '../../src/lib/errors.js'
import { connect, connected, makeUsers, openSocket, refused, settle, sleep, until, type User } from '../modules/presence/helpers.js'
import type { App } from '../../src/app.js'

/** Events only these tests register, through the same facade the modules use. */
function testEvents (app: App): { echoed: string[] } {
  const echoed: string[] = []
  app.realtime.handle({
    'test:echo': defineEvent(Type.Object({ text: Type.String({ maxLength: 10 }) }, { additionalProperties: false }), async (ctx, p) => {
      echoed.push(p.text)
      return { text: p.text, userId: ctx.userId }
    }),
    'test:boom': defineEvent(Type.Object({}), async () => { throw new Error('secret database detail') }),
    // Not async: throws before any promise exists.
    'test:sync-boom': defineEvent(Type.Object({}), (() => { throw new Error('sync detail') }) as any),
    'test:app-error': defineEvent(Type.Object({}), async () => { throw validation('nope') })
  })
  return { echoed }
}

t.test('handshake: a missing, malformed, forged or expired token is refused with UNAUTHORIZED', async (t) => {
  const { app, url } = await listen(t)
  const [user] = await makeUsers(app, 1) as [User]
  const cases: Array<[string, unknown]> = [
    ['no token', undefined],
    ['empty token', ''],
    ['a number', 42],
    ['an object', { token: user.accessToken }],
    ...badTokens(user.id)
  ]
  for (const [name, token] of cases) {
    const socket = openSocket(t, url, token)
    t.equal(await refused(socket), 'UNAUTHORIZED', name)
  }
  // The refresh token is not an access token either.
  t.equal(await refused(openSocket(t, url, user.refreshToken)), 'UNAUTHORIZED', 'refresh token')
  const ok = await connect(t, url, user)
  t.ok(ok.socket.connected, 'a valid access token connects')
})

t.test('origin: a foreign browser origin is refused; same-origin, allowlisted and origin-less clients pass', async (t) => {
  const { app, url } = await listen(t, { ALLOWED_ORIGINS: 'https://chat.example.com, https://App.Example.org/' })
  const [user] = await makeUsers(app, 1) as [User]
  const withOrigin = (origin: string) => openSocket(t, url, user.accessToken, { extraHeaders: { origin } })

  for (const origin of ['https://evil.example', 'null', 'https://chat.example.com.evil.example', 'http://localhost:1']) {
    const message = await refused(withOrigin(origin))
    t.not(message, 'UNAUTHORIZED', `${origin} refused before authentication (${message})`)
  }
  await connected(withOrigin(url))
  t.pass('same origin')
  await connected(withOrigin('https://chat.example.com'))
  t.pass('allowlisted origin')
  await connected(withOrigin('https://app.example.org'))
  t.pass('allowlist entries compare as origins (case, trailing slash)')
  await connected(openSocket(t, url, user.accessToken))
  t.pass('no Origin header (not a browser)')
})

t.test('origin: ALLOWED_ORIGINS=* lets any origin in', async (t) => {
  const { app, url } = await listen(t, { ALLOWED_ORIGINS: '*' })
  const [user] = await makeUsers(app, 1) as [User]
  await connected(openSocket(t, url, user.accessToken, { extraHeaders: { origin: 'https://evil.example' } }))
  t.pass('connected')
})

t.test('connections per IP are capped, and a closed connection frees its slot', async (t) => {
  const { app, url } = await listen(t, { MAX_CONNECTIONS_PER_IP: 2 })
  const [user] = await makeUsers(app, 1) as [User]
  const first = await connect(t, url, user)
  await connect(t, url, user)
  const message = await refused(openSocket(t, url, user.accessToken))
  t.not(message, 'UNAUTHORIZED', `third connection refused (${message})`)
  // Unauthenticated connections hold a slot while open too, and release it when refused.
  await first.close()
  await until(async () => {
    const s = openSocket(t, url, user.accessToken)
    try {
      await connected(s)
      return true
    } catch {
      return false
    }
  }, 5000, 'a free slot')
  t.pass('a slot frees up after a disconnect')
})

t.test('events without an ack, non-object payloads, unknown events and invalid payloads are answered, not fatal', async (t) => {
  const { app, url } = await listen(t)
  const { echoed } = testEvents(app)
  const [user] = await makeUsers(app, 1) as [User]
  const c = await connect(t, url, user)

  // No ack callback at all: nothing to answer, nothing crashes.
  c.socket.emit('test:echo', { text: 'no-ack' })
  c.socket.emit('test:echo')
  c.socket.emit('test:echo', 'a string')
  c.socket.emit('no:such:event', { x: 1 })
  c.socket.emit('test:boom', {})
  await until(() => echoed.includes('no-ack'), 5000, 'the no-ack event to run')

  const unknownBefore = app.realtime.stats.unknownEvents
  t.same(await c.call('no:such:event', {}), { ok: false, error: { code: 'VALIDATION', message: 'Unknown event no:such:event' } })
  t.equal(app.realtime.stats.unknownEvents, unknownBefore + 1, 'unknown events are counted')

  for (const [name, args] of [
    ['no payload', []],
    ['a string', ['hello']],
    ['a number', [7]],
    ['null', [null]],
    ['an array', [[{ text: 'x' }]]]
  ] as Array<[string, unknown[]]>) {
    const ack = await c.call('test:echo', ...args)
    t.same(ack, { ok: false, error: { code: 'VALIDATION', message: 'Payload must be an object' } }, name)
  }
  for (const [name, payload] of [
    ['missing field', {}],
    ['wrong type', { text: 1 }],
    ['too long', { text: 'x'.repeat(11) }],
    ['extra field', { text: 'x', userId: 'someone-else' }]
  ] as Array<[string, unknown]>) {
    const ack = await c.call('test:echo', payload)
    t.equal(ack.ok, false, name)
    t.equal(ack.error.code, 'VALIDATION', name)
  }
  t.same(echoed, ['no-ack'], 'no invalid payload reached the handler')
  t.same(await c.call('test:echo', { text: 'hi' }), { ok: true, data: { text: 'hi', userId: user.id } }, 'the socket still works')
})

t.test('a handler error becomes INTERNAL without details and the socket stays connected', async (t) => {
  const { app, url } = await listen(t)
  testEvents(app)
  const [user] = await makeUsers(app, 1) as [User]
  const c = await connect(t, url, user)
  const before = app.realtime.stats.handlerErrors

  t.same(await c.call('test:boom', {}), { ok: false, error: { code: 'INTERNAL', message: 'Internal error' } })
  t.same(await c.call('test:sync-boom', {}), { ok: false, error: { code: 'INTERNAL', message: 'Internal error' } }, 'a synchronous throw too')
  t.same(await c.call('test:app-error', {}), { ok: false, error: { code: 'VALIDATION', message: 'nope' } }, 'AppErrors keep their code')
  t.equal(app.realtime.stats.handlerErrors, before + 2, 'only unexpected errors are counted')
  t.ok(c.socket.connected, 'still connected')
  t.equal((await c.call('test:echo', { text: 'after' })).ok, true, 'and still served')
})

t.test('rate limit: a socket over SOCKET_EVENTS_PER_S gets RATE_LIMITED; other sockets are unaffected', async (t) => {
  const { app, url } = await listen(t, { SOCKET_EVENTS_PER_S: 2 })
  const { echoed } = testEvents(app)
  const [a, b] = await makeUsers(app, 2) as [User, User]
  const ca = await connect(t, url, a)
  const cb = await connect(t, url, b)
  const before = app.realtime.stats.rateLimited

  const acks = await Promise.all(Array.from({ length: 8 }, async (_, i) => await ca.call(i % 2 === 0 ? 'test:echo' : 'no:such', { text: `m${i}` })))
  const limited = acks.filter((r) => r.ok === false && r.error.code === 'RATE_LIMITED')
  // Burst = 2 x rate = 4 events, unknown events included; a token may refill meanwhile.
  t.ok(limited.length >= 3 && limited.length <= 4, `${limited.length} of 8 limited`)
  const { retryAfterMs, ...error } = limited[0].error
  t.same({ ...limited[0], error }, { ok: false, error: { code: 'RATE_LIMITED', message: 'Too many events, slow down' } })
  // 2 events/s: the next token is at most 500 ms away
  t.ok(Number.isInteger(retryAfterMs) && retryAfterMs > 0 && retryAfterMs <= 500, `retryAfterMs ${String(retryAfterMs)}: the time to the next token`)
  t.equal(app.realtime.stats.rateLimited, before + limited.length, 'counted')
  t.ok(echoed.length <= 3, 'limited events did not run')

  t.equal((await cb.call('test:echo', { text: 'b' })).ok, true, 'another socket has its own bucket')
  await sleep(1100)
  t.equal((await ca.call('test:echo', { text: 'later' })).ok, true, 'the bucket refills')
  t.ok(ca.socket.connected, 'still connected')
})

t.test('an oversized message disconnects only that socket', async (t) => {
  const { app, url } = await listen(t, { SOCKET_MAX_PAYLOAD_BYTES: 1024 })
  const { echoed } = testEvents(app)
  const [a, b] = await makeUsers(app, 2) as [User, User]
  const big = await connect(t, url, a)
  const sameUser = await connect(t, url, a)
  const other = await connect(t, url, b)

  big.socket.emit('test:echo', { text: 'x'.repeat(2000) })
  t.equal(await big.disconnected, 'transport close', 'the sender is cut')
  await settle()
  t.ok(sameUser.socket.connected, 'the same user\'s other socket stays up')
  t.ok(other.socket.connected, 'other users stay up')
  t.equal((await other.call('test:echo', { text: 'fine' })).ok, true, 'and are served')
  t.equal((await sameUser.call('test:echo', { text: 'fine' })).ok, true)
  t.notOk(echoed.some((x) => x.length > 10), 'the oversized event never ran')
})

t.test('toUser reaches every device of the user and nobody else; disconnectUser cuts them all', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await makeUsers(app, 2) as [User, User]
  const phone = await connect(t, url, a)
  const laptop = await connect(t, url, a)
  const other = await connect(t, url, b)
  t.equal(app.realtime.localSocketCount(a.id), 2)

  // Events are typed by name (the protocol module's map): a signal stands in for any of them.
  const hello = { fromUserId: b.id, name: 'hello', payload: 1 }
  const all = { fromUserId: b.id, name: 'all', payload: 2 }
  app.realtime.toUser(a.id, 'signal', hello)
  app.realtime.toUsers([a.id, b.id], 'signal', all)
  app.realtime.toUsers([], 'signal', { fromUserId: b.id, name: 'none', payload: 3 })
  const gotAll = (c: typeof phone) => async () => { await until(() => c.of('signal').some((x) => x.name === 'all'), 5000) }
  await gotAll(phone)()
  await gotAll(laptop)()
  await gotAll(other)()
  t.same(phone.of('signal'), [hello, all])
  t.same(laptop.of('signal'), [hello, all])
  t.same(other.of('signal'), [all], 'another user gets only what was sent to them')

  app.realtime.disconnectUser(a.id)
  t.equal(await phone.disconnected, 'io server disconnect')
  t.equal(await laptop.disconnected, 'io server disconnect')
  await settle()
  t.ok(other.socket.connected)
  t.equal(app.realtime.localSocketCount(a.id), 0)
})

t.test('closing the app disconnects sockets and waits for their disconnect hooks', async (t) => {
  const { app, url } = await listen(t)
  const [user] = await makeUsers(app, 1) as [User]
  const done: string[] = []
  app.realtime.onDisconnect(async (ctx) => {
    await sleep(100)
    done.push(ctx.userId)
  })
  const c = await connect(t, url, user)
  await app.close()
  t.same(done, [user.id], 'the hook finished before close returned')
  t.equal(await c.disconnected, 'transport close', 'a shutdown is not a kick: clients reconnect')
})

// Clients that reconnect at once after the shutdown cut used to land on the closing node
// again; their open WebSockets kept the HTTP server from closing, and app.close() hung
// until the process was killed by the shutdown timeout.
t.test('closing the app with clients that reconnect at once: new sockets are refused and close returns', async (t) => {
  const { app, url } = await listen(t)
  const users = await makeUsers(app, 20)
  const clients = await Promise.all(users.map(async (u) => await connect(t, url, u, { reconnection: true, reconnectionDelay: 1, reconnectionDelayMax: 5, randomizationFactor: 0 })))
  const refusedAttempts: string[] = []
  for (const c of clients) c.socket.on('connect_error', (err) => { refusedAttempts.push(err.message) })
  // A hook slow enough that the clients try to reconnect while the shutdown is under way.
  app.realtime.onDisconnect(async () => { await sleep(300) })
  const closed = app.close().then(() => 'closed')
  const outcome = await Promise.race([closed, sleep(8000).then(() => 'still open after 8 s')])
  t.equal(outcome, 'closed', 'app.close() returned')
  t.ok(refusedAttempts.length > 0, `reconnect attempts during the shutdown were refused (${refusedAttempts.length})`)
  t.ok(clients.every((c) => !c.socket.connected), 'no client is connected to the closed node')
  t.ok(clients.every((c) => c.socket.active), 'and every client is still trying (it was not kicked)')
  for (const c of clients) c.socket.disconnect()
})
