import t, { type Test } from 'tap'
import { createServer } from 'node:http'
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'
import { build, listen } from '../../helper.js'
import { connect } from '../../socket-client.js'
import { io } from 'socket.io-client'

const ISSUER = 'https://app.example'
const AUDIENCE = 'relay-im'

/** The app's JWKS endpoint: a real HTTP server on 127.0.0.1 serving whatever keys the test sets. */
async function jwksServer (t: Test): Promise<{ url: string, host: string, keys: { list: JWK[] }, fetches: () => number }> {
  const keys: { list: JWK[] } = { list: [] }
  let fetches = 0
  const server = createServer((_req, res) => {
    fetches++
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ keys: keys.list }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { server.closeAllConnections(); await new Promise((resolve) => server.close(resolve)) })
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}/.well-known/jwks.json`, host: `127.0.0.1:${port}`, keys, fetches: () => fetches }
}

async function signer (kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('ES256')
  const jwk = { ...await exportJWK(publicKey), kid, alg: 'ES256', use: 'sig' }
  const sign = async (claims: Record<string, unknown> = {}, opts: { iss?: string, aud?: string, exp?: number | string } = {}) =>
    await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).setIssuer(opts.iss ?? ISSUER).setAudience(opts.aud ?? AUDIENCE).setIssuedAt().setExpirationTime(opts.exp ?? '10m').sign(privateKey)
  return { jwk, sign }
}

const code = (res: { json: () => any }): string => res.json().error?.code
const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')

t.test('configuration: all three or none', async (t) => {
  await t.rejects(build(t, { APP_JWT_ISSUER: ISSUER }), /go together/)
  const app = await build(t)
  t.equal(app.appTokens, undefined)
})

t.test('a valid app token signs the user in on REST and the socket, created on first use from sub', async (t) => {
  const jwks = await jwksServer(t)
  const k1 = await signer('k1')
  jwks.keys.list = [k1.jwk]
  const { app, url } = await listen(t, { APP_JWT_ISSUER: ISSUER, APP_JWT_AUDIENCE: AUDIENCE, APP_JWKS_URL: jwks.url, OUTBOUND_ALLOWED_HOSTS: jwks.host, APP_JWKS_COOLDOWN_MS: 0 })
  const sub = `app-user-${Date.now()}`
  const token = await k1.sign({ sub, name: 'Grace' })
  const me = await app.inject({ url: '/api/users/me', headers: { authorization: `Bearer ${token}` } })
  t.equal(me.statusCode, 200, me.body)
  t.equal(me.json().displayName, 'Grace')
  const row = await app.prisma.user.findFirstOrThrow({ where: { externalId: sub } })
  t.equal(row.id, me.json().id, 'an external-id user, like the server API\'s')
  const again = await app.inject({ url: '/api/users/me', headers: { authorization: `Bearer ${await k1.sign({ sub })}` } })
  t.equal(again.json().id, row.id, 'the same user next time')
  t.equal(await app.prisma.user.count({ where: { externalId: sub } }), 1)

  const client = await connect(t, url, { token })
  t.ok(client.socket.connected, 'the socket handshake takes it too')

  // Rotation: a new kid is fetched once; the old key can go.
  const k2 = await signer('k2')
  jwks.keys.list = [k2.jwk]
  const fetchesBefore = jwks.fetches()
  const rotated = await app.inject({ url: '/api/users/me', headers: { authorization: `Bearer ${await k2.sign({ sub })}` } })
  t.equal(rotated.statusCode, 200, 'a rotated key is honoured')
  t.equal(jwks.fetches(), fetchesBefore + 1, 'fetched once for the unknown kid')
  const cached = await app.inject({ url: '/api/users/me', headers: { authorization: `Bearer ${await k2.sign({ sub })}` } })
  t.equal(cached.statusCode, 200)
  t.equal(jwks.fetches(), fetchesBefore + 1, 'then cached')

  // Our own tokens still work beside them.
  t.equal((await app.inject({ url: '/api/users/me', headers: { authorization: `Bearer ${app.signAccessToken(row.id)}` } })).statusCode, 200)
})

t.test('attacks: alg none, HS256 with the public key, wrong iss/aud, expired, unknown kid, bad sub, suspended', async (t) => {
  const jwks = await jwksServer(t)
  const k1 = await signer('k1')
  jwks.keys.list = [k1.jwk]
  const app = await build(t, { APP_JWT_ISSUER: ISSUER, APP_JWT_AUDIENCE: AUDIENCE, APP_JWKS_URL: jwks.url, OUTBOUND_ALLOWED_HOSTS: jwks.host })
  const users = await app.prisma.user.count()
  const get = async (token: string) => await app.inject({ url: '/api/users/me', headers: { authorization: `Bearer ${token}` } })
  const now = Math.floor(Date.now() / 1000)
  const none = `${b64({ alg: 'none', kid: 'k1' })}.${b64({ sub: 'evil', iss: ISSUER, aud: AUDIENCE, exp: now + 600 })}.`
  t.equal(code(await get(none)), 'UNAUTHORIZED', 'alg none')
  const { createHmac } = await import('node:crypto')
  const hsBody = `${b64({ alg: 'HS256', kid: 'k1' })}.${b64({ sub: 'evil', iss: ISSUER, aud: AUDIENCE, exp: now + 600 })}`
  const hs = `${hsBody}.${createHmac('sha256', JSON.stringify(k1.jwk)).update(hsBody).digest('base64url')}`
  t.equal(code(await get(hs)), 'UNAUTHORIZED', 'HS256 keyed with the public JWK')
  t.equal(code(await get(await k1.sign({ sub: 'evil' }, { iss: 'https://other.example' }))), 'UNAUTHORIZED', 'wrong issuer')
  t.equal(code(await get(await k1.sign({ sub: 'evil' }, { aud: 'someone-else' }))), 'UNAUTHORIZED', 'wrong audience')
  t.equal(code(await get(await k1.sign({ sub: 'evil' }, { exp: now - 60 }))), 'UNAUTHORIZED', 'expired')
  const stranger = await signer('k-unknown')
  t.equal(code(await get(await stranger.sign({ sub: 'evil' }))), 'UNAUTHORIZED', 'unknown kid')
  const forged = await signer('k1')
  t.equal(code(await get(await forged.sign({ sub: 'evil' }))), 'UNAUTHORIZED', 'the right kid, another key')
  for (const sub of ['a\u0000b', 'a\u202eb', 'x'.repeat(129), '']) t.equal(code(await get(await k1.sign({ sub }))), 'UNAUTHORIZED', `sub ${JSON.stringify(sub).slice(0, 12)}`)
  t.equal(code(await get(await k1.sign({}))), 'UNAUTHORIZED', 'no sub')
  t.equal(await app.prisma.user.count(), users, 'nobody created by a refused token')

  const name = await k1.sign({ sub: 'bidi-name', name: 'evil\u202etxt' })
  t.equal((await get(name)).json().displayName, 'bidi-name', 'a name the label policy refuses falls back to sub')
  const row = await app.prisma.user.findFirstOrThrow({ where: { externalId: 'bidi-name' } })
  await app.prisma.user.update({ where: { id: row.id }, data: { suspendedAt: new Date() } })
  t.equal(code(await get(await k1.sign({ sub: 'bidi-name' }))), 'FORBIDDEN', 'a suspended user is refused')
})

t.test('the JWKS URL goes through the outbound checks: loopback not allowed unless listed', async (t) => {
  const jwks = await jwksServer(t)
  const k1 = await signer('k1')
  jwks.keys.list = [k1.jwk]
  const { app, url } = await listen(t, { APP_JWT_ISSUER: ISSUER, APP_JWT_AUDIENCE: AUDIENCE, APP_JWKS_URL: jwks.url })
  const token = await k1.sign({ sub: 'loop' })
  t.equal(code(await app.inject({ url: '/api/users/me', headers: { authorization: `Bearer ${token}` } })), 'UNAUTHORIZED')
  t.equal(jwks.fetches(), 0, 'never fetched')
  const socket = io(url, { transports: ['websocket'], auth: { token }, reconnection: false })
  t.teardown(() => { socket.close() })
  const err = await new Promise<Error>((resolve) => socket.once('connect_error', resolve))
  t.equal(err.message, 'UNAUTHORIZED', 'the socket is refused too')
})
