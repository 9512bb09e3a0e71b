// A password change ends every session of the user at once: refresh tokens (routes.test.ts),
// but also the access tokens already handed out and the sockets opened with them, on every
// node, and still after a restart. Access tokens carry a millisecond issue time, so a login
// right after the change is not caught by the cutoff.
import t, { type Test } from 'tap'
import { createTestDatabase, build, listen, registerUser, servicesMode, type TestUser } from '../../helper.js'
import type { App } from '../../../src/app.js'
import { connect, openSocket, refused, settle } from '../presence/helpers.js'
import { craftJwt } from './tokens.js'

const PASSWORD = 'correct horse battery'
const NEW_PASSWORD = 'a brand new secret'
let n = 0
const uname = (): string => `se${process.pid % 100000}_${++n}_${Math.floor(Math.random() * 1e6)}`
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })
const UNAUTHORIZED = { ok: false, error: { code: 'UNAUTHORIZED', message: 'Missing, invalid or expired access token' } }

const me = async (app: App, token: string): Promise<number> =>
  (await app.inject({ method: 'GET', url: '/api/users/me', headers: bearer(token) })).statusCode

async function login (app: App, username: string, password: string): Promise<{ accessToken: string, refreshToken: string }> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } })
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

async function changePassword (app: App, u: TestUser): Promise<void> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/password', headers: u.auth, payload: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } })
  if (res.statusCode !== 204) throw new Error(`password change failed: ${res.statusCode} ${res.body}`)
}

/** Resolves with the disconnect reason, or 'still connected' after `ms`. */
async function cutWithin (client: { disconnected: Promise<string> }, ms = 5000): Promise<string> {
  return await Promise.race([client.disconnected, new Promise<string>((resolve) => setTimeout(() => { resolve('still connected') }, ms).unref())])
}

t.test('password change: live sockets are cut and old access tokens refused at once; a new login works', async (t) => {
  const { app, url } = await listen(t)
  const u = await registerUser(app, uname(), PASSWORD)
  const bystander = await registerUser(app)
  const secondDevice = await login(app, u.username, PASSWORD)
  const phone = await connect(t, url, u)
  const laptop = await connect(t, url, secondDevice)
  const other = await connect(t, url, bystander)
  t.equal(await me(app, u.accessToken), 200, 'the token works before')

  await changePassword(app, u)

  t.equal(await cutWithin(phone), 'io server disconnect', 'the socket of the device that changed it is cut')
  t.equal(await cutWithin(laptop), 'io server disconnect', 'and the other device\'s socket')
  await settle()
  t.ok(other.socket.connected, 'another user\'s socket is untouched')
  for (const [name, token] of [['this device', u.accessToken], ['the other device', secondDevice.accessToken]]) {
    t.equal(await me(app, token!), 401, `REST refuses the old access token of ${name!}`)
  }
  t.equal(await refused(openSocket(t, url, u.accessToken)), 'UNAUTHORIZED', 'the handshake refuses it')
  const upload = await app.inject({ method: 'GET', url: `/api/uploads/00000000-0000-4000-8000-000000000000?token=${u.accessToken}` })
  t.equal(upload.statusCode, 401, '?token= refuses it')

  // Right away, in the same second as the change: the cutoff has millisecond precision.
  const fresh = await login(app, u.username, NEW_PASSWORD)
  t.equal(await me(app, fresh.accessToken), 200, 'a token from a login after the change works')
  const again = await connect(t, url, fresh)
  t.same(await again.call('auth:refresh', { token: u.accessToken }), UNAUTHORIZED, 'auth:refresh refuses the old token')
  t.same(await again.call('auth:refresh', { token: secondDevice.accessToken }), UNAUTHORIZED)
  t.equal((await again.call('auth:refresh', { token: (await login(app, u.username, NEW_PASSWORD)).accessToken })).ok, true, 'and takes a new one')
  await settle()
  t.ok(again.socket.connected, 'the new socket stays')
})

t.test('tokens without the millisecond claim fall back to iat (whole seconds)', async (t) => {
  const app = await build(t)
  const u = await registerUser(app, uname(), PASSWORD)
  const now = Math.floor(Date.now() / 1000)
  const legacy = craftJwt({ alg: 'HS256', typ: 'JWT' }, { sub: u.id, typ: 'access', iat: now - 1, exp: now + 600 })
  const future = craftJwt({ alg: 'HS256', typ: 'JWT' }, { sub: u.id, typ: 'access', iat: now + 2, exp: now + 600 })
  t.equal(await me(app, legacy), 200)
  await changePassword(app, u)
  t.equal(await me(app, legacy), 401, 'issued before the change: refused')
  t.equal(await me(app, future), 200, 'issued after it: accepted')
})

t.test('the cutoff is stored: a node started after the change refuses the old tokens too', async (t) => {
  const databaseUrl = servicesMode ? await createTestDatabase(t) : undefined
  const first = await build(t, {}, { databaseUrl })
  const u = await registerUser(first, uname(), PASSWORD)
  const bystander = await registerUser(first)
  await changePassword(first, u)
  t.equal(await first.prisma.user.findUniqueOrThrow({ where: { id: u.id } }).then((r) => r.tokensValidAfter instanceof Date), true, 'users.tokens_valid_after is set')

  const restarted = await build(t, {}, { databaseUrl })
  t.equal(await me(restarted, u.accessToken), 401, 'the old token is refused by a node that never saw the change happen')
  t.equal(await me(restarted, bystander.accessToken), 200, 'other users are not affected')
  t.equal(await me(restarted, (await login(restarted, u.username, NEW_PASSWORD)).accessToken), 200, 'a new login works there')
})

t.test('across nodes', { skip: !servicesMode ? 'needs PostgreSQL and Redis' : false }, async (t) => {
  t.test('a password change on one node cuts the user\'s sockets and tokens on the other', async (t: Test) => {
    const databaseUrl = await createTestDatabase(t)
    const one = await listen(t, {}, { databaseUrl })
    const two = await listen(t, {}, { databaseUrl })
    const u = await registerUser(one.app, uname(), PASSWORD)
    const bystander = await registerUser(one.app)
    const onTwo = await connect(t, two.url, u)
    const otherOnTwo = await connect(t, two.url, bystander)
    t.equal(await me(two.app, u.accessToken), 200)

    await changePassword(one.app, u)

    t.equal(await cutWithin(onTwo), 'io server disconnect', 'the socket on the other node is cut')
    t.equal(await me(two.app, u.accessToken), 401, 'the other node refuses the old token over REST')
    t.equal(await refused(openSocket(t, two.url, u.accessToken)), 'UNAUTHORIZED', 'and at the handshake')
    const fresh = await login(one.app, u.username, NEW_PASSWORD)
    t.equal(await me(two.app, fresh.accessToken), 200, 'a new token from the first node works on the second')
    await connect(t, two.url, fresh)
    t.ok(otherOnTwo.socket.connected, 'another user\'s socket is untouched')
  })
  t.end()
})
