import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build, listen, registerUser } from '../../helper.js'
import { connect, makeConversation } from '../presence/helpers.js'
import { login, makeAdmin, moderationCounts, PASSWORD } from './helpers.js'

const ADMIN_ROUTES = (id: string) => [
  { method: 'GET', url: '/api/admin/users?q=a' },
  { method: 'POST', url: `/api/admin/users/${id}/suspend`, payload: { reason: 'spam' } },
  { method: 'POST', url: `/api/admin/users/${id}/suspend`, payload: { reason: '' } },
  { method: 'POST', url: `/api/admin/users/${id}/unsuspend` },
  { method: 'DELETE', url: `/api/admin/messages/${id}` },
  { method: 'GET', url: '/api/admin/reports' },
  { method: 'GET', url: '/api/admin/audit' }
] as const

t.test('the role is in /users/me and applies from the next token', async (t) => {
  const app = await build(t)
  const u = await registerUser(app)
  t.equal((await app.inject({ url: '/api/users/me', headers: u.auth })).json().role, 'user')
  await app.prisma.user.update({ where: { id: u.id }, data: { role: 'admin' } })
  t.equal((await app.inject({ url: '/api/admin/users', headers: u.auth })).json().error.code, 'FORBIDDEN', 'the old token still says user')
  const again = await login(app, u)
  t.equal((await app.inject({ url: '/api/users/me', headers: again.auth })).json().role, 'admin')
  t.equal((await app.inject({ url: '/api/admin/users', headers: again.auth })).statusCode, 200, 'the new token is an admin\'s')
  const refreshed = await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: again.refreshToken } })
  await makeAdmin(app) // the database keeps one active admin: another one first
  await app.prisma.user.update({ where: { id: u.id }, data: { role: 'user' } })
  t.equal((await app.inject({ url: '/api/admin/users', headers: { authorization: `Bearer ${refreshed.json().accessToken as string}` } })).statusCode, 200, 'a refreshed token keeps the role it was issued with')
  const demoted = await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: refreshed.json().refreshToken } })
  t.equal((await app.inject({ url: '/api/admin/users', headers: { authorization: `Bearer ${demoted.json().accessToken as string}` } })).json().error.code, 'FORBIDDEN', 'the next refresh reads the demotion')
})

t.test('non-admins get FORBIDDEN on every admin route, anonymous UNAUTHORIZED, and nothing is written', async (t) => {
  const app = await build(t)
  const u = await registerUser(app)
  const victim = await registerUser(app)
  const before = await moderationCounts(app)
  for (const r of ADMIN_ROUTES(victim.id)) {
    const res = await app.inject({ ...r, headers: u.auth } as any)
    t.equal(res.json().error.code, 'FORBIDDEN', `${r.method} ${r.url} as a user`)
    const anon = await app.inject({ ...r } as any)
    t.equal(anon.json().error.code, 'UNAUTHORIZED', `${r.method} ${r.url} anonymous`)
  }
  t.same(await moderationCounts(app), before, 'nothing written')
})

t.test('admin user search', async (t) => {
  const app = await build(t)
  const admin = await makeAdmin(app)
  const u = await registerUser(app)
  const found = (await app.inject({ url: `/api/admin/users?q=${u.username.toUpperCase()}`, headers: admin.auth })).json()
  t.same(found.map((x: any) => x.id), [u.id])
  t.match(found[0], { role: 'user', suspended: false, suspendedAt: null, deleted: false })
  const wild = (await app.inject({ url: '/api/admin/users?q=%25', headers: admin.auth })).json()
  t.same(wild, [], 'LIKE wildcards are literal')
  const nul = await app.inject({ url: '/api/admin/users?q=%00', headers: admin.auth })
  t.equal(nul.statusCode, 400, 'a NUL is VALIDATION like everywhere (no 500)')
  t.equal(nul.json().error.code, 'VALIDATION')
})

