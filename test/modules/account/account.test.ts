import t from 'tap'
import { createECDH, randomBytes, randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { befriend, build, listen, registerUser } from '../../helper.js'
import { multipart } from '../uploads/helpers.js'
import { snapshot } from '../../security/surface.js'
import { connect } from '../presence/helpers.js'
import { makeAdmin, PASSWORD } from '../admin/helpers.js'
import type { App } from '../../../src/app.js'

/** Every (table, column) with a foreign key to users, read from the catalogue: a new table cannot escape. */
async function userReferences (app: App): Promise<Array<{ table: string, column: string }>> {
  return await app.prisma.$queryRawUnsafe(`
    SELECT cl.relname AS "table", a.attname AS "column"
    FROM pg_constraint c
    JOIN pg_class cl ON cl.oid = c.conrelid
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
    WHERE c.contype = 'f' AND c.confrelid = 'users'::regclass
    ORDER BY 1, 2`)
}

t.test('delete my account: nothing personal remains but the messages\' sender reference', async (t) => {
  const { app, url } = await listen(t)
  const [d, f, x, y] = [await registerUser(app), await registerUser(app), await registerUser(app), await registerUser(app)]
  await befriend(app, d, f)
  await app.inject({ method: 'POST', url: '/api/friends/requests', headers: d.auth, payload: { toUserId: x.id } })
  await app.inject({ method: 'POST', url: `/api/blocks/${y.id}`, headers: d.auth })
  await app.inject({ method: 'POST', url: `/api/blocks/${d.id}`, headers: x.auth })
  const direct = (await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: d.auth, payload: { userId: f.id } })).json().id as string
  const sent = await app.inject({ method: 'POST', url: `/api/conversations/${direct}/messages`, headers: d.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: 'bye' } })
  const group = (await app.inject({ method: 'POST', url: '/api/groups', headers: d.auth, payload: { name: 'g', memberIds: [f.id] } })).json().id as string
  const solo = (await app.inject({ method: 'POST', url: '/api/groups', headers: d.auth, payload: { name: 'solo', memberIds: [] } })).json().id as string
  const file = multipart([{ filename: 'a.txt', type: 'text/plain', data: 'mine' }])
  const upload = (await app.inject({ method: 'POST', url: '/api/uploads', headers: { ...d.auth, ...file.headers }, payload: file.payload })).json()
  await app.inject({ method: 'POST', url: '/api/reports', headers: d.auth, payload: { userId: y.id, reason: 'x' } })
  await app.inject({ method: 'POST', url: '/api/reports', headers: f.auth, payload: { userId: d.id, reason: 'x' } })
  // v2 rows that reference the user: a push subscription, a bot, a setting, an invite made.
  const ecdh = createECDH('prime256v1')
  ecdh.generateKeys()
  const push = await app.inject({ method: 'POST', url: '/api/push/subscriptions', headers: d.auth, payload: { endpoint: `https://93.184.216.34/push/${randomUUID()}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') } } })
  t.equal(push.statusCode, 201, push.body)
  const bot = await app.inject({ method: 'POST', url: '/api/bots', headers: d.auth, payload: { username: `dbot${process.pid % 10000}${Math.floor(Math.random() * 1e5)}`, displayName: 'my bot' } })
  t.equal(bot.statusCode, 201, bot.body)
  t.equal((await app.inject({ method: 'PATCH', url: `/api/conversations/${group}/settings`, headers: d.auth, payload: { pinned: true, notify: 'mentions' } })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: `/api/groups/${group}/invites`, headers: d.auth, payload: {} })).statusCode, 201)
  const stored = await app.prisma.upload.findFirstOrThrow({ where: { uploaderId: d.id } })
  t.ok(existsSync(join(app.config.UPLOAD_DIR, stored.storageKey)), 'the file is on disk before')
  const socket = await connect(t, url, d)

  const refs = await userReferences(app)
  t.ok(refs.length >= 10, `${refs.length} columns reference users`)
  const count = async (table: string, column: string) => (await app.prisma.$queryRawUnsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM "${table}" WHERE "${column}" = $1::uuid`, d.id))[0]!.n
  let before = 0
  for (const r of refs) before += await count(r.table, r.column)
  t.ok(before >= 12, `the user had ${before} rows before`)

  const snap = await snapshot(app, { ignoreColumns: ['last_seen_at'] })
  for (const [name, payload, code] of [['wrong password', { password: 'wrong password!' }, 'FORBIDDEN'], ['no password', {}, 'VALIDATION'], ['extra field', { password: PASSWORD, x: 1 }, 'VALIDATION']] as const) {
    t.equal((await app.inject({ method: 'DELETE', url: '/api/users/me', headers: d.auth, payload })).json().error?.code, code, name)
  }
  t.same(await snapshot(app, { ignoreColumns: ['last_seen_at'] }), snap, 'refused: nothing written')

  const res = await app.inject({ method: 'DELETE', url: '/api/users/me', headers: d.auth, payload: { password: PASSWORD } })
  t.equal(res.statusCode, 204, res.body)
  t.ok(await socket.disconnected, 'the live socket was cut')
  for (const r of refs) {
    const n = await count(r.table, r.column)
    if (r.table === 'messages' && r.column === 'sender_id') t.ok(n >= 1, 'messages keep their sender reference')
    else t.equal(n, 0, `${r.table}.${r.column}: no row left`)
  }
  const row = await app.prisma.user.findUniqueOrThrow({ where: { id: d.id } })
  t.match(row, { displayName: 'Deleted user', avatarUrl: null, passwordHash: '!', role: 'user', lastSeenAt: null })
  t.not(row.username, d.username, 'the username is freed')
  t.ok(row.deletedAt)
  t.notOk(existsSync(join(app.config.UPLOAD_DIR, stored.storageKey)), 'the file is gone')
  t.equal((await app.inject({ url: `/api/uploads/${(upload.url as string).split('/').pop()!}`, headers: f.auth })).statusCode, 404)

  const history = (await app.inject({ url: `/api/conversations/${direct}/messages`, headers: f.auth })).json().messages
  const msg = history.find((m: any) => m.id === sent.json().id)
  t.match(msg, { senderId: d.id, sender: { displayName: 'Deleted user', avatarUrl: null }, content: 'bye' }, 'the peer keeps the message, from "Deleted user"')
  const g = (await app.inject({ url: `/api/conversations/${group}`, headers: f.auth })).json()
  t.equal(g.ownerId, f.id, 'group ownership handed over by the leave rule')
  t.equal(await app.prisma.conversation.count({ where: { id: solo } }), 0, 'a group left empty is deleted')

  t.equal((await app.inject({ url: '/api/users/me', headers: d.auth })).statusCode, 401, 'the old token is dead')
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: d.username, password: PASSWORD } })).statusCode, 401, 'cannot log in')
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: row.username, password: '!' + 'x'.repeat(8) } })).statusCode, 401, 'nor as the tombstone')
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: d.refreshToken } })).statusCode, 401, 'nor refresh')
  t.same((await app.inject({ url: `/api/users?q=${row.username}`, headers: f.auth })).json(), [], 'tombstones are not found by search')
  const snapAfter = await snapshot(app, { ignoreColumns: ['last_seen_at'] })
  t.equal((await app.inject({ method: 'POST', url: '/api/friends/requests', headers: f.auth, payload: { toUserId: d.id } })).json().error?.code, 'NOT_FOUND', 'no friend request to a tombstone')
  t.equal((await app.inject({ method: 'POST', url: `/api/blocks/${d.id}`, headers: f.auth })).json().error?.code, 'NOT_FOUND', 'no block of a tombstone')
  t.equal((await app.inject({ method: 'POST', url: `/api/groups/${group}/members`, headers: f.auth, payload: { userIds: [d.id] } })).json().error?.code, 'NOT_FOUND', 'not added to a group')
  t.equal((await app.inject({ method: 'POST', url: '/api/reports', headers: f.auth, payload: { userId: d.id, reason: 'x' } })).json().error?.code, 'NOT_FOUND', 'not reported')
  t.same(await snapshot(app, { ignoreColumns: ['last_seen_at'] }), snapAfter, 'nothing written for a tombstone')
  t.equal((await app.inject({ method: 'POST', url: '/api/auth/register', payload: { username: d.username, password: PASSWORD } })).statusCode, 201, 'the old name can be taken again')
})

