// The server API's system messages (`app_notice`) and channels: the same services as the user
// routes, idempotency, scopes, revoked keys and hostile input.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build, listen, registerUser } from '../../helper.js'
import { connect } from '../../socket-client.js'
import { appUser, makeAdmin, makeKey } from './helpers.js'

const code = (res: { json: () => any }): string => res.json().error?.code

t.test('a system message from the app: delivered to members, idempotent by clientMsgId, also when concurrent', async (t) => {
  const { app, url } = await listen(t)
  const key = await makeKey(app, await makeAdmin(app))
  const [a, b] = [await appUser(app, key), await appUser(app, key)]
  const gid = (await app.inject({ method: 'POST', url: '/api/server/groups', headers: key.auth, payload: { owner: a.externalId, name: 'Notices', members: [b.externalId] } })).json().id as string
  const bSession = (await app.inject({ method: 'POST', url: `/api/server/users/${b.externalId}/tokens`, headers: key.auth })).json()
  const socket = await connect(t, url, bSession)
  const notice = async (clientMsgId: string, text = 'Maintenance at 22:00') =>
    await app.inject({ method: 'POST', url: `/api/server/conversations/${gid}/system-messages`, headers: key.auth, payload: { clientMsgId, text } })
  const id = randomUUID()
  const first = await notice(id)
  t.equal(first.statusCode, 201)
  t.match(first.json(), { conversationId: gid, type: 'system', senderId: a.id, content: { event: 'app_notice', actorId: a.id, text: 'Maintenance at 22:00' } })
  const live = await socket.waitFor('message:new')
  t.ok(live.some((m) => m.id === first.json().id), 'a member receives it live')
  const again = await notice(id, 'something else')
  t.equal(again.statusCode, 200, 'a repeat returns the original')
  t.equal(again.json().id, first.json().id)
  t.equal(again.json().content.text, 'Maintenance at 22:00')
  const racing = randomUUID()
  const all = await Promise.all(Array.from({ length: 5 }, async () => await notice(racing)))
  t.equal(new Set(all.map((r) => r.json().id)).size, 1, 'five concurrent repeats: one message')
  t.same(all.map((r) => r.statusCode).sort(), [200, 200, 200, 200, 201])
  const history = await app.inject({ url: `/api/conversations/${gid}/messages`, headers: { authorization: `Bearer ${bSession.accessToken as string}` } })
  t.equal(history.json().messages.filter((m: any) => m.content?.event === 'app_notice').length, 2, 'two notices in history')
  t.equal(code(await app.inject({ method: 'POST', url: `/api/server/conversations/${randomUUID()}/system-messages`, headers: key.auth, payload: { clientMsgId: randomUUID(), text: 'x' } })), 'NOT_FOUND')
})

t.test('channels through the server API: owner and members, the channel rules', async (t) => {
  const app = await build(t)
  const key = await makeKey(app, await makeAdmin(app))
  const [a, b, c] = [await appUser(app, key), await appUser(app, key), await appUser(app, key)]
  const res = await app.inject({ method: 'POST', url: '/api/server/channels', headers: key.auth, payload: { owner: a.externalId, name: 'News', topic: 'What is new', members: [b.externalId, c.externalId, a.externalId] } })
  t.equal(res.statusCode, 201)
  t.match(res.json(), { type: 'channel', name: 'News', topic: 'What is new', memberCount: 3 })
  const members = await app.prisma.conversationMember.findMany({ where: { conversationId: res.json().id }, select: { userId: true, role: true } })
  t.same(new Map(members.map((m) => [m.userId, m.role])), new Map([[a.id, 'owner'], [b.id, 'member'], [c.id, 'member']]))
  const before = await app.prisma.conversation.count({ where: { type: 'channel' } })
  t.equal(code(await app.inject({ method: 'POST', url: '/api/server/channels', headers: key.auth, payload: { owner: a.externalId, name: 'X', members: ['nobody-here'] } })), 'NOT_FOUND', 'an unknown member')
  t.equal(await app.prisma.conversation.count({ where: { type: 'channel' } }), before, 'checked before anything is made')
  await app.inject({ method: 'POST', url: `/api/server/users/${a.externalId}/suspend`, headers: key.auth, payload: { reason: 'x' } })
  t.equal(code(await app.inject({ method: 'POST', url: '/api/server/channels', headers: key.auth, payload: { owner: a.externalId, name: 'X', members: [] } })), 'FORBIDDEN', 'a suspended owner')
  const human = await registerUser(app)
  t.equal(code(await app.inject({ method: 'POST', url: '/api/server/channels', headers: key.auth, payload: { owner: human.username, name: 'X', members: [] } })), 'NOT_FOUND', 'a password account is not the app\'s')
})

