import t from 'tap'
import { randomUUID } from 'node:crypto'
import { listen } from '../../helper.js'
import { connect, makeGroup, makeUsers, settle, text, type User } from '../conversations/helpers.js'
import { refused } from '../conversations/refusals.js'

type App = Awaited<ReturnType<typeof listen>>['app']

const history = async (app: App, user: User, id: string) =>
  (await app.inject({ url: `/api/conversations/${id}/messages?after=0`, headers: user.auth })).json().messages as any[]
const systemOf = (messages: any[]) => messages.filter((m) => m.type === 'system').map((m) => m.content)

t.test('membership and profile changes leave system messages with seqs, live to members', async (t) => {
  const { app, url } = await listen(t)
  const [owner, admin, bob, carol] = await makeUsers(app, 4) as [User, User, User, User]
  const g = await makeGroup(app, owner, [admin, bob])
  const sb = await connect(t, url, bob)
  const call = async (method: string, path: string, user: User, payload?: unknown) => {
    const res = await app.inject({ method: method as 'POST', url: `/api${path}`, headers: user.auth, ...(payload === undefined ? {} : { payload: payload as any }) })
    if (res.statusCode >= 300) throw new Error(`${path}: ${res.statusCode} ${res.body}`)
    return res.json()
  }
  await call('PUT', `/groups/${g}/members/${admin.id}/role`, owner, { role: 'admin' })
  await call('POST', `/groups/${g}/members`, admin, { userIds: [carol.id] })
  await call('PATCH', `/groups/${g}`, admin, { name: 'New name', topic: 'Talk here' })
  const sent = await call('POST', `/conversations/${g}/messages`, bob, text('hello'))
  await call('POST', `/conversations/${g}/pins`, owner, { messageId: sent.id })
  await call('DELETE', `/groups/${g}/members/${carol.id}`, admin)
  await call('DELETE', `/groups/${g}/members/me`, bob)
  await call('POST', `/groups/${g}/transfer`, owner, { userId: admin.id })
  await call('DELETE', `/groups/${g}/members/${owner.id}`, owner)

  const messages = await history(app, admin, g)
  t.same(messages.map((m) => m.seq), messages.map((_, i) => i + 1), 'gap-free seqs, system messages included')
  t.same(systemOf(messages), [
    { event: 'role_changed', actorId: owner.id, userIds: [admin.id], role: 'admin' },
    { event: 'member_added', actorId: admin.id, userIds: [carol.id] },
    { event: 'renamed', actorId: admin.id, name: 'New name' },
    { event: 'topic_changed', actorId: admin.id, topic: 'Talk here' },
    { event: 'message_pinned', actorId: owner.id, messageId: sent.id },
    { event: 'member_removed', actorId: admin.id, userIds: [carol.id] },
    { event: 'member_left', actorId: bob.id },
    { event: 'owner_transferred', actorId: owner.id, userIds: [admin.id] },
    { event: 'member_left', actorId: owner.id }
  ])
  const revs = messages.map((m) => m.rev)
  t.equal(new Set(revs).size, revs.length, 'each takes its own rev')
  t.ok(messages.filter((m) => m.type === 'system').every((m) => m.senderId === m.content.actorId && m.clientMsgId.startsWith('system:')), 'sent by the actor, clientMsgId system:…')

  await settle(200)
  const live = sb.of('message:new').filter((m: any) => m.type === 'system').map((m: any) => m.content.event)
  t.same(live, ['role_changed', 'member_added', 'renamed', 'topic_changed', 'message_pinned', 'member_removed'], 'members get them as message:new while members (not the one who left)')
})

