import t from 'tap'
import { randomUUID } from 'node:crypto'
import { listen } from '../../helper.js'
import { connect, directPair, makeGroup, makeUsers, text } from '../conversations/helpers.js'
import { refused } from '../conversations/refusals.js'

t.test('reply: the message carries a snapshot; a reply to a message recalled later shows it recalled', async (t) => {
  const { app, url } = await listen(t, { RECALL_WINDOW_S: 3600 })
  const [owner, bob] = await makeUsers(app, 2)
  const conversationId = await makeGroup(app, owner!, [bob!])
  const so = await connect(t, url, owner!)
  const sb = await connect(t, url, bob!)
  const long = 'é'.repeat(150)
  const q = (await so.call('message:send', { conversationId, ...text(long) })).data
  const img = (await so.call('message:send', { conversationId, clientMsgId: randomUUID(), type: 'image', content: { url: '/a.png', name: 'a.png', size: 1, mime: 'image/png' } })).data
  const r1 = await sb.call('message:send', { conversationId, ...text('answer'), replyTo: q.id })
  t.equal(r1.ok, true)
  const event = (await sb.waitFor('message:new', 3))[2]
  t.same(event.replyTo, { id: q.id, seq: 1, senderId: owner!.id, type: 'text', preview: 'é'.repeat(99) + '…', recalled: false }, 'text: 100 characters, the last … when cut')
  const r2 = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: bob!.auth, payload: { ...text('nice pic'), replyTo: img.id } })
  t.equal(r2.statusCode, 201)
  t.equal(r2.json().replyTo.preview, '[image]')
  const doc = (await so.call('message:send', { conversationId, clientMsgId: randomUUID(), type: 'file', content: { url: '/a.pdf', name: 'plan.pdf', size: 1, mime: 'application/pdf' } })).data
  const r3 = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: bob!.auth, payload: { ...text('read it'), replyTo: doc.id } })
  t.equal(r3.json().replyTo.preview, '[file] plan.pdf', 'a file: its name')
  const history = (await app.inject({ url: `/api/conversations/${conversationId}/messages`, headers: bob!.auth })).json().messages
  t.same(history.filter((m: any) => m.replyTo !== null).sort((a: any, b: any) => a.seq - b.seq).map((m: any) => m.replyTo.preview), ['é'.repeat(99) + '…', '[image]', '[file] plan.pdf'],
    'served from the stored quote the same as at send')

  await so.call('message:recall', { messageId: q.id })
  const page = (await app.inject({ url: `/api/conversations/${conversationId}/messages`, headers: bob!.auth })).json().messages
  const reply = page.find((m: any) => m.id === r1.data.id)
  t.same(reply.replyTo, { id: q.id, seq: 1, senderId: owner!.id, type: 'text', preview: '', recalled: true }, 'recalled, without its text')
})

t.test('reply and forward: refusals have their codes and write nothing', async (t) => {
  const { app, url } = await listen(t, { RECALL_WINDOW_S: 3600 })
  const [owner, bob, stranger] = await makeUsers(app, 3)
  const group = await makeGroup(app, owner!, [bob!])
  const other = await makeGroup(app, owner!, [])
  const foreign = await makeGroup(app, stranger!, [])
  const so = await connect(t, url, owner!)
  const sb = await connect(t, url, bob!)
  const ss = await connect(t, url, stranger!)
  const inOther = (await so.call('message:send', { conversationId: other, ...text('elsewhere') })).data
  const secret = (await ss.call('message:send', { conversationId: foreign, ...text('secret') })).data
  const gone = (await so.call('message:send', { conversationId: group, ...text('gone') })).data
  await so.call('message:recall', { messageId: gone.id })
  const ok = (await so.call('message:send', { conversationId: group, ...text('ok') })).data

  await refused(t, app, 'NOT_FOUND', 'reply to an invisible message', async () => await sb.call('message:send', { conversationId: group, ...text('x'), replyTo: secret.id }))
  await refused(t, app, 'NOT_FOUND', 'reply to an unknown message', async () => await sb.call('message:send', { conversationId: group, ...text('x'), replyTo: randomUUID() }))
  await refused(t, app, 'VALIDATION', 'reply to a message of another conversation', async () => await so.call('message:send', { conversationId: group, ...text('x'), replyTo: inOther.id }))
  await refused(t, app, 'NOT_FOUND', 'forward an invisible message', async () => await sb.call('message:send', { conversationId: group, clientMsgId: randomUUID(), forwardOf: secret.id }))
  await refused(t, app, 'CONFLICT', 'forward a recalled message', async () => await sb.call('message:send', { conversationId: group, clientMsgId: randomUUID(), forwardOf: gone.id }))
  await refused(t, app, 'VALIDATION', 'forward with content', async () => await sb.call('message:send', { conversationId: group, ...text('x'), forwardOf: ok.id }))
  await refused(t, app, 'VALIDATION', 'no type and content and no forwardOf', async () => await sb.call('message:send', { conversationId: group, clientMsgId: randomUUID() }))
  await refused(t, app, 'VALIDATION', 'REST: forward with a type', async () => await app.inject({ method: 'POST', url: `/api/conversations/${group}/messages`, headers: bob!.auth, payload: { clientMsgId: randomUUID(), type: 'text', forwardOf: ok.id } }))

  const fwd = await so.call('message:send', { conversationId: other, clientMsgId: randomUUID(), forwardOf: ok.id })
  t.equal(fwd.ok, true)
  const stored = await app.prisma.message.findUniqueOrThrow({ where: { id: fwd.data.id } })
  t.same([stored.type, stored.content, stored.forwardedFrom], ['text', 'ok', { messageId: ok.id, senderId: owner!.id, senderName: owner!.username }])
  const repeat = await so.call('message:send', { conversationId: other, clientMsgId: fwd.data.clientMsgId, forwardOf: ok.id })
  t.same(repeat, fwd, 'a repeated forward returns the original')
})