t.test('scopes, revoked keys and hostile input', async (t) => {
  const app = await build(t)
  const admin = await makeAdmin(app)
  const key = await makeKey(app, admin)
  const usersOnly = await makeKey(app, admin, ['users'])
  const [a] = [await appUser(app, key)]
  const gid = (await app.inject({ method: 'POST', url: '/api/server/groups', headers: key.auth, payload: { owner: a.externalId, name: 'G', members: [] } })).json().id as string
  const noticeUrl = `/api/server/conversations/${gid}/system-messages`
  const good = { clientMsgId: randomUUID(), text: 'hi' }
  t.equal(code(await app.inject({ method: 'POST', url: noticeUrl, headers: usersOnly.auth, payload: good })), 'FORBIDDEN', 'notices need the messages scope')
  t.equal(code(await app.inject({ method: 'POST', url: '/api/server/channels', headers: usersOnly.auth, payload: { owner: a.externalId, name: 'C', members: [] } })), 'FORBIDDEN', 'channels need the conversations scope')
  t.equal(code(await app.inject({ method: 'POST', url: noticeUrl, payload: good })), 'UNAUTHORIZED', 'no key')
  t.equal(code(await app.inject({ method: 'POST', url: noticeUrl, headers: { authorization: `Bearer ${app.signAccessToken(a.id)}` }, payload: good })), 'UNAUTHORIZED', 'a user token is no key')
  const count = async (): Promise<number> => await app.prisma.message.count({ where: { conversationId: gid } })
  const n = await count()
  for (const [what, payload] of [
    ['NUL', { clientMsgId: randomUUID(), text: 'a\u0000b' }],
    ['blank', { clientMsgId: randomUUID(), text: ' \n ' }],
    ['too long', { clientMsgId: randomUUID(), text: 'x'.repeat(2001) }],
    ['no clientMsgId', { text: 'hi' }],
    ['an extra field', { ...good, event: 'member_added' }],
    ['content instead of text', { clientMsgId: randomUUID(), content: { event: 'renamed' } }]
  ] as const) {
    t.equal(code(await app.inject({ method: 'POST', url: noticeUrl, headers: key.auth, payload })), 'VALIDATION', what)
  }
  t.equal(code(await app.inject({ method: 'POST', url: '/api/server/conversations/not-a-uuid/system-messages', headers: key.auth, payload: good })), 'VALIDATION', 'a bad id')
  for (const [what, name] of [['bidi override', 'a\u202Eb'], ['zero-width only', '\u200B'], ['NUL', 'a\u0000']]) {
    t.equal(code(await app.inject({ method: 'POST', url: '/api/server/channels', headers: key.auth, payload: { owner: a.externalId, name, members: [] } })), 'VALIDATION', `channel name: ${what}`)
  }
  t.equal(await count(), n, 'nothing written')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/admin/server-keys/${key.id}`, headers: admin.auth })).statusCode, 200)
  t.equal(code(await app.inject({ method: 'POST', url: noticeUrl, headers: key.auth, payload: good })), 'UNAUTHORIZED', 'a revoked key')
  t.equal(code(await app.inject({ method: 'POST', url: '/api/server/channels', headers: key.auth, payload: { owner: a.externalId, name: 'C', members: [] } })), 'UNAUTHORIZED', 'a revoked key')
  t.equal(await count(), n)
})