t.test('the leaving owner hands over to the oldest admin, else the oldest member, with a system message', async (t) => {
  const { app } = await listen(t)
  const [owner, m1, a1, a2] = await makeUsers(app, 4) as [User, User, User, User]
  const g = await makeGroup(app, owner, [m1, a1, a2])
  for (const a of [a2, a1]) await app.inject({ method: 'PUT', url: `/api/groups/${g}/members/${a.id}/role`, headers: owner.auth, payload: { role: 'admin' } })
  // a1 and a2 joined together; the order of joinedAt then id decides: make a1 clearly older
  await app.prisma.conversationMember.update({ where: { conversationId_userId: { conversationId: g, userId: a1.id } }, data: { joinedAt: new Date(Date.now() - 60_000) } })
  const left = await app.inject({ method: 'DELETE', url: `/api/groups/${g}/members/me`, headers: owner.auth })
  t.equal(left.statusCode, 200)
  t.equal(left.json().ownerId, a1.id, 'the oldest admin, not the oldest member')
  t.same(systemOf(await history(app, a1, g)).slice(-2), [{ event: 'member_left', actorId: owner.id }, { event: 'owner_transferred', actorId: owner.id, userIds: [a1.id] }])

  const [o2, x, y] = await makeUsers(app, 3) as [User, User, User]
  const h = await makeGroup(app, o2, [x, y])
  await app.prisma.conversationMember.update({ where: { conversationId_userId: { conversationId: h, userId: y.id } }, data: { joinedAt: new Date(Date.now() - 60_000) } })
  t.equal((await app.inject({ method: 'DELETE', url: `/api/groups/${h}/members/${o2.id}`, headers: o2.auth })).json().ownerId, y.id, 'no admin: the oldest member')
})

t.test('system messages are never unread, cannot be changed, forwarded or sent by a client', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob, carol] = await makeUsers(app, 3) as [User, User, User]
  const g = await makeGroup(app, owner, [bob])
  const other = await makeGroup(app, bob, [])
  await app.inject({ method: 'POST', url: `/api/groups/${g}/members`, headers: owner.auth, payload: { userIds: [carol.id] } })
  await app.inject({ method: 'PATCH', url: `/api/groups/${g}`, headers: owner.auth, payload: { name: 'renamed' } })
  const list = (await app.inject({ url: '/api/conversations', headers: bob.auth })).json()
  t.match(list.find((c: any) => c.id === g), { lastSeq: 2, unread: 0, unreadMentions: 0, lastMessage: { type: 'system', content: { event: 'renamed' } } }, 'never unread')

  const [sys] = systemOf(await history(app, owner, g)).length > 0 ? (await history(app, owner, g)).filter((m) => m.type === 'system') : []
  const so = await connect(t, url, owner)
  const sb = await connect(t, url, bob)
  await refused(t, app, 'VALIDATION', 'edit (its actor)', async () => await so.call('message:edit', { messageId: sys.id, content: 'x' }))
  await refused(t, app, 'VALIDATION', 'recall (its actor)', async () => await so.call('message:recall', { messageId: sys.id }))
  await refused(t, app, 'VALIDATION', 'recall over REST', async () => await app.inject({ method: 'DELETE', url: `/api/conversations/${g}/messages/${sys.id}`, headers: owner.auth }))
  await refused(t, app, 'VALIDATION', 'react', async () => await sb.call('reaction:add', { messageId: sys.id, emoji: '👍' }))
  await refused(t, app, 'VALIDATION', 'react over REST', async () => await app.inject({ method: 'PUT', url: `/api/conversations/${g}/messages/${sys.id}/reactions/${encodeURIComponent('👍')}`, headers: bob.auth }))
  await refused(t, app, 'VALIDATION', 'pin', async () => await so.call('message:pin', { messageId: sys.id, pinned: true }))
  await refused(t, app, 'VALIDATION', 'forward', async () => await sb.call('message:send', { conversationId: other, clientMsgId: randomUUID(), forwardOf: sys.id }))
  await refused(t, app, 'VALIDATION', 'send type system (socket)', async () => await sb.call('message:send', { conversationId: g, clientMsgId: randomUUID(), type: 'system', content: { event: 'renamed', actorId: owner.id } }))
  await refused(t, app, 'VALIDATION', 'send type system (REST)', async () => await app.inject({ method: 'POST', url: `/api/conversations/${g}/messages`, headers: bob.auth, payload: { clientMsgId: randomUUID(), type: 'system', content: { event: 'renamed' } } }))

  // a reply to one is allowed: it quotes "[system]"
  const reply = await sb.call('message:send', { conversationId: g, ...text('welcome!'), replyTo: sys.id })
  t.equal(reply.ok, true)
  const [last] = (await app.inject({ url: `/api/conversations/${g}/messages?limit=1`, headers: bob.auth })).json().messages
  t.match(last.replyTo, { id: sys.id, type: 'system', preview: '[system]' })
  // delete for me works (it is the member's own view)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/conversations/${g}/messages/${sys.id}?for=me`, headers: bob.auth })).statusCode, 204)
})