t.test('mentions: members only, "all" only by owner or admins; unreadMentions in the list', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob, carol, stranger] = await makeUsers(app, 4)
  const group = await makeGroup(app, owner!, [bob!, carol!])
  const so = await connect(t, url, owner!)
  const sb = await connect(t, url, bob!)
  await refused(t, app, 'VALIDATION', 'a non-member', async () => await sb.call('message:send', { conversationId: group, ...text('hey'), mentions: [stranger!.id] }))
  await refused(t, app, 'FORBIDDEN', '"all" by a plain member', async () => await sb.call('message:send', { conversationId: group, ...text('hey'), mentions: ['all'] }))
  await refused(t, app, 'VALIDATION', '"all" with ids', async () => await so.call('message:send', { conversationId: group, ...text('hey'), mentions: ['all', bob!.id] }))
  await refused(t, app, 'VALIDATION', 'not an id', async () => await so.call('message:send', { conversationId: group, ...text('hey'), mentions: ['bob'] }))
  await refused(t, app, 'VALIDATION', 'duplicates', async () => await so.call('message:send', { conversationId: group, ...text('hey'), mentions: [bob!.id, bob!.id] }))
  const { a, b, conversationId: direct } = await directPair(app)
  await refused(t, app, 'FORBIDDEN', '"all" in a direct conversation', async () => await app.inject({ method: 'POST', url: `/api/conversations/${direct}/messages`, headers: a.auth, payload: { ...text('x'), mentions: ['all'] } }))
  t.equal((await app.inject({ method: 'POST', url: `/api/conversations/${direct}/messages`, headers: a.auth, payload: { ...text('x'), mentions: [b.id] } })).statusCode, 201)

  const m1 = await sb.call('message:send', { conversationId: group, ...text('@carol'), mentions: [carol!.id] })
  t.equal(m1.ok, true)
  await so.call('message:send', { conversationId: group, ...text('@all'), mentions: ['all'] })
  await so.call('message:send', { conversationId: group, ...text('plain') })
  const events = await sb.waitFor('message:new', 3)
  t.same(events[0].mentions, [carol!.id])
  t.same(events[1].mentions, ['all'])
  const listOf = async (u: typeof owner) => (await app.inject({ url: '/api/conversations', headers: u!.auth })).json().find((c: any) => c.id === group)
  t.match(await listOf(carol), { unread: 3, unreadMentions: 2 })
  t.match(await listOf(bob), { unread: 2, unreadMentions: 1 }, 'own messages never count')
  t.match(await listOf(owner), { unread: 0, unreadMentions: 0 }, 'sending moved the owner\'s read cursor past bob\'s message')
  await app.inject({ method: 'POST', url: `/api/conversations/${group}/read`, headers: carol!.auth, payload: { seq: 2 } })
  t.match(await listOf(carol), { unread: 1, unreadMentions: 0 })
})
