import t from 'tap'
import { createECDH, randomBytes, randomUUID } from 'node:crypto'
import { build, registerUser } from '../../helper.js'

/** A browser's PushSubscription.toJSON() on a public literal address (no DNS in tests). */
function subscription (endpoint = `https://93.184.216.34/push/${randomUUID()}`): { endpoint: string, keys: { p256dh: string, auth: string }, expirationTime: number | null } {
  const ecdh = createECDH('prime256v1')
  ecdh.generateKeys()
  return { endpoint, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') }, expirationTime: null }
}

t.test('subscribe, list, subscribe again (keys refreshed, same id), delete; the VAPID key', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const key = await app.inject({ method: 'GET', url: '/api/push/vapid-public-key', headers: user.auth })
  t.equal(key.statusCode, 200)
  t.equal(key.json().publicKey, app.config.vapid!.publicKey)
  t.equal(Buffer.from(key.json().publicKey, 'base64url').length, 65, 'an uncompressed P-256 key')

  const sub = subscription()
  const created = await app.inject({ method: 'POST', url: '/api/push/subscriptions', headers: user.auth, payload: { ...sub, expirationTime: Date.UTC(2030, 0, 1) } })
  t.equal(created.statusCode, 201, created.body)
  const id = created.json().id as string
  const again = await app.inject({ method: 'POST', url: '/api/push/subscriptions', headers: user.auth, payload: subscription(sub.endpoint) })
  t.equal(again.statusCode, 201)
  t.equal(again.json().id, id, 'the same endpoint is the same subscription')
  const list = await app.inject({ method: 'GET', url: '/api/push/subscriptions', headers: user.auth })
  t.same(list.json().map((s: { id: string, endpoint: string, expirationTime: string | null }) => [s.id, s.endpoint, s.expirationTime]), [[id, sub.endpoint, null]], 'keys refreshed, expiration replaced')
  t.notOk(JSON.stringify(list.json()).includes(sub.keys.auth), 'the keys are not served back')

  const other = await registerUser(app)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/push/subscriptions/${id}`, headers: other.auth })).statusCode, 404, 'someone else\'s: NOT_FOUND')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/push/subscriptions/${id.toUpperCase()}`, headers: user.auth })).statusCode, 204, 'upper-case id is the same id')
  const gone = await app.inject({ method: 'DELETE', url: `/api/push/subscriptions/${id}`, headers: user.auth })
  t.equal(gone.statusCode, 404)
  t.equal(gone.json().error.code, 'NOT_FOUND')
  t.equal((await app.inject({ method: 'DELETE', url: '/api/push/subscriptions/not-a-uuid', headers: user.auth })).json().error.code, 'VALIDATION')
  t.equal((await app.inject({ method: 'GET', url: '/api/push/subscriptions' })).statusCode, 401)
})

t.test('bad subscriptions: a clear VALIDATION each, nothing written', async (t) => {
  const app = await build(t, { OUTBOUND_ALLOWED_HOSTS: '127.0.0.1:9999' })
  const user = await registerUser(app)
  const good = subscription()
  const offCurve = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url')
  const cases: Array<[string, unknown, RegExp]> = [
    ['no body', undefined, /./],
    ['not a URL', { ...good, endpoint: 'not a url' }, /endpoint: not a URL/],
    ['plain http', { ...good, endpoint: 'http://93.184.216.34/push/x' }, /https/],
    ['http on an allowed host but another port', { ...good, endpoint: 'http://127.0.0.1:9998/push/x' }, /https/],
    ['loopback', { ...good, endpoint: 'https://127.0.0.1/push/x' }, /public/],
    ['loopback as a decimal number', { ...good, endpoint: 'https://2130706433/push/x' }, /public/],
    ['private', { ...good, endpoint: 'https://10.1.2.3/push/x' }, /public/],
    ['cloud metadata', { ...good, endpoint: 'https://169.254.169.254/push/x' }, /public/],
    ['IPv6 loopback', { ...good, endpoint: 'https://[::1]/push/x' }, /public/],
    ['IPv4-mapped loopback', { ...good, endpoint: 'https://[::ffff:127.0.0.1]/push/x' }, /public/],
    ['a name that does not resolve', { ...good, endpoint: 'https://push.invalid/x' }, /resolve/],
    ['credentials in the URL', { ...good, endpoint: 'https://u:p@93.184.216.34/x' }, /credentials/],
    ['javascript:', { ...good, endpoint: 'javascript:alert(1)' }, /https/],
    ['too long', { ...good, endpoint: `https://93.184.216.34/${'a'.repeat(2100)}` }, /endpoint/],
    ['no keys', { endpoint: good.endpoint }, /keys/],
    ['p256dh too short', { ...good, keys: { ...good.keys, p256dh: good.keys.p256dh.slice(0, 80) } }, /p256dh/],
    ['p256dh not base64url', { ...good, keys: { ...good.keys, p256dh: '*'.repeat(87) } }, /p256dh/],
    ['p256dh compressed/wrong prefix', { ...good, keys: { ...good.keys, p256dh: Buffer.concat([Buffer.from([2]), Buffer.alloc(64, 1)]).toString('base64url') } }, /p256dh/],
    ['p256dh not on the curve', { ...good, keys: { ...good.keys, p256dh: offCurve } }, /curve/],
    ['auth of 15 bytes', { ...good, keys: { ...good.keys, auth: randomBytes(15).toString('base64url') } }, /auth/],
    ['auth of 17 bytes', { ...good, keys: { ...good.keys, auth: randomBytes(17).toString('base64url') } }, /auth/],
    ['extra property', { ...good, extra: 1 }, /./],
    ['negative expirationTime', { ...good, expirationTime: -1 }, /expirationTime/],
    ['expirationTime as text', { ...good, expirationTime: 'tomorrow' }, /expirationTime/]
  ]
  for (const [name, payload, message] of cases) {
    const res = await app.inject({ method: 'POST', url: '/api/push/subscriptions', headers: user.auth, ...(payload === undefined ? {} : { payload: payload as object }) })
    t.equal(res.statusCode, 400, `${name}: 400`)
    t.equal(res.json().error?.code, 'VALIDATION', name)
    t.match(res.json().error?.message, message, `${name}: ${String(res.json().error?.message)}`)
  }
  t.equal(await app.prisma.pushSubscription.count({ where: { userId: user.id } }), 0, 'nothing written')
  const allowed = await app.inject({ method: 'POST', url: '/api/push/subscriptions', headers: user.auth, payload: { ...good, endpoint: 'http://127.0.0.1:9999/push/x' } })
  t.equal(allowed.statusCode, 201, 'plain http to an OUTBOUND_ALLOWED_HOSTS entry')
})

