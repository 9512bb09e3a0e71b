import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build, registerUser } from '../../helper.js'
import { makeBot } from '../bots/helpers.js'
import { hashesMatch, serverKeyHash } from '../../../src/modules/server-api/keys.js'
import { makeAdmin, makeKey } from './helpers.js'

const code = (res: { json: () => any }): string => res.json().error?.code

t.test('an admin creates a key: shown once, stored hashed, listed without it, audited', async (t) => {
  const app = await build(t)
  const admin = await makeAdmin(app)
  const key = await makeKey(app, admin, ['users'])
  t.match(key.key, /^rsk_[A-Za-z0-9_-]{43}$/)
  const row = await app.prisma.serverKey.findUniqueOrThrow({ where: { id: key.id } })
  t.equal(row.keyHash, serverKeyHash(key.key), 'only the hash is stored')
  t.notOk(JSON.stringify(row).includes(key.key.slice(4)), 'the key itself is nowhere in the row')
  const list = await app.inject({ url: '/api/admin/server-keys', headers: admin.auth })
  t.equal(list.statusCode, 200)
  t.notOk(list.body.includes(key.key.slice(4)), 'never listed again')
  t.same(list.json().find((k: any) => k.id === key.id)?.scopes, ['users'])
  const audit = await app.prisma.auditLog.findFirst({ where: { targetId: key.id, action: 'server_key.create' } })
  t.equal(audit?.actorId, admin.id)
})

t.test('only admins manage keys; bad input changes nothing', async (t) => {
  const app = await build(t)
  const admin = await makeAdmin(app)
  const user = await registerUser(app)
  const before = await app.prisma.serverKey.count()
  t.equal((await app.inject({ method: 'POST', url: '/api/admin/server-keys', headers: user.auth, payload: { name: 'x', scopes: ['users'] } })).statusCode, 403)
  t.equal((await app.inject({ method: 'POST', url: '/api/admin/server-keys', payload: { name: 'x', scopes: ['users'] } })).statusCode, 401)
  for (const payload of [{ name: 'x', scopes: [] }, { name: 'x', scopes: ['root'] }, { name: 'x\u202e', scopes: ['users'] }, { name: 'x\u0000', scopes: ['users'] }, { name: 'x', scopes: ['users', 'users'] }, { name: 'x'.repeat(65), scopes: ['users'] }]) {
    const res = await app.inject({ method: 'POST', url: '/api/admin/server-keys', headers: admin.auth, payload })
    t.equal(code(res), 'VALIDATION', JSON.stringify(payload))
  }
  t.equal(await app.prisma.serverKey.count(), before, 'no key made')
  t.equal(code(await app.inject({ method: 'DELETE', url: `/api/admin/server-keys/${randomUUID()}`, headers: admin.auth })), 'NOT_FOUND')
})

t.test('who may call the server API: only a live key, only in the header, only with the scope', async (t) => {
  const app = await build(t)
  const admin = await makeAdmin(app)
  const usersKey = await makeKey(app, admin, ['users'])
  const user = await registerUser(app)
  const bot = await makeBot(app, user)
  const url = '/api/server/users/someone'
  t.equal((await app.inject({ url, headers: usersKey.auth })).statusCode, 404, 'a live key with the scope reaches the route (no such user)')
  t.equal(code(await app.inject({ url })), 'UNAUTHORIZED', 'no auth')
  t.equal(code(await app.inject({ url, headers: user.auth })), 'UNAUTHORIZED', 'a user token')
  t.equal(code(await app.inject({ url, headers: { authorization: `Bearer ${app.signAccessToken(admin.id, 'admin')}` } })), 'UNAUTHORIZED', 'an admin token')
  t.equal(code(await app.inject({ url, headers: bot.auth })), 'UNAUTHORIZED', 'a bot token')
  t.equal(code(await app.inject({ url: `${url}?key=${usersKey.key}` })), 'UNAUTHORIZED', 'a key in the query string')
  t.equal(code(await app.inject({ url: `${url}?authorization=Server%20${usersKey.key}` })), 'UNAUTHORIZED', 'the header in the query string')
  t.equal(code(await app.inject({ url, headers: { authorization: `Bearer ${usersKey.key}` } })), 'UNAUTHORIZED', 'a key as a bearer token')
  t.equal(code(await app.inject({ url, headers: { authorization: `Server ${usersKey.key}x` } })), 'UNAUTHORIZED', 'a key one character longer')
  t.equal(code(await app.inject({ url, headers: { authorization: `Server ${usersKey.key.slice(0, -1)}${usersKey.key.endsWith('A') ? 'B' : 'A'}` } })), 'UNAUTHORIZED', 'a key one character off')
  t.equal(code(await app.inject({ url, headers: { authorization: `Server ${usersKey.key}\u202e` } })), 'UNAUTHORIZED', 'bidi after the key')
  // users scope calling messages: FORBIDDEN before the body is looked at (no schema leak).
  const send = await app.inject({ method: 'POST', url: `/api/server/conversations/${randomUUID()}/messages`, headers: usersKey.auth, payload: { nonsense: true } })
  t.equal(code(send), 'FORBIDDEN', 'a key without the scope')
  t.match(send.json().error.message, /scope "messages"/)
  t.equal(code(await app.inject({ method: 'POST', url: '/api/server/users/x/suspend', headers: usersKey.auth, payload: { reason: 'r' } })), 'FORBIDDEN', 'users scope cannot moderate')
  // The key cannot manage keys either: admin routes take admin users only.
  t.equal(code(await app.inject({ url: '/api/admin/server-keys', headers: usersKey.auth })), 'UNAUTHORIZED')

  const revoked = await app.inject({ method: 'DELETE', url: `/api/admin/server-keys/${usersKey.id}`, headers: admin.auth })
  t.equal(revoked.statusCode, 200)
  t.ok(revoked.json().revokedAt)
  t.equal(code(await app.inject({ url, headers: usersKey.auth })), 'UNAUTHORIZED', 'a revoked key, from its next request')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/admin/server-keys/${usersKey.id}`, headers: admin.auth })).statusCode, 200, 'revoking again is a no-op')
  t.equal(await app.prisma.auditLog.count({ where: { targetId: usersKey.id, action: 'server_key.revoke' } }), 1, 'audited once')
})

t.test('every use of a key is rate limited, per key', async (t) => {
  const app = await build(t, { SERVER_API_RATE_LIMIT_MAX: 3 })
  const admin = await makeAdmin(app)
  const a = await makeKey(app, admin, ['users'])
  const b = await makeKey(app, admin, ['users'])
  const statuses: number[] = []
  for (let i = 0; i < 5; i++) statuses.push((await app.inject({ url: '/api/server/users', headers: a.auth })).statusCode)
  t.same(statuses, [200, 200, 200, 429, 429])
  t.equal((await app.inject({ url: '/api/server/users', headers: b.auth })).statusCode, 200, 'another key has its own budget')
})

t.test('hashes are compared in constant time and only when both are SHA-256', async (t) => {
  const h = serverKeyHash('rsk_x')
  t.ok(hashesMatch(h, h))
  t.notOk(hashesMatch(h, serverKeyHash('rsk_y')))
  t.notOk(hashesMatch(h, h.slice(0, 62)))
  t.notOk(hashesMatch('', ''))
})