t.test('suspension: bad input refused with nothing written', async (t) => {
  const app = await build(t)
  const admin = await makeAdmin(app)
  const u = await registerUser(app)
  const before = await moderationCounts(app)
  const cases: Array<[string, string, unknown, string]> = [
    ['oneself', admin.id, { reason: 'x' }, 'VALIDATION'],
    ['until in the past', u.id, { reason: 'x', until: '2020-01-01T00:00:00Z' }, 'VALIDATION'],
    ['until unparsable', u.id, { reason: 'x', until: 'tomorrow' }, 'VALIDATION'],
    ['until impossible date', u.id, { reason: 'x', until: '2030-13-45T00:00:00Z' }, 'VALIDATION'],
    ['until without a zone', u.id, { reason: 'x', until: '2030-01-01T00:00:00' }, 'VALIDATION'],
    ['no reason', u.id, {}, 'VALIDATION'],
    ['blank reason', u.id, { reason: '   ' }, 'VALIDATION'],
    ['extra field', u.id, { reason: 'x', role: 'admin' }, 'VALIDATION'],
    ['unknown user', randomUUID(), { reason: 'x' }, 'NOT_FOUND'],
    ['not a uuid', 'nope', { reason: 'x' }, 'VALIDATION'],
    ['NUL in the reason', u.id, { reason: 'a\u0000b' }, 'VALIDATION']
  ]
  for (const [name, id, payload, code] of cases) {
    const res = await app.inject({ method: 'POST', url: `/api/admin/users/${id}/suspend`, headers: admin.auth, payload: payload as any })
    t.equal(res.json().error?.code, code, name)
  }
  t.same(await moderationCounts(app), before, 'nothing written')
  t.equal((await app.inject({ url: '/api/users/me', headers: u.auth })).statusCode, 200, 'the user was not cut off')
})

t.test('suspension cuts sessions and refuses login, refresh and tokens; unsuspend restores; audited', async (t) => {
  const { app, url } = await listen(t)
  const admin = await makeAdmin(app)
  const u = await registerUser(app)
  const socket = await connect(t, url, u)
  const res = await app.inject({ method: 'POST', url: `/api/admin/users/${u.id}/suspend`, headers: admin.auth, payload: { reason: ' spam ', until: '2099-01-01T00:00:00Z' } })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { id: u.id, suspended: true, suspendedReason: 'spam', suspendedUntil: '2099-01-01T00:00:00.000Z' })
  t.ok(await socket.disconnected, 'the live socket was cut')
  const me = await app.inject({ url: '/api/users/me', headers: u.auth })
  t.same([me.statusCode, me.json().error], [403, { code: 'FORBIDDEN', message: 'Suspended' }], 'the old access token')
  const li = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: PASSWORD } })
  t.same([li.statusCode, li.json().error], [403, { code: 'FORBIDDEN', message: 'Suspended' }], 'login')
  const rf = await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: u.refreshToken } })
  t.same([rf.statusCode, rf.json().error], [403, { code: 'FORBIDDEN', message: 'Suspended' }], 'refresh')
  const wrong = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: 'wrong password!' } })
  t.equal(wrong.json().error.code, 'UNAUTHORIZED', 'a wrong password does not learn of the suspension')

  const un = await app.inject({ method: 'POST', url: `/api/admin/users/${u.id}/unsuspend`, headers: admin.auth })
  t.match(un.json(), { suspended: false, suspendedAt: null })
  const back = await login(app, u)
  t.equal((await app.inject({ url: '/api/users/me', headers: back.auth })).statusCode, 200, 'signs in again')
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: u.refreshToken } })).json().error.code, 'UNAUTHORIZED', 'the old refresh token stays revoked')

  const audit = (await app.inject({ url: '/api/admin/audit?limit=2', headers: admin.auth })).json()
  t.match(audit, [
    { actorId: admin.id, action: 'user.unsuspend', targetType: 'user', targetId: u.id },
    { actorId: admin.id, action: 'user.suspend', targetType: 'user', targetId: u.id, reason: 'spam', details: { until: '2099-01-01T00:00:00.000Z' } }
  ])
})

t.test('an expired until lifts itself', async (t) => {
  const app = await build(t)
  const u = await registerUser(app)
  await app.prisma.user.update({ where: { id: u.id }, data: { suspendedAt: new Date(Date.now() - 60_000), suspendedUntil: new Date(Date.now() - 1000), suspendedReason: 'x' } })
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: PASSWORD } })).statusCode, 200)
  await app.prisma.user.update({ where: { id: u.id }, data: { suspendedUntil: new Date(Date.now() + 60_000) } })
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: PASSWORD } })).statusCode, 403, 'a future until still holds')
})

