import t from 'tap'
import { randomUUID } from 'node:crypto'
import { listen } from '../../helper.js'
import { connect, makeGroup, makeUsers, text } from '../conversations/helpers.js'
import { refused } from '../conversations/refusals.js'

t.test('delete for me and clear history: only for the caller; history, sync, unread, the list respect it', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob] = await makeUsers(app, 2)
  const conversationId = await makeGroup(app, owner!, [bob!])
  const so = await connect(t, url, owner!)
  const sb = await connect(t, url, bob!)
  const ids: string[] = []
  for (let i = 1; i <= 5; i++) ids.push((await so.call('message:send', { conversationId, ...text(`m${i}`), ...(i === 5 ? { mentions: [bob!.id] } : {}) })).data.id)
  const listOf = async (u: typeof owner) => (await app.inject({ url: '/api/conversations', headers: u!.auth })).json().find((c: any) => c.id === conversationId)
  t.match(await listOf(bob), { unread: 5, unreadMentions: 1, lastMessage: { seq: 5 } })

  const del = await app.inject({ method: 'DELETE', url: `/api/conversations/${conversationId}/messages/${ids[4]}?for=me`, headers: bob!.auth })
  t.equal(del.statusCode, 204)
  const [hidden] = await sb.waitFor('message:hidden')
  t.same(hidden, { conversationId, messageId: ids[4] }, 'the caller\'s other devices learn it')
  t.notOk(so.of('message:hidden').length, 'nobody else does')
  const seqs = async (u: typeof owner) => (await app.inject({ url: `/api/conversations/${conversationId}/messages`, headers: u!.auth })).json().messages.map((m: any) => m.seq)
  t.same(await seqs(bob), [4, 3, 2, 1])
  t.same(await seqs(owner), [5, 4, 3, 2, 1], 'invisible to others')
  t.match(await listOf(bob), { unread: 4, unreadMentions: 0, lastMessage: { seq: 4 } }, 'counts as read; the list shows the last visible message')
  t.match(await listOf(owner), { lastMessage: { seq: 5 } })

  const clear = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/clear`, headers: bob!.auth, payload: { uptoSeq: 2 } })
  t.equal(clear.statusCode, 204)
  t.same(await seqs(bob), [4, 3])
  t.match(await listOf(bob), { unread: 2 })
  const synced = await sb.call('sync', { cursors: { [conversationId]: 0 }, revs: { [conversationId]: 0 } })
  t.same(synced.data.messages.map((m: any) => m.seq), [3, 4])
  t.same(synced.data.updated, [], 'nothing at or below cursor 0')
  const synced2 = await sb.call('sync', { cursors: { [conversationId]: 5 }, revs: { [conversationId]: 0 } })
  t.same(synced2.data.updated.map((m: any) => m.seq), [3, 4], 'hidden and cleared messages never come back through sync')

  const all = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/clear`, headers: bob!.auth })
  t.equal(all.statusCode, 204, 'no body: everything so far')
  t.same(await seqs(bob), [])
  t.match(await listOf(bob), { unread: 0, lastMessage: null })
  t.same(await seqs(owner), [5, 4, 3, 2, 1])
  const lower = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/clear`, headers: bob!.auth, payload: { uptoSeq: 1 } })
  t.equal(lower.statusCode, 204, 'the cleared mark only moves forward')
  t.same(await seqs(bob), [])
  await so.call('message:send', { conversationId, ...text('m6') })
  t.same(await seqs(bob), [6], 'new messages show again')
})

t.test('delete for me and clear: refusals have their codes and write nothing', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob, stranger] = await makeUsers(app, 3)
  const conversationId = await makeGroup(app, owner!, [bob!])
  const other = await makeGroup(app, owner!, [])
  const so = await connect(t, url, owner!)
  const m = (await so.call('message:send', { conversationId, ...text('x') })).data
  const elsewhere = (await so.call('message:send', { conversationId: other, ...text('y') })).data
  await app.inject({ method: 'DELETE', url: `/api/conversations/${conversationId}/messages/${m.id}?for=me`, headers: bob!.auth })
  const del = (u: typeof owner, conv: string, id: string, q = '?for=me') => async () => await app.inject({ method: 'DELETE', url: `/api/conversations/${conv}/messages/${id}${q}`, headers: u!.auth })
  await refused(t, app, 'NOT_FOUND', 'a message already deleted for me', del(bob, conversationId, m.id))
  await refused(t, app, 'NOT_FOUND', 'a non-member', del(stranger, conversationId, m.id))
  await refused(t, app, 'NOT_FOUND', 'a message of another conversation', del(owner, conversationId, elsewhere.id))
  await refused(t, app, 'NOT_FOUND', 'an unknown message', del(owner, conversationId, randomUUID()))
  await refused(t, app, 'VALIDATION', 'for=everyone is not a thing', del(owner, conversationId, m.id, '?for=everyone'))
  const clear = (u: typeof owner, conv: string, payload: unknown) => async () => await app.inject({ method: 'POST', url: `/api/conversations/${conv}/clear`, headers: u!.auth, payload: payload as any })
  await refused(t, app, 'NOT_FOUND', 'clear: a non-member', clear(stranger, conversationId, {}))
  await refused(t, app, 'VALIDATION', 'clear: beyond the last message', clear(owner, conversationId, { uptoSeq: 2 }))
  await refused(t, app, 'VALIDATION', 'clear: not a number', clear(owner, conversationId, { uptoSeq: 'x' }))
  await refused(t, app, 'VALIDATION', 'clear: extra field', clear(owner, conversationId, { all: true }))
})