t.test('the last admin cannot delete their account', async (t) => {
  const app = await build(t)
  const a = await makeAdmin(app)
  await app.prisma.user.updateMany({ where: { role: 'admin', id: { not: a.id } }, data: { role: 'user' } })
  const res = await app.inject({ method: 'DELETE', url: '/api/users/me', headers: a.auth, payload: { password: PASSWORD } })
  t.equal(res.json().error?.code, 'CONFLICT')
  t.equal((await app.prisma.user.findUniqueOrThrow({ where: { id: a.id } })).deletedAt, null)
})

t.test('export my data', async (t) => {
  const app = await build(t)
  const [a, b] = [await registerUser(app), await registerUser(app)]
  await befriend(app, a, b)
  const direct = (await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: a.auth, payload: { userId: b.id } })).json().id as string
  await app.inject({ method: 'POST', url: `/api/conversations/${direct}/messages`, headers: a.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: 'mine' } })
  await app.inject({ method: 'POST', url: `/api/conversations/${direct}/messages`, headers: b.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: 'theirs' } })
  const file = multipart([{ filename: 'a.txt', type: 'text/plain', data: 'x' }])
  await app.inject({ method: 'POST', url: '/api/uploads', headers: { ...a.auth, ...file.headers }, payload: file.payload })
  const res = await app.inject({ url: '/api/users/me/export', headers: a.auth })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.match(body.profile, { id: a.id, username: a.username, role: 'user' })
  t.notOk(JSON.stringify(body).includes('scrypt'), 'no password hash')
  t.same(body.friends.map((f: any) => f.id), [b.id])
  t.same(body.conversations.map((c: any) => c.id), [direct])
  t.same(body.messages.map((m: any) => m.content), ['mine'], 'my messages only')
  t.match(body.uploads, [{ name: 'a.txt', mime: 'text/plain', size: 1 }])
  t.equal((await app.inject({ url: '/api/users/me/export' })).statusCode, 401)
})
