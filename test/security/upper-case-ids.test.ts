// suite: default only — who may call what is decided in the services, the same on both engines; the store-dependent paths run on both in test/modules
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { listen } from '../helper.js'
import { graphRows, sendRequest } from '../modules/friends/helpers.js'
import { connect, makeConversation, makeFriends, makeUsers, settle, type User } from '../modules/presence/helpers.js'
import { checkRouteList, listEvents, listRoutes } from './surface.js'

const upper = (id: string): string => id.toUpperCase()
/** Socket events whose payload holds no uuid. */
const NO_IDS = new Set(['auth:refresh'])

t.test('the defects of issue 10, each with an upper-case id', async (t) => {
  const { app, url } = await listen(t)
  const [a, b, c] = await makeUsers(app, 3) as [User, User, User]

  const before = await graphRows(app, a.id)
  const self = await app.inject({ method: 'POST', url: '/api/friends/requests', headers: a.auth, payload: { toUserId: upper(a.id) } })
  t.equal(self.statusCode, 400)
  t.equal(self.json().error.code, 'VALIDATION', 'a friend request to your own id in upper case is a request to yourself')
  const selfBlock = await app.inject({ method: 'POST', url: `/api/blocks/${upper(a.id)}`, headers: a.auth })
  t.equal(selfBlock.statusCode, 400)
  t.equal(selfBlock.json().error.code, 'VALIDATION', 'so is blocking yourself')
  t.same(await graphRows(app, a.id), before, 'nothing written')

  const b1 = await connect(t, url, b)
  const sent = await sendRequest(app, a, { ...b, id: upper(b.id) })
  t.equal(sent.statusCode, 201)
  t.equal(sent.json().toUserId, b.id, 'stored with the lower-case id')
  const [live] = await b1.waitFor('friend:request')
  t.equal(live.id, sent.json().id, 'the live friend:request reaches the recipient')

  const conversationId = await makeConversation(app, [a, c])
  const a1 = await connect(t, url, a)
  const c1 = await connect(t, url, c)
  t.same(await a1.call('signal', { toUserId: upper(c.id), name: 'ping', payload: 1 }), { ok: true, data: {} })
  t.same(await c1.waitFor('signal'), [{ fromUserId: a.id, name: 'ping', payload: 1 }], 'a signal to an upper-case id is delivered')

  t.equal((await a1.call('typing', { conversationId: upper(conversationId), typing: true })).ok, true)
  const [typing] = await c1.waitFor('typing')
  t.equal(typing.conversationId, conversationId, 'typing is relayed with the stored (lower-case) id')
})