t.test('the last active admin cannot be suspended', async (t) => {
  const app = await build(t)
  const a = await makeAdmin(app)
  const b = await makeAdmin(app)
  // a is demoted in the database but its token still says admin (until it expires).
  await app.prisma.user.updateMany({ where: { role: 'admin', id: { notIn: [a.id, b.id] } }, data: { role: 'user' } })
  await app.prisma.user.update({ where: { id: a.id }, data: { role: 'user' } })
  const before = await moderationCounts(app)
  const res = await app.inject({ method: 'POST', url: `/api/admin/users/${b.id}/suspend`, headers: a.auth, payload: { reason: 'x' } })
  t.equal(res.json().error?.code, 'CONFLICT')
  t.same(await moderationCounts(app), before, 'nothing written')
  await app.prisma.user.update({ where: { id: a.id }, data: { role: 'admin' } })
  t.equal((await app.inject({ method: 'POST', url: `/api/admin/users/${b.id}/suspend`, headers: a.auth, payload: { reason: 'x' } })).statusCode, 200, 'with another admin it is allowed')
})

t.test('admin removes a message: content gone, members told, audited; twice is a no-op', async (t) => {
  const { app, url } = await listen(t)
  const admin = await makeAdmin(app)
  const [a, b] = [await registerUser(app), await registerUser(app)]
  const conversationId = await makeConversation(app, [a, b])
  const sent = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: a.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: 'abuse' } })
  const messageId = sent.json().id as string
  const sb = await connect(t, url, b)
  const del = await app.inject({ method: 'DELETE', url: `/api/admin/messages/${messageId}?reason=abuse`, headers: admin.auth })
  t.equal(del.statusCode, 204)
  t.same(await sb.waitFor('message:recalled'), [{ conversationId, messageId, seq: sent.json().seq }])
  const [updated] = await sb.waitFor('message:updated')
  t.match(updated, { id: messageId, conversationId, recalled: true, content: null }, 'the change stream carries the removal')
  t.ok(updated.rev > sent.json().rev, 'with a new rev')
  const synced = await sb.call('sync', { cursors: { [conversationId]: sent.json().seq }, revs: { [conversationId]: sent.json().rev } })
  t.same(synced.data.updated.map((m: { id: string }) => m.id), [messageId], 'an offline device learns it through sync by rev')
  const row = await app.prisma.message.findUniqueOrThrow({ where: { id: messageId } })
  t.equal(row.content, null)
  t.ok(row.recalledAt)
  const history = (await app.inject({ url: `/api/conversations/${conversationId}/messages`, headers: b.auth })).json()
  t.notOk(JSON.stringify(history).includes('abuse'), 'history no longer shows it')
  const before = await moderationCounts(app)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/admin/messages/${messageId}`, headers: admin.auth })).statusCode, 204)
  t.same(await moderationCounts(app), before, 'the second removal writes nothing')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/admin/messages/${randomUUID()}`, headers: admin.auth })).json().error.code, 'NOT_FOUND')
  const [entry] = (await app.inject({ url: '/api/admin/audit?limit=1', headers: admin.auth })).json()
  t.match(entry, { action: 'message.remove', targetType: 'message', targetId: messageId, reason: 'abuse', details: { conversationId, senderId: a.id } })
})

