// suite: default only — the SDK's own behaviour; the server paths it drives run on both engines in test/modules
import t from 'tap'
import type { ConnectionStatus, Tokens } from '@relay-im/client'
import { AUTH_EXPIRY_GRACE_MS } from '../../src/plugins/realtime/index.js'
import { allMessages, clientFor, delay, expiredToken, group, next, registerUser, server, until } from './fixtures.js'

// Most of this file's time is waiting out token lifetimes and the grace period; its tests share
// nothing (a server and users each), so they wait side by side.
t.jobs = 4

t.test('an expired access token at the handshake is refreshed; the rotated pair is announced', async (t) => {
  const srv = await server(t)
  const user = await registerUser(srv.app)
  const client = clientFor(t, srv, user, { token: expiredToken(srv.app, user.id) })
  const announced: Tokens[] = []
  client.on('tokens', (x) => announced.push(x))
  const seen: ConnectionStatus[] = []
  client.on('status', (s) => seen.push(s))
  await client.connect()
  t.same(seen, ['connecting', 'online'])
  t.equal(announced.length, 1, 'one refresh')
  t.not(announced[0]!.refreshToken, user.refreshToken, 'rotated')
  t.same(client.tokens, announced[0])
  t.equal(srv.app.realtime.localSocketCount(user.id), 1)
  // The stored refresh token is the live one.
  const res = await srv.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: announced[0]!.refreshToken } })
  t.equal(res.statusCode, 200)
})

t.test('REST calls with an expired token refresh once, even when concurrent', async (t) => {
  const srv = await server(t)
  const user = await registerUser(srv.app)
  const client = clientFor(t, srv, user, { token: expiredToken(srv.app, user.id) })
  let refreshes = 0
  client.on('tokens', () => { refreshes++ })
  const results = await Promise.all(Array.from({ length: 5 }, () => client.me()))
  t.same(results.map((u) => u.id), Array(5).fill(user.id))
  t.equal(refreshes, 1, 'a single refresh (a second use of the old token would revoke the family)')
  t.equal((await client.me()).id, user.id, 'the session still works')
})

t.test('auth:expired on a live socket: refreshed in place, no disconnect, sends keep flowing', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const conversationId = await group(srv.app, a, [b])
  const shortLived = srv.app.jwt.sign({ sub: a.id, typ: 'access' }, { expiresIn: 3 } as any)
  const client = clientFor(t, srv, a, { token: shortLived })
  await client.connect()
  const seen: ConnectionStatus[] = []
  client.on('status', (s) => seen.push(s))
  let disconnects = 0
  client.on('disconnect', () => { disconnects++ })
  const expired = next(client, 'auth:expired', () => true, 8000)
  const tokens = next(client, 'tokens', () => true, 9000)

  const sent: Promise<unknown>[] = []
  for (let i = 0; i < 20; i++) {
    sent.push(client.send({ conversationId, type: 'text', content: `e${i}` }))
    await delay(200)
  }
  t.match(await expired, { expiresAt: String })
  t.not((await tokens).accessToken, shortLived)
  await Promise.all(sent)
  await delay(AUTH_EXPIRY_GRACE_MS + 500) // past the server's cut-off for an unrefreshed socket
  t.same(seen, [], 'stayed online')
  t.equal(disconnects, 0)
  t.equal(srv.app.realtime.localSocketCount(a.id), 1)
  await client.send({ conversationId, type: 'text', content: 'after' })
  t.equal((await allMessages(srv.app, b, conversationId)).length, 21)
})

t.test('a refresh slower than the grace period: the server cuts, the client comes back with queued messages', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const conversationId = await group(srv.app, a, [b])
  const shortLived = srv.app.jwt.sign({ sub: a.id, typ: 'access' }, { expiresIn: 3 } as any)
  // A slow network for the refresh call only.
  const slowFetch: typeof fetch = async (input, init) => {
    if (String(input).endsWith('/api/auth/refresh')) await delay(AUTH_EXPIRY_GRACE_MS + 700)
    return await fetch(input, init)
  }
  const client = clientFor(t, srv, a, { token: shortLived, fetch: slowFetch })
  await client.connect()
  const seen: ConnectionStatus[] = []
  client.on('status', (s) => seen.push(s))
  const cut = next(client, 'disconnect', () => true, 3000 + AUTH_EXPIRY_GRACE_MS + 3000)
  t.same(await cut, { reason: 'io server disconnect', reconnecting: true }, 'not taken for a kick')
  const queued = [client.send({ conversationId, type: 'text', content: 'q1' }), client.send({ conversationId, type: 'text', content: 'q2' })]
  await until(() => client.status === 'online', 5000, 'back online')
  t.same(seen, ['reconnecting', 'online'])
  t.same((await Promise.all(queued)).map((x) => (x as { seq: number }).seq), [1, 2])
  t.same((await allMessages(srv.app, b, conversationId)).map((m) => m.content), ['q1', 'q2'])
})