/** Every REST route and socket event that takes an id: the id's upper case answers as the id itself. */
t.test('every route and event that takes a uuid treats its upper case as the same id', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await makeUsers(app, 2) as [User, User]
  await makeFriends(app, a, b)
  const conversationId = await makeConversation(app, [a, b])
  const routes = listRoutes(app)
  checkRouteList(t, app, routes)
  // Known ids (a real user, a real conversation) and an unknown one: one of each per route, so
  // both the found and the not-found paths are compared.
  const ids = [b.id, conversationId, randomUUID()]
  let compared = 0
  for (const route of routes.filter((r) => r.params.some((p) => /id$/i.test(p)))) {
    if (route.method !== 'GET') continue // writes change state between the two calls; reads compare cleanly
    for (const id of ids) {
      const fill = (f: (s: string) => string): string => route.url.replace(/:([A-Za-z0-9_]+)/g, () => f(id))
      const lower = await app.inject({ method: 'GET', url: fill((s) => s), headers: a.auth })
      const up = await app.inject({ method: 'GET', url: fill(upper), headers: a.auth })
      t.equal(up.statusCode, lower.statusCode, `${route.key} with ${id === b.id ? 'a user' : id === conversationId ? 'a conversation' : 'an unknown'} id`)
      if (lower.headers['content-type']?.toString().startsWith('application/json') === true) t.same(up.json(), lower.json())
      compared++
    }
  }
  t.ok(compared > 0, `${compared} route/id pairs compared`)

  // Socket events: each event with a uuid in its schema gets an all-upper-case twin of a lower-case payload.
  const a1 = await connect(t, url, a)
  const b1 = await connect(t, url, b)
  const sent = await a1.call('message:send', { conversationId, clientMsgId: randomUUID(), type: 'text', content: 'react to me' })
  const messageId = (sent as { data: { id: string } }).data.id
  const payloads: Record<string, (id: (s: string) => string) => unknown> = {
    typing: (f) => ({ conversationId: f(conversationId), typing: false }),
    signal: (f) => ({ toUserId: f(b.id), name: 'x', payload: null }),
    sync: (f) => ({ cursors: { [f(conversationId)]: 0 } }),
    'message:read': (f) => ({ conversationId: f(conversationId), seq: 0 }),
    'message:delivered': (f) => ({ conversationId: f(conversationId), seq: 0 }),
    'message:recall': (f) => ({ messageId: f(randomUUID()) }),
    'message:send': (f) => ({ conversationId: f(randomUUID()), clientMsgId: randomUUID(), type: 'text', content: 'x' }),
    'message:edit': (f) => ({ messageId: f(randomUUID()), content: 'x' }),
    'message:pin': (f) => ({ messageId: f(randomUUID()), pinned: true }),
    'poll:vote': (f) => ({ messageId: f(randomUUID()), optionIndexes: [] }),
    'poll:close': (f) => ({ messageId: f(randomUUID()) }),
    'message:link-preview:remove': (f) => ({ messageId: f(randomUUID()) }),
    // A real message: the second add (and remove) of the same emoji is a no-op with the same answer.
    'reaction:add': (f) => ({ messageId: f(messageId), emoji: '👍' }),
    'reaction:remove': (f) => ({ messageId: f(messageId), emoji: '👍' })
  }
  const events = listEvents(app)
  for (const event of events) {
    const fn = payloads[event]
    if (fn === undefined) {
      // a new event must be added above, or here when it takes no id
      t.ok(NO_IDS.has(event), `${event} takes no id`)
      continue
    }
    const lowerAck = await a1.call(event, fn((s) => s))
    const upperAck = await a1.call(event, fn(upper))
    t.same(upperAck, lowerAck, `${event}: same ack for the upper-case id`)
  }
  await settle()
  t.ok(b1.of('signal').length === 2, 'both signals delivered')
})

/**
 * Writes with upper-case ids, one world: each must do what the lower-case id does (its success
 * status) and leave only lower-case ids behind. The walk above compares reads; a write changes
 * state between two calls, so each write runs once here, in an order that keeps the next valid.
 */
