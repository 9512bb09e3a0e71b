import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build } from '../../helper.js'
import { externalUsername } from '../../../src/modules/server-api/users.js'
import { appUser, makeAdmin, makeKey } from './helpers.js'

const code = (res: { json: () => any }): string => res.json().error?.code

t.test('upsert by external id: created once, then updated; looked up and listed', async (t) => {
  const app = await build(t)
  const key = await makeKey(app, await makeAdmin(app), ['users'])
  const ext = `user-${randomUUID()}@example.com`
  const url = `/api/server/users/${encodeURIComponent(ext)}`
  const created = await app.inject({ method: 'PUT', url, headers: key.auth, payload: { displayName: 'Ada', avatarUrl: 'https://cdn.example/a.png' } })
  t.equal(created.statusCode, 201)
  t.match(created.json(), { externalId: ext, displayName: 'Ada', avatarUrl: 'https://cdn.example/a.png', username: externalUsername(ext), suspended: false })
  const updated = await app.inject({ method: 'PUT', url, headers: key.auth, payload: { displayName: 'Ada L.' } })
  t.equal(updated.statusCode, 200)
  t.equal(updated.json().id, created.json().id, 'the same user')
  t.equal(updated.json().avatarUrl, 'https://cdn.example/a.png', 'an absent avatarUrl keeps it')
  t.equal((await app.inject({ url, headers: key.auth })).json().displayName, 'Ada L.')
  t.equal(code(await app.inject({ url: '/api/server/users/nobody-here', headers: key.auth })), 'NOT_FOUND')

  const row = await app.prisma.user.findUniqueOrThrow({ where: { id: created.json().id } })
  t.equal(row.passwordHash, '!', 'no password signs in as an app user')
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: row.username, password: '!' } })
  t.equal(login.statusCode, 401)
})

t.test('the list pages by external id', async (t) => {
  const app = await build(t)
  const key = await makeKey(app, await makeAdmin(app), ['users'])
  const prefix = `pg-${randomUUID().slice(0, 8)}`
  for (const n of ['a', 'b', 'c']) await appUser(app, key, `${prefix}-${n}`)
  const seen: string[] = []
  let after: string | undefined
  for (let i = 0; i < 10; i++) {
    const res = await app.inject({ url: `/api/server/users?limit=2${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`, headers: key.auth })
    t.equal(res.statusCode, 200)
    seen.push(...res.json().map((u: any) => u.externalId))
    after = res.headers['x-next-cursor'] as string | undefined
    if (after === undefined) break
  }
  t.same(seen.filter((x) => x.startsWith(prefix)), [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`])
})

t.test('hostile external ids and bodies are refused and create nobody', async (t) => {
  const app = await build(t)
  const key = await makeKey(app, await makeAdmin(app), ['users'])
  const before = await app.prisma.user.count()
  for (const ext of ['a\u0000b', 'a\u202eb', 'a\u200bb', 'a b', 'ä', 'x'.repeat(129), '\u2066x']) {
    const res = await app.inject({ method: 'PUT', url: `/api/server/users/${encodeURIComponent(ext)}`, headers: key.auth, payload: { displayName: 'x' } })
    t.equal(code(res), 'VALIDATION', JSON.stringify(ext))
  }
  const ext = `ok-${randomUUID()}`
  for (const payload of [{ displayName: '' }, { displayName: 'a\u202eb' }, { displayName: 'a\u0000' }, { displayName: 'x'.repeat(65) }, { displayName: 'x', avatarUrl: 'javascript:alert(1)' }, { displayName: 'x', role: 'admin' }, {}]) {
    const res = await app.inject({ method: 'PUT', url: `/api/server/users/${ext}`, headers: key.auth, payload })
    t.equal(code(res), 'VALIDATION', JSON.stringify(payload))
  }
  t.equal(await app.prisma.user.count(), before, 'nobody created')
})

t.test('twenty concurrent first upserts of one id make one user', async (t) => {
  const app = await build(t)
  const key = await makeKey(app, await makeAdmin(app), ['users'])
  const ext = `race-${randomUUID()}`
  const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => await app.inject({ method: 'PUT', url: `/api/server/users/${ext}`, headers: key.auth, payload: { displayName: `n${i}` } })))
  t.ok(results.every((r) => r.statusCode === 200 || r.statusCode === 201), results.map((r) => r.statusCode).join(','))
  t.equal(new Set(results.map((r) => r.json().id)).size, 1)
  t.equal(await app.prisma.user.count({ where: { externalId: ext } }), 1)
})

t.test('minted tokens are a real session; minting is audited; suspension and deletion end it', async (t) => {
  const app = await build(t)
  const admin = await makeAdmin(app)
  const key = await makeKey(app, admin, ['users', 'moderation'])
  const u = await appUser(app, key)
  const minted = await app.inject({ method: 'POST', url: `/api/server/users/${u.externalId}/tokens`, headers: key.auth })
  t.equal(minted.statusCode, 200)
  const { accessToken, refreshToken } = minted.json()
  const me = await app.inject({ url: '/api/users/me', headers: { authorization: `Bearer ${accessToken as string}` } })
  t.equal(me.json().id, u.id, 'the access token signs the user in')
  const refreshed = await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } })
  t.equal(refreshed.statusCode, 200, 'the refresh token rotates like any')
  const audit = await app.prisma.auditLog.findFirst({ where: { action: 'user.token', targetId: u.id } })
  t.match(audit, { actorId: null, details: { serverKeyId: key.id } })

  const suspended = await app.inject({ method: 'POST', url: `/api/server/users/${u.externalId}/suspend`, headers: key.auth, payload: { reason: 'spam' } })
  t.equal(suspended.json().suspended, true)
  t.equal(code(await app.inject({ url: '/api/users/me', headers: { authorization: `Bearer ${accessToken as string}` } })), 'FORBIDDEN', 'the session is cut')
  t.equal(code(await app.inject({ method: 'POST', url: `/api/server/users/${u.externalId}/tokens`, headers: key.auth })), 'FORBIDDEN', 'no new session while suspended')
  t.match(await app.prisma.auditLog.findFirst({ where: { action: 'user.suspend', targetId: u.id } }), { actorId: null, details: { serverKeyId: key.id } })
  const lifted = await app.inject({ method: 'POST', url: `/api/server/users/${u.externalId}/unsuspend`, headers: key.auth })
  t.equal(lifted.json().suspended, false)
  t.equal((await app.inject({ method: 'POST', url: `/api/server/users/${u.externalId}/tokens`, headers: key.auth })).statusCode, 200)

  t.equal((await app.inject({ method: 'DELETE', url: `/api/server/users/${u.externalId}`, headers: key.auth })).statusCode, 204)
  t.equal(code(await app.inject({ url: `/api/server/users/${u.externalId}`, headers: key.auth })), 'NOT_FOUND')
  t.equal(code(await app.inject({ method: 'POST', url: `/api/server/users/${u.externalId}/tokens`, headers: key.auth })), 'NOT_FOUND')
  const again = await appUser(app, key, u.externalId)
  t.not(again.id, u.id, 'the external id is free for a new user')
  t.equal((await app.prisma.user.findUniqueOrThrow({ where: { id: u.id } })).deletedAt !== null, true, 'the old row is a tombstone')
})
