import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build } from '../../helper.js'
import { directPair, makeGroup, makeUsers, text } from './helpers.js'
import { conversationsDeps } from '../../../src/modules/conversations/routes.js'
import { createConversationsService } from '../../../src/modules/conversations/service.js'

/*
 * History pages are built as JSON by PostgreSQL (MESSAGE_ROW_JSON in rows.ts), everything
 * else serves toMessage() objects through the response schema. The two must say the same
 * thing about every kind of message: plain, edited, recalled, a reply (to a live and to a
 * recalled message), with mentions, reactions, forwarded, pinned, other content types.
 */
t.test('a history page built by PostgreSQL equals the same page from toMessage()', async (t) => {
  const app = await build(t)
  const { a, b, conversationId } = await directPair(app)
  const url = `/api/conversations/${conversationId}/messages`
  const send = async (payload: Record<string, unknown>, user = a): Promise<any> => {
    const res = await app.inject({ method: 'POST', url, headers: user.auth, payload: { clientMsgId: randomUUID(), ...payload } })
    if (res.statusCode !== 201) throw new Error(res.body)
    return res.json()
  }
  const plain = await send(text('plain "quoted" \\ \u00e9 \u{1F600} line\nbreak'))
  const edited = await send(text('before edit'))
  t.equal((await app.inject({ method: 'PATCH', url: `${url}/${edited.id as string}`, headers: a.auth, payload: { content: 'after edit' } })).statusCode, 200)
  const recalled = await send(text('to recall'))
  await send({ ...text('reply to live'), replyTo: plain.id })
  await send({ ...text('reply to recalled'), replyTo: recalled.id }, b)
  t.equal((await app.inject({ method: 'DELETE', url: `${url}/${recalled.id as string}`, headers: a.auth })).statusCode, 204)
  const reacted = await send(text('reacted'))
  for (const [user, emoji] of [[a, '👍'], [b, '👍'], [b, '🎉']] as const) {
    t.equal((await app.inject({ method: 'PUT', url: `${url}/${reacted.id as string}/reactions/${encodeURIComponent(emoji)}`, headers: user.auth })).statusCode, 200)
  }
  const pinned = await send({ type: 'custom', content: { kind: 'poll', options: [1, 2], nested: { x: null } } })
  t.equal((await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/pins`, headers: a.auth, payload: { messageId: pinned.id } })).statusCode, 200)
  // a group for mentions and a forward out of it
  const [c] = await makeUsers(app, 1)
  const groupId = await makeGroup(app, a, [b, c!])
  const inGroup = await app.inject({ method: 'POST', url: `/api/conversations/${groupId}/messages`, headers: a.auth, payload: { ...text('hi @all'), mentions: ['all'] } })
  t.equal(inGroup.statusCode, 201)
  await send({ forwardOf: inGroup.json().id })

  // the service the routes use, on the same app (the real database, realtime and friends)
  const { messages } = createConversationsService(conversationsDeps(app))
  for (const opts of [{ limit: 50 }, { limit: 3 }, { before: 5, limit: 2 }, { after: 0, limit: 4 }, { after: 2, limit: 50 }]) {
    for (const user of [a, b]) {
      const objects = await messages.history(user.id, conversationId, opts)
      const json = await messages.historyJson(user.id, conversationId, opts)
      t.ok(json !== undefined, `page ${JSON.stringify(opts)} is not empty`)
      t.same(JSON.parse(json!), JSON.parse(JSON.stringify(objects)), `same page ${JSON.stringify(opts)}`)
    }
  }
  // and through HTTP: the route serves the PostgreSQL JSON
  const res = await app.inject({ method: 'GET', url: `${url}?limit=50`, headers: b.auth })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  const page = res.json()
  t.equal(page.hasMore, false)
  const byText = new Map<string, any>(page.messages.map((m: any) => [typeof m.content === 'string' ? m.content : m.id, m]))
  t.match(byText.get('reply to recalled'), { replyTo: { id: recalled.id, preview: '', recalled: true } })
  t.match(byText.get('reply to live'), { replyTo: { id: plain.id, recalled: false } })
  t.match(byText.get('after edit'), { editedAt: String, rev: Number })
  t.same(byText.get('reacted').reactions.map((r: any) => [r.emoji, r.count]), [['👍', 2], ['🎉', 1]])
  t.match(page.messages.find((m: any) => m.id === recalled.id), { recalled: true, content: null, recalledAt: String })
  t.match(page.messages.find((m: any) => m.id === pinned.id), { pinnedAt: String, pinnedBy: a.id, content: { kind: 'poll' } })
  t.match(page.messages[0], { forwardedFrom: { messageId: inGroup.json().id, senderId: a.id } })
  t.equal(new Date(page.messages[0].createdAt).toISOString(), page.messages[0].createdAt)
})

t.test('an empty page and an outsider still get the answers history() gives', async (t) => {
  const app = await build(t)
  const { a, conversationId } = await directPair(app)
  const [outsider] = await makeUsers(app, 1)
  t.equal(await createConversationsService(conversationsDeps(app)).messages.historyJson(a.id, conversationId, {}), undefined)
  const empty = await app.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages`, headers: a.auth })
  t.same(empty.json(), { messages: [], hasMore: false })
  const res = await app.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages`, headers: outsider!.auth })
  t.equal(res.statusCode, 404)
})
