import t from 'tap'
import { listen } from '../../helper.js'
import { connect, directPair, makeGroup, makeUsers, text } from '../conversations/helpers.js'
import { refused } from '../conversations/refusals.js'

t.test('edit: the sender edits text and custom messages; REST and socket; earlier versions are kept, never served', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob] = await makeUsers(app, 2)
  const conversationId = await makeGroup(app, owner!, [bob!])
  const so = await connect(t, url, owner!)
  const sent = (await so.call('message:send', { conversationId, ...text('first') })).data
  const edited = await so.call('message:edit', { messageId: sent.id, content: 'second' })
  t.equal(edited.ok, true)
  const rest = await app.inject({ method: 'PATCH', url: `/api/conversations/${conversationId}/messages/${sent.id}`, headers: owner!.auth, payload: { content: 'third' } })
  t.equal(rest.statusCode, 200)
  t.match(rest.json(), { id: sent.id, content: 'third', rev: 3 })
  t.type(rest.json().editedAt, 'string')
  const history = await app.prisma.messageEdit.findMany({ where: { messageId: sent.id }, orderBy: { rev: 'asc' } })
  t.same(history.map((h) => [h.content, h.rev]), [['first', 1], ['second', 2]], 'earlier versions kept with their revs')
  const page = await app.inject({ url: `/api/conversations/${conversationId}/messages`, headers: bob!.auth })
  t.equal(page.json().messages[0].content, 'third')
  t.notOk(page.body.includes('second'), 'earlier versions are never served')

  const custom = (await so.call('message:send', { conversationId, clientMsgId: 'c1', type: 'custom', content: { a: 1 } })).data
  const c2 = await so.call('message:edit', { messageId: custom.id, content: { a: 2 } })
  t.same(c2.data.content, { a: 2 })
})

t.test('edit: every refusal has its code and writes nothing', async (t) => {
  const { app, url } = await listen(t, { RECALL_WINDOW_S: 3600 })
  const [owner, bob, stranger] = await makeUsers(app, 3)
  const conversationId = await makeGroup(app, owner!, [bob!])
  const so = await connect(t, url, owner!)
  const sb = await connect(t, url, bob!)
  const ss = await connect(t, url, stranger!)
  const mine = (await so.call('message:send', { conversationId, ...text('mine') })).data
  const image = (await so.call('message:send', { conversationId, clientMsgId: 'img', type: 'image', content: { url: '/x.png', name: 'x.png', size: 1, mime: 'image/png' } })).data
  const gone = (await so.call('message:send', { conversationId, ...text('gone') })).data
  await so.call('message:recall', { messageId: gone.id })
  const old = (await so.call('message:send', { conversationId, ...text('old') })).data
  await app.prisma.message.update({ where: { id: old.id }, data: { createdAt: new Date(Date.now() - 172_801_000) } })
  const { a, conversationId: other } = await directPair(app)

  await refused(t, app, 'FORBIDDEN', 'another user\'s message', async () => await sb.call('message:edit', { messageId: mine.id, content: 'x' }))
  await refused(t, app, 'NOT_FOUND', 'a non-member', async () => await ss.call('message:edit', { messageId: mine.id, content: 'x' }))
  await refused(t, app, 'VALIDATION', 'an image', async () => await so.call('message:edit', { messageId: image.id, content: 'x' }))
  await refused(t, app, 'CONFLICT', 'a recalled message', async () => await so.call('message:edit', { messageId: gone.id, content: 'x' }))
  await refused(t, app, 'FORBIDDEN', 'after EDIT_WINDOW_S', async () => await so.call('message:edit', { messageId: old.id, content: 'x' }))
  await refused(t, app, 'VALIDATION', 'empty text', async () => await so.call('message:edit', { messageId: mine.id, content: '' }))
  await refused(t, app, 'VALIDATION', 'text content for a text message must be a string', async () => await so.call('message:edit', { messageId: mine.id, content: { a: 1 } }))
  await refused(t, app, 'VALIDATION', 'too long', async () => await so.call('message:edit', { messageId: mine.id, content: 'x'.repeat(4001) }))
  await refused(t, app, 'VALIDATION', 'missing content', async () => await so.call('message:edit', { messageId: mine.id }))
  await refused(t, app, 'VALIDATION', 'extra field', async () => await so.call('message:edit', { messageId: mine.id, content: 'x', extra: 1 }))
  await refused(t, app, 'VALIDATION', 'bad id', async () => await so.call('message:edit', { messageId: 'nope', content: 'x' }))
  await refused(t, app, 'NOT_FOUND', 'REST: the message is in another conversation', async () => await app.inject({ method: 'PATCH', url: `/api/conversations/${other}/messages/${mine.id}`, headers: a.auth, payload: { content: 'x' } }))
  await refused(t, app, 'NOT_FOUND', 'REST: the path names a conversation the message is not in', async () => await app.inject({ method: 'PATCH', url: `/api/conversations/${other}/messages/${mine.id}`, headers: owner!.auth, payload: { content: 'x' } }))
  await refused(t, app, 'FORBIDDEN', 'REST: another user', async () => await app.inject({ method: 'PATCH', url: `/api/conversations/${conversationId}/messages/${mine.id}`, headers: bob!.auth, payload: { content: 'x' } }))
})