t.test('at most PUSH_MAX_SUBSCRIPTIONS per user: CONFLICT, nothing written; re-subscribing an existing endpoint still works', async (t) => {
  const app = await build(t, { PUSH_MAX_SUBSCRIPTIONS: 3 })
  const user = await registerUser(app)
  const subs = [subscription(), subscription(), subscription()]
  for (const s of subs) t.equal((await app.inject({ method: 'POST', url: '/api/push/subscriptions', headers: user.auth, payload: s })).statusCode, 201)
  for (let i = 0; i < 20; i++) {
    const res = await app.inject({ method: 'POST', url: '/api/push/subscriptions', headers: user.auth, payload: subscription() })
    if (res.statusCode !== 409 || res.json().error.code !== 'CONFLICT') { t.fail(`attempt ${i}: ${res.statusCode} ${res.body}`); break }
  }
  t.equal(await app.prisma.pushSubscription.count({ where: { userId: user.id } }), 3, 'capped at 3')
  t.equal((await app.inject({ method: 'POST', url: '/api/push/subscriptions', headers: user.auth, payload: subscription(subs[0]!.endpoint) })).statusCode, 201, 'refreshing one is not a new one')
})

t.test('production without VAPID keys: push is off (NOT_FOUND), no keys generated', async (t) => {
  const app = await build(t, { NODE_ENV: 'production' })
  t.equal(app.config.vapid, undefined)
  const user = await registerUser(app)
  const res = await app.inject({ method: 'GET', url: '/api/push/vapid-public-key', headers: user.auth })
  t.equal(res.statusCode, 404)
  t.match(res.json().error.message, /not configured/)
  const sub = await app.inject({ method: 'POST', url: '/api/push/subscriptions', headers: user.auth, payload: subscription() })
  t.equal(sub.statusCode, 404)
  t.equal(await app.prisma.pushSubscription.count({ where: { userId: user.id } }), 0)
})

t.test('deleting the account deletes its push subscriptions', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  t.equal((await app.inject({ method: 'POST', url: '/api/push/subscriptions', headers: user.auth, payload: subscription() })).statusCode, 201)
  const res = await app.inject({ method: 'DELETE', url: '/api/users/me', headers: user.auth, payload: { password: 'correct horse battery' } })
  t.equal(res.statusCode, 204, res.body)
  t.equal(await app.prisma.pushSubscription.count({ where: { userId: user.id } }), 0)
})

t.test('the data export lists my push subscriptions (not their keys)', async (t) => {
  const app = await build(t)
  const user = await registerUser(app)
  const sub = subscription()
  const id = (await app.inject({ method: 'POST', url: '/api/push/subscriptions', headers: user.auth, payload: sub })).json().id
  const exported = (await app.inject({ method: 'GET', url: '/api/users/me/export', headers: user.auth })).json()
  t.same(exported.pushSubscriptions.map((s: { id: string, endpoint: string }) => [s.id, s.endpoint]), [[id, sub.endpoint]])
  t.notOk(JSON.stringify(exported).includes(sub.keys.auth))
})
