import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build, registerUser } from '../../helper.js'
import { appUser, makeAdmin, makeKey } from './helpers.js'

const code = (res: { json: () => any }): string => res.json().error?.code

t.test('the app makes friends and groups and sends as its users, through the user routes\' rules', async (t) => {
  const app = await build(t)
  const key = await makeKey(app, await makeAdmin(app))
  const [a, b, c] = [await appUser(app, key), await appUser(app, key), await appUser(app, key)]
  t.equal((await app.inject({ method: 'POST', url: '/api/server/friends', headers: key.auth, payload: { a: a.externalId, b: b.externalId } })).statusCode, 204)
  t.ok(await app.prisma.friendship.findUnique({ where: { userId_friendId: { userId: a.id, friendId: b.id } } }))
  t.equal(code(await app.inject({ method: 'POST', url: '/api/server/friends', headers: key.auth, payload: { a: a.externalId, b: b.externalId } })), 'CONFLICT', 'already friends')

  const group = await app.inject({ method: 'POST', url: '/api/server/groups', headers: key.auth, payload: { owner: a.externalId, name: 'Team', members: [b.externalId] } })
  t.equal(group.statusCode, 201)
  const gid = group.json().id as string
  const added = await app.inject({ method: 'POST', url: `/api/server/groups/${gid}/members`, headers: key.auth, payload: { members: [c.externalId] } })
  t.equal(added.statusCode, 200)
  t.equal(await app.prisma.conversationMember.count({ where: { conversationId: gid } }), 3)

  const clientMsgId = randomUUID()
  const send = async (as: string, id = clientMsgId) => await app.inject({ method: 'POST', url: `/api/server/conversations/${gid}/messages`, headers: key.auth, payload: { as, clientMsgId: id, type: 'text', content: 'hello from the app' } })
  const first = await send(b.externalId)
  t.equal(first.statusCode, 201)
  t.equal(first.json().senderId, b.id)
  const repeat = await send(b.externalId)
  t.equal(repeat.statusCode, 200, 'idempotent by clientMsgId')
  t.equal(repeat.json().id, first.json().id)

  t.equal((await app.inject({ method: 'DELETE', url: `/api/server/groups/${gid}/members/${c.externalId}`, headers: key.auth })).statusCode, 200)
  const removed = await send(c.externalId, randomUUID())
  t.equal(code(removed), 'NOT_FOUND', 'a removed member cannot be made to send')

  await app.inject({ method: 'POST', url: `/api/server/users/${b.externalId}/suspend`, headers: key.auth, payload: { reason: 'x' } })
  const count = await app.prisma.message.count({ where: { conversationId: gid } })
  t.equal(code(await send(b.externalId, randomUUID())), 'FORBIDDEN', 'a suspended user cannot be made to send')
  t.equal(await app.prisma.message.count({ where: { conversationId: gid } }), count, 'nothing stored')
})

t.test('the app cannot reach past its own users or into conversations by id guessing', async (t) => {
  const app = await build(t)
  const key = await makeKey(app, await makeAdmin(app))
  const a = await appUser(app, key)
  const stranger = await registerUser(app)
  const direct = await app.inject({ method: 'POST', url: '/api/server/groups', headers: key.auth, payload: { owner: a.externalId, name: 'G', members: [] } })
  t.equal(direct.statusCode, 201)
  t.equal(code(await app.inject({ method: 'POST', url: `/api/server/conversations/${randomUUID()}/messages`, headers: key.auth, payload: { as: a.externalId, clientMsgId: randomUUID(), type: 'text', content: 'x' } })), 'NOT_FOUND')
  t.equal(code(await app.inject({ method: 'POST', url: '/api/server/groups', headers: key.auth, payload: { owner: stranger.username, name: 'G', members: [] } })), 'NOT_FOUND', 'a password user is not the app\'s')
  t.equal(code(await app.inject({ method: 'POST', url: `/api/server/groups/${randomUUID()}/members`, headers: key.auth, payload: { members: [a.externalId] } })), 'NOT_FOUND')
  for (const payload of [{ as: a.externalId, clientMsgId: randomUUID(), type: 'system', content: { event: 'renamed', actorId: a.id } }, { as: a.externalId, clientMsgId: randomUUID(), type: 'text', content: 'a\u0000b' }, { as: a.externalId, clientMsgId: randomUUID(), type: 'text', content: 'x', senderId: randomUUID() }]) {
    t.equal(code(await app.inject({ method: 'POST', url: `/api/server/conversations/${direct.json().id as string}/messages`, headers: key.auth, payload })), 'VALIDATION', JSON.stringify(payload).slice(0, 80))
  }
  t.equal(await app.prisma.message.count({ where: { conversationId: direct.json().id } }), 0)
})

t.test('members are looked up in one query; one unknown or deleted external id creates nothing', async (t) => {
  const app = await build(t)
  const key = await makeKey(app, await makeAdmin(app))
  const [a, b, gone] = [await appUser(app, key), await appUser(app, key), await appUser(app, key)]
  t.equal((await app.inject({ method: 'DELETE', url: `/api/server/users/${gone.externalId}`, headers: key.auth })).statusCode, 204)
  const groupsBefore = await app.prisma.conversation.count({ where: { type: { in: ['group', 'channel'] } } })
  for (const url of ['/api/server/groups', '/api/server/channels']) {
    for (const missing of [`nobody-${randomUUID()}`, gone.externalId]) {
      const res = await app.inject({ method: 'POST', url, headers: key.auth, payload: { owner: a.externalId, name: 'Team', members: [b.externalId, missing] } })
      t.equal(res.statusCode, 404, `${url} with ${missing === gone.externalId ? 'a deleted' : 'an unknown'} member`)
      t.equal(code(res), 'NOT_FOUND')
    }
  }
  t.equal(await app.prisma.conversation.count({ where: { type: { in: ['group', 'channel'] } } }), groupsBefore, 'no group made')
  const group = await app.inject({ method: 'POST', url: '/api/server/groups', headers: key.auth, payload: { owner: a.externalId, name: 'Team', members: [b.externalId] } })
  const gid = group.json().id as string
  const added = await app.inject({ method: 'POST', url: `/api/server/groups/${gid}/members`, headers: key.auth, payload: { members: [`nobody-${randomUUID()}`] } })
  t.equal(code(added), 'NOT_FOUND')
  t.equal(await app.prisma.conversationMember.count({ where: { conversationId: gid } }), 2, 'nobody added')
})
