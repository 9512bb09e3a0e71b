// suite: default only — the SDK's own behaviour; the server paths it drives run on both engines in test/modules
import t from 'tap'
import { ClientError, createClient, type ConnectionStatus, type DisconnectInfo } from '@relay-im/client'
import { build } from '../helper.js'
import { clientFor, delay, expiredToken, next, registerUser, server, until } from './fixtures.js'

t.test('connect: status goes connecting -> online and the server sees the socket', async (t) => {
  const srv = await server(t)
  const user = await registerUser(srv.app)
  const client = clientFor(t, srv, user)
  const seen: ConnectionStatus[] = []
  client.on('status', (s) => seen.push(s))
  t.equal(client.status, 'offline')
  await client.connect()
  t.same(seen, ['connecting', 'online'])
  t.equal(client.status, 'online')
  t.equal(srv.app.realtime.localSocketCount(user.id), 1)
  // connect() again while online is a no-op.
  await client.connect()
  t.same(seen, ['connecting', 'online'])
})

t.test('a bad token without a way to refresh: connect() rejects UNAUTHORIZED and stays offline', async (t) => {
  const srv = await server(t)
  const client = createClient({ url: srv.url, token: 'not-a-jwt', reconnect: { baseMs: 20, maxMs: 50 } })
  t.teardown(() => { client.close() })
  const seen: ConnectionStatus[] = []
  client.on('status', (s) => seen.push(s))
  const errors: Error[] = []
  client.on('error', (e) => errors.push(e))
  const err = await client.connect().then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof ClientError, 'a ClientError')
  t.equal((err as ClientError).code, 'UNAUTHORIZED')
  t.equal((err as ClientError).status, 401)
  t.same(seen, ['connecting', 'offline'])
  t.equal(errors.length, 1)
  await delay(200)
  t.equal(client.status, 'offline', 'no retries with a refused token')
})

t.test('an expired token with a revoked refresh token: UNAUTHORIZED, no loop', async (t) => {
  const srv = await server(t)
  const user = await registerUser(srv.app)
  const logout = await srv.app.inject({ method: 'POST', url: '/api/auth/logout', payload: { refreshToken: user.refreshToken } })
  t.equal(logout.statusCode, 204)
  const client = clientFor(t, srv, user, { token: expiredToken(srv.app, user.id) })
  const err = await client.connect().then(() => undefined, (e: unknown) => e)
  t.equal((err as ClientError).code, 'UNAUTHORIZED')
  t.equal(client.status, 'offline')
  t.equal(srv.app.realtime.localSocketCount(user.id), 0)
})

t.test('credentials only: the client signs in, then connects', async (t) => {
  const srv = await server(t)
  const user = await registerUser(srv.app)
  const client = createClient({ url: srv.url, credentials: { username: user.username, password: 'correct horse battery' } })
  t.teardown(() => { client.close() })
  const tokens = next(client, 'tokens')
  await client.connect()
  t.ok((await tokens).accessToken, 'tokens announced')
  t.equal(client.user?.id, user.id)
  t.equal(srv.app.realtime.localSocketCount(user.id), 1)
})

t.test('a cut transport: reconnecting -> online, by itself', async (t) => {
  const srv = await server(t)
  const user = await registerUser(srv.app)
  const client = clientFor(t, srv, user)
  await client.connect()
  const seen: ConnectionStatus[] = []
  client.on('status', (s) => seen.push(s))
  const info = next(client, 'disconnect')
  client.socket.io.engine.close()
  t.same(await info, { reason: 'forced close', reconnecting: true })
  await next(client, 'status', (s) => s === 'online')
  t.same(seen, ['reconnecting', 'online'])
  await until(() => srv.app.realtime.localSocketCount(user.id) === 1, 2000, 'server sees the socket again')
})

t.test('no reconnect after disconnect()', async (t) => {
  const srv = await server(t)
  const user = await registerUser(srv.app)
  const client = clientFor(t, srv, user)
  await client.connect()
  const seen: ConnectionStatus[] = []
  client.on('status', (s) => seen.push(s))
  client.disconnect()
  t.equal(client.status, 'offline')
  await until(() => srv.app.realtime.localSocketCount(user.id) === 0, 2000, 'socket gone')
  await delay(1000) // longer than the whole backoff range (maxMs 400)
  t.same(seen, ['offline'])
  t.equal(srv.app.realtime.localSocketCount(user.id), 0, 'still gone')
  // ...and connect() brings it back.
  await client.connect()
  t.same(seen, ['offline', 'reconnecting', 'online'])
  t.equal(srv.app.realtime.localSocketCount(user.id), 1)
})

t.test('disconnect() while connecting rejects connect() with CLOSED', async (t) => {
  const srv = await server(t)
  const user = await registerUser(srv.app)
  const client = clientFor(t, srv, user)
  const pending = client.connect()
  client.disconnect()
  const err = await pending.then(() => undefined, (e: unknown) => e)
  t.equal((err as ClientError).code, 'CLOSED')
  await delay(300)
  t.equal(client.status, 'offline')
  t.equal(srv.app.realtime.localSocketCount(user.id), 0)
})

t.test('no reconnect after a server-side kick', async (t) => {
  const srv = await server(t)
  const user = await registerUser(srv.app)
  const client = clientFor(t, srv, user)
  await client.connect()
  const seen: ConnectionStatus[] = []
  client.on('status', (s) => seen.push(s))
  const info = next(client, 'disconnect')
  srv.app.realtime.disconnectUser(user.id)
  t.same(await info, { reason: 'io server disconnect', reconnecting: false } satisfies DisconnectInfo)
  await delay(1000)
  t.same(seen, ['offline'])
  t.equal(srv.app.realtime.localSocketCount(user.id), 0)
})

t.test('an unreachable server: keeps trying, then comes online when it listens', async (t) => {
  const srv = await server(t)
  const user = await registerUser(srv.app)
  const { port } = new URL(srv.url)
  await srv.app.close()
  const seen: ConnectionStatus[] = []
  const client = clientFor(t, { app: srv.app, url: `http://127.0.0.1:${port}` }, user)
  client.on('status', (s) => seen.push(s))
  let connected = false
  void client.connect().then(() => { connected = true })
  await until(() => seen.includes('reconnecting'), 3000, 'reconnecting')
  t.equal(connected, false)
  t.equal(seen[0], 'connecting')
  // A fresh server on the same port (same database and secret) accepts the token.
  const again = await build(t)
  await again.listen({ port: Number(port), host: '127.0.0.1' })
  await until(() => connected, 5000, 'online again')
  t.equal(client.status, 'online')
})
