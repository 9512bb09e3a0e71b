// suite: default only — token and origin checks happen before any query; the same on both engines
import t from 'tap'
import { listen } from '../helper.js'
import { craftJwt } from '../modules/auth/tokens.js'
import { AUTH_EXPIRY_GRACE_MS } from '../../src/plugins/realtime/index.js'
import { connect, makeUsers, settle, sleep, type User } from '../modules/presence/helpers.js'

// Most of this file's time is waiting out token lifetimes and the grace period; its tests share
// nothing (an app and users each), so they wait side by side.
t.jobs = 4

/** An access token for `userId` that expires `seconds` from now (JWT exp has 1 s granularity). */
const shortToken = (userId: string, seconds: number): { accessToken: string, exp: number } => {
  const now = Math.floor(Date.now() / 1000)
  const exp = now + seconds
  return { accessToken: craftJwt({ alg: 'HS256', typ: 'JWT' }, { sub: userId, typ: 'access', iat: now, exp }), exp }
}

t.test('a socket whose token expires gets auth:expired, then is cut after the grace period', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await makeUsers(app, 2) as [User, User]
  const token = shortToken(a.id, 2)
  const c = await connect(t, url, token)
  const other = await connect(t, url, b)

  const [expired] = await c.waitFor('auth:expired', 1, 5000)
  const seenAt = Date.now()
  t.ok(seenAt >= token.exp * 1000, 'not before the token expiry')
  t.same(expired, { expiresAt: new Date(token.exp * 1000).toISOString() })
  t.ok(c.socket.connected, 'still connected during the grace period')
  t.equal(await c.disconnected, 'io server disconnect', 'then cut by the server')
  const cutAfter = Date.now() - seenAt
  t.ok(cutAfter >= AUTH_EXPIRY_GRACE_MS - 200 && cutAfter < AUTH_EXPIRY_GRACE_MS + 2000, `cut ${cutAfter} ms after auth:expired`)
  t.ok(other.socket.connected, 'other sockets are not affected')
  t.same(other.of('auth:expired'), [])
})

t.test('auth:refresh with a new token of the same user keeps the socket alive, before or after auth:expired', async (t) => {
  const { app, url } = await listen(t)
  const [a] = await makeUsers(app, 1) as [User]

  const early = await connect(t, url, shortToken(a.id, 2))
  const fresh = app.signAccessToken(a.id)
  const ack = await early.call('auth:refresh', { token: fresh })
  t.equal(ack.ok, true)
  const expiresAt = Date.parse(ack.data.expiresAt)
  t.equal(ack.data.expiresAt, new Date(expiresAt).toISOString(), 'expiresAt is an ISO time')
  t.ok(Math.abs(expiresAt - (Date.now() + app.config.ACCESS_TOKEN_TTL_S * 1000)) < 5000, 'the new token\'s expiry')

  const late = await connect(t, url, shortToken(a.id, 2))
  await late.waitFor('auth:expired', 1, 5000)
  t.equal((await late.call('auth:refresh', { token: app.signAccessToken(a.id) })).ok, true, 'refreshed within the grace period')

  await sleep(2000 + AUTH_EXPIRY_GRACE_MS + 500)
  t.ok(early.socket.connected, 'refreshed early: still connected')
  t.same(early.of('auth:expired'), [], 'and never told it expired')
  t.ok(late.socket.connected, 'refreshed late: still connected')
  t.equal((await late.call('auth:refresh', { token: app.signAccessToken(a.id) })).ok, true, 'and still served')
})

t.test('auth:refresh refuses bad tokens and another user\'s token, and the old expiry stands', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await makeUsers(app, 2) as [User, User]
  const c = await connect(t, url, shortToken(a.id, 3))
  const unauthorized = { ok: false, error: { code: 'UNAUTHORIZED', message: 'Missing, invalid or expired access token' } }

  t.same(await c.call('auth:refresh', { token: 'garbage' }), unauthorized, 'garbage')
  t.same(await c.call('auth:refresh', { token: a.refreshToken }), unauthorized, 'a refresh token')
  t.same(await c.call('auth:refresh', { token: craftJwt({ alg: 'HS256', typ: 'JWT' }, { sub: a.id, typ: 'access', iat: 1, exp: 2 }) }), unauthorized, 'an expired token')
  t.same(await c.call('auth:refresh', { token: b.accessToken }), { ok: false, error: { code: 'UNAUTHORIZED', message: 'The token belongs to another user' } }, 'another user\'s token')
  for (const payload of [{}, { token: '' }, { token: 42 }, { token: a.accessToken, extra: 1 }]) {
    t.equal((await c.call('auth:refresh', payload)).error?.code, 'VALIDATION', JSON.stringify(payload).slice(0, 40))
  }
  await c.waitFor('auth:expired', 1, 6000)
  t.equal(await c.disconnected, 'io server disconnect', 'cut at the original expiry')
})

t.test('a refreshed socket expires at the new token\'s expiry', async (t) => {
  const { app, url } = await listen(t)
  const [a] = await makeUsers(app, 1) as [User]
  const c = await connect(t, url, shortToken(a.id, 60))
  const next = shortToken(a.id, 2)
  t.equal((await c.call('auth:refresh', { token: next.accessToken })).data.expiresAt, new Date(next.exp * 1000).toISOString())
  await c.waitFor('auth:expired', 1, 5000)
  t.equal(await c.disconnected, 'io server disconnect')
  await settle()
})