t.test('write routes with upper-case ids succeed and store the lower-case form', async (t) => {
  const { app } = await listen(t)
  const [a, b, c] = await makeUsers(app, 3) as [User, User, User]
  await makeFriends(app, a, b)
  const U = upper
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
    await app.inject({ method, url, headers: a.auth, ...(payload === undefined ? {} : { payload }) })

  const direct = await call('POST', '/api/conversations/direct', { userId: U(b.id) })
  t.equal(direct.statusCode, 200, 'POST /conversations/direct')
  const conversationId = direct.json().id as string
  t.equal(conversationId, conversationId.toLowerCase())
  const sent = await call('POST', `/api/conversations/${U(conversationId)}/messages`, { clientMsgId: randomUUID(), type: 'text', content: 'hi' })
  t.equal(sent.statusCode, 201, 'POST /conversations/:id/messages')
  t.equal(sent.json().conversationId, conversationId, 'the message carries the stored id')
  const messageId = sent.json().id as string
  t.equal((await call('POST', `/api/conversations/${U(conversationId)}/read`, { seq: 1 })).statusCode, 200, 'POST /conversations/:id/read')
  t.equal((await call('PATCH', `/api/conversations/${U(conversationId)}/messages/${U(messageId)}`, { content: 'hi (edited)' })).statusCode, 200, 'PATCH a message')
  t.equal((await call('PUT', `/api/conversations/${U(conversationId)}/messages/${U(messageId)}/reactions/${encodeURIComponent('👍')}`)).statusCode, 200, 'PUT a reaction')
  t.equal((await call('POST', `/api/conversations/${U(conversationId)}/pins`, { messageId: U(messageId) })).statusCode, 200, 'POST a pin')
  t.equal((await call('DELETE', `/api/conversations/${U(conversationId)}/pins/${U(messageId)}`)).statusCode, 204, 'DELETE a pin')
  t.equal((await call('DELETE', `/api/conversations/${U(conversationId)}/messages/${U(messageId)}/reactions/${encodeURIComponent('👍')}`)).statusCode, 200, 'DELETE a reaction')
  t.equal((await call('DELETE', `/api/conversations/${U(conversationId)}/messages/${U(messageId)}?for=me`)).statusCode, 204, 'DELETE for me')
  t.equal((await call('POST', `/api/conversations/${U(conversationId)}/clear`, {})).statusCode, 204, 'POST clear')
  t.equal((await call('PATCH', `/api/conversations/${U(conversationId)}/settings`, { pinned: true })).statusCode, 200, 'PATCH settings')

  const group = await call('POST', '/api/groups', { name: 'upper', memberIds: [U(b.id)] })
  t.equal(group.statusCode, 201, 'POST /groups with upper-case member ids')
  const groupId = group.json().id as string
  t.equal((await call('POST', `/api/groups/${U(groupId)}/members`, { userIds: [U(c.id)] })).statusCode, 200, 'POST /groups/:id/members')
  t.equal((await call('DELETE', `/api/groups/${U(groupId)}/members/${U(c.id)}`)).statusCode, 200, 'DELETE /groups/:id/members/:userId')
  t.same((await app.prisma.conversationMember.findMany({ where: { conversationId: groupId }, select: { userId: true } })).map((m) => m.userId).sort(), [a.id, b.id].sort(), 'members stored by their ids')
  // v2 groups
  t.equal((await call('PATCH', `/api/groups/${U(groupId)}`, { topic: 'upper' })).statusCode, 200, 'PATCH /groups/:id')
  t.equal((await call('PUT', `/api/groups/${U(groupId)}/members/${U(b.id)}/role`, { role: 'admin' })).statusCode, 200, 'PUT /groups/:id/members/:userId/role')
  t.equal((await app.prisma.conversationMember.findUniqueOrThrow({ where: { conversationId_userId: { conversationId: groupId, userId: b.id } } })).role, 'admin')
  const invite = await call('POST', `/api/groups/${U(groupId)}/invites`, {})
  t.equal(invite.statusCode, 201, 'POST /groups/:id/invites')
  t.equal(invite.json().conversationId, groupId)
  // c was removed above: a ban, lifted here with upper-case ids
  t.same((await call('GET', `/api/groups/${U(groupId)}/bans`)).json().map((x: any) => x.user.id), [c.id], 'GET /groups/:id/bans')
  t.equal((await call('DELETE', `/api/groups/${U(groupId)}/bans/${U(c.id)}`)).statusCode, 204, 'DELETE /groups/:id/bans/:userId')
  t.equal((await app.inject({ method: 'POST', url: `/api/invites/${invite.json().code as string}/join`, headers: c.auth })).statusCode, 200, 'POST /invites/:code/join')
  t.equal((await call('DELETE', `/api/groups/${U(groupId)}/invites/${U(invite.json().id as string)}`)).statusCode, 204, 'DELETE /groups/:id/invites/:id')
  t.equal((await call('DELETE', `/api/groups/${U(groupId)}/invites/${invite.json().code as string}`)).statusCode, 204, 'DELETE /groups/:id/invites/:code')
  t.equal((await call('POST', `/api/groups/${U(groupId)}/transfer`, { userId: U(b.id) })).statusCode, 200, 'POST /groups/:id/transfer')
  t.equal((await app.prisma.conversation.findUniqueOrThrow({ where: { id: groupId } })).ownerId, b.id, 'the owner stored by its id')

  const channel = await call('POST', '/api/channels', { name: 'upper channel' })
  t.equal(channel.statusCode, 201, 'POST /channels')
  const channelId = channel.json().id as string
  t.equal((await app.inject({ method: 'POST', url: `/api/channels/${U(channelId)}/join`, headers: b.auth })).statusCode, 200, 'POST /channels/:id/join')
  t.same((await app.prisma.conversationMember.findMany({ where: { conversationId: channelId }, select: { userId: true } })).map((m) => m.userId).sort(), [a.id, b.id].sort(), 'channel members stored by their ids')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/groups/${U(channelId)}/members/me`, headers: b.auth })).statusCode, 200, 'DELETE /groups/:id/members/me (leave a channel)')
  t.equal(await app.prisma.conversationMember.count({ where: { conversationId: channelId } }), 1)

  t.equal((await call('DELETE', `/api/friends/${U(b.id)}`)).statusCode, 204, 'DELETE /friends/:userId')
  t.equal((await call('POST', `/api/blocks/${U(c.id)}`)).statusCode, 201, 'POST /blocks/:userId')
  t.equal((await call('DELETE', `/api/blocks/${U(c.id)}`)).statusCode, 204, 'DELETE /blocks/:userId')
  t.equal(await app.prisma.friendship.count({ where: { OR: [{ userId: a.id }, { friendId: a.id }] } }), 0, 'the friendship is gone')
})