t.test('reports: exactly one visible target, flood limited, listed to admins with keyset paging', async (t) => {
  const app = await build(t)
  const admin = await makeAdmin(app)
  const [a, b, outsider] = [await registerUser(app), await registerUser(app), await registerUser(app)]
  const conversationId = await makeConversation(app, [a, b])
  const messageId = (await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: a.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: 'x' } })).json().id as string
  const before = await moderationCounts(app)
  const bad: Array<[string, unknown, string]> = [
    ['no target', { reason: 'x' }, 'VALIDATION'],
    ['two targets', { reason: 'x', messageId, userId: a.id }, 'VALIDATION'],
    ['self', { reason: 'x', userId: outsider.id }, 'VALIDATION'],
    ['message not visible', { reason: 'x', messageId }, 'NOT_FOUND'],
    ['unknown message', { reason: 'x', messageId: randomUUID() }, 'NOT_FOUND'],
    ['unknown user', { reason: 'x', userId: randomUUID() }, 'NOT_FOUND'],
    ['no reason', { userId: a.id }, 'VALIDATION'],
    ['reason too long', { userId: a.id, reason: 'x'.repeat(1001) }, 'VALIDATION'],
    ['NUL in the reason', { userId: a.id, reason: 'a\u0000' }, 'VALIDATION']
  ]
  for (const [name, payload, code] of bad) {
    t.equal((await app.inject({ method: 'POST', url: '/api/reports', headers: outsider.auth, payload: payload as any })).json().error?.code, code, name)
  }
  t.same(await moderationCounts(app), before, 'nothing written')

  const ok = await app.inject({ method: 'POST', url: '/api/reports', headers: b.auth, payload: { messageId, reason: 'rude' } })
  t.equal(ok.statusCode, 201)
  t.match(ok.json(), { reporterId: b.id, messageId, userId: null, reason: 'rude' })
  for (let i = 0; i < 9; i++) {
    t.equal((await app.inject({ method: 'POST', url: '/api/reports', headers: b.auth, payload: { userId: a.id, reason: `r${i}` } })).statusCode, 201)
  }
  const flood = await app.inject({ method: 'POST', url: '/api/reports', headers: b.auth, payload: { userId: a.id, reason: 'again' } })
  t.same([flood.statusCode, flood.json().error.code], [429, 'RATE_LIMITED'], 'the 11th within the window')
  t.equal(await app.prisma.report.count({ where: { reporterId: b.id } }), 10, 'the flood wrote nothing')

  const seen: string[] = []
  let cursor: string | undefined
  for (let i = 0; i < 10; i++) {
    const res = await app.inject({ url: `/api/admin/reports?limit=4${cursor === undefined ? '' : `&cursor=${cursor}`}`, headers: admin.auth })
    seen.push(...res.json().filter((r: any) => r.reporterId === b.id).map((r: any) => r.id))
    cursor = res.headers['x-next-cursor'] as string | undefined
    if (cursor === undefined) break
  }
  const expected = (await app.prisma.report.findMany({ where: { reporterId: b.id }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] })).map((r) => r.id)
  t.same(seen, expected, 'pages cover every report once, newest first')
  t.equal((await app.inject({ url: '/api/admin/reports?cursor=garbage', headers: admin.auth })).json().error.code, 'VALIDATION')
})

t.test('the audit log pages by keyset, newest first, every entry once', async (t) => {
  const app = await build(t)
  const admin = await makeAdmin(app)
  const u = await registerUser(app)
  for (let i = 0; i < 3; i++) {
    t.equal((await app.inject({ method: 'POST', url: `/api/admin/users/${u.id}/suspend`, headers: admin.auth, payload: { reason: `r${i}` } })).statusCode, 200)
    t.equal((await app.inject({ method: 'POST', url: `/api/admin/users/${u.id}/unsuspend`, headers: admin.auth })).statusCode, 200)
  }
  const seen: string[] = []
  let cursor: string | undefined
  for (let i = 0; i < 50; i++) {
    const res = await app.inject({ url: `/api/admin/audit?limit=2${cursor === undefined ? '' : `&cursor=${cursor}`}`, headers: admin.auth })
    t.ok(res.json().length <= 2)
    seen.push(...res.json().filter((e: any) => e.targetId === u.id).map((e: any) => e.id))
    cursor = res.headers['x-next-cursor'] as string | undefined
    if (cursor === undefined) break
  }
  // Entries of the same millisecond are ordered by id, so compare with the database's order.
  const expected = await app.prisma.auditLog.findMany({ where: { targetId: u.id }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] })
  t.equal(expected.length, 6, 'six actions audited')
  t.same(seen, expected.map((e) => e.id), 'pages cover every entry once, newest first')
  t.same(expected.map((e) => e.reason).filter((r) => r !== null).sort(), ['r0', 'r1', 'r2'])
  t.equal((await app.inject({ url: '/api/admin/audit?limit=0', headers: admin.auth })).json().error.code, 'VALIDATION')
})
