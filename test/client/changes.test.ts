// suite: default only — the SDK's own behaviour; the server paths it drives run on both engines in test/modules
import t, { type Test } from 'tap'
import { ClientError, type Message } from '@relay-im/client'
import type { App } from '../../src/app.js'
import type { TestUser } from '../helper.js'
import { allMessages, clientFor, delay, group, next, registerUser, server, until } from './fixtures.js'

/** Every message:updated a client emits, in order. */
function updates (client: { on: (e: 'message:updated', fn: (m: Message) => void) => unknown }): Message[] {
  const got: Message[] = []
  client.on('message:updated', (m) => got.push(m))
  return got
}

async function post (app: App, user: TestUser, conversationId: string, content: string): Promise<Message> {
  const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: user.auth, payload: { clientMsgId: crypto.randomUUID(), type: 'text', content } })
  if (res.statusCode !== 201) throw new Error(`send failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

/** An edit, a reaction and a recall by `a`, on three messages, through REST (no socket of b's involved). */
async function changeThree (app: App, a: TestUser, conversationId: string, [m1, m2, m3]: Message[]): Promise<void> {
  const base = `/api/conversations/${conversationId}/messages`
  const edit = await app.inject({ method: 'PATCH', url: `${base}/${m1!.id}`, headers: a.auth, payload: { content: 'one (edited)' } })
  const react = await app.inject({ method: 'PUT', url: `${base}/${m2!.id}/reactions/${encodeURIComponent('👍')}`, headers: a.auth })
  const recall = await app.inject({ method: 'DELETE', url: `${base}/${m3!.id}`, headers: a.auth })
  if (edit.statusCode !== 200 || react.statusCode !== 200 || recall.statusCode !== 204) throw new Error(`changes failed: ${edit.body} ${react.body} ${recall.body}`)
}

function checkThree (t: Test, got: Message[], [m1, m2, m3]: Message[], a: TestUser): void {
  const byId = new Map(got.map((m) => [m.id, m]))
  t.equal(got.length, 3, 'three changes, each once')
  t.match(byId.get(m1!.id), { content: 'one (edited)', editedAt: String }, 'the edit')
  t.match(byId.get(m2!.id), { reactions: [{ emoji: '👍', count: 1, userIds: [a.id] }] }, 'the reaction')
  t.match(byId.get(m3!.id), { recalled: true, content: null, recalledAt: String }, 'the recall')
  t.same(got.map((m) => m.rev), [...got.map((m) => m.rev)].sort((x, y) => x - y), 'oldest change first')
}

t.test('live: edit, reactions, pins, replies, mentions and forwards through the SDK', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const conversationId = await group(srv.app, a, [b])
  const other = await group(srv.app, a, [])
  const ca = clientFor(t, srv, a)
  const cb = clientFor(t, srv, b)
  // Every connection ends with a catch-up (synced); the live part starts after it.
  const ready = [next(ca, 'synced'), next(cb, 'synced')]
  await Promise.all([ca.connect(), cb.connect()])
  await Promise.all(ready)
  const seenByB = updates(cb)

  const first = await ca.send({ conversationId, type: 'text', content: 'hello' })
  const edited = await ca.edit(first.id, 'hello!')
  t.match(edited, { id: first.id, content: 'hello!', editedAt: String })
  await until(() => seenByB.length === 1, 5000, 'b sees the edit')
  t.match(seenByB[0], { id: first.id, content: 'hello!', rev: edited.rev })

  t.match(await cb.react(first.id, '🎉'), [{ emoji: '🎉', count: 1, userIds: [b.id] }])
  t.match(await cb.react(first.id, '🎉'), [{ emoji: '🎉', count: 1 }], 'twice is a no-op')
  t.same(await cb.unreact(first.id, '🎉'), [])
  const notEmoji = await cb.react(first.id, 'ok').catch((e: unknown) => e)
  t.ok(notEmoji instanceof ClientError && notEmoji.code === 'VALIDATION', 'plain text is not an emoji')

  const pinned = await ca.pin(first.id)
  t.match(pinned, { pinnedBy: a.id, pinnedAt: String })
  t.same((await cb.pins(conversationId)).map((m) => m.id), [first.id])
  const byMember = await cb.pin(first.id).catch((e: unknown) => e)
  t.ok(byMember instanceof ClientError && byMember.code === 'FORBIDDEN', 'a plain member does not pin in a group')
  t.match(await ca.unpin(first.id), { pinnedAt: null })
  t.same(await cb.pins(conversationId), [])

  const gotNew = next(cb, 'message:new', (m) => m.replyTo !== null)
  const reply = await ca.send({ conversationId, type: 'text', content: 'see above @b', replyTo: first.id, mentions: [b.id] })
  t.match(await gotNew, { id: reply.id, replyTo: { id: first.id, preview: 'hello!', recalled: false }, mentions: [b.id] })
  const list = await cb.conversations()
  t.equal(list.find((c) => c.id === conversationId)?.unreadMentions, 1, 'unreadMentions')

  const fwd = await ca.send({ conversationId: other, forwardOf: first.id })
  const [copy] = await allMessages(srv.app, a, other) as unknown as Message[]
  t.match(copy, { id: fwd.id, type: 'text', content: 'hello!', forwardedFrom: { messageId: first.id, senderId: a.id } })

  const stranger = await registerUser(srv.app)
  const cs = clientFor(t, srv, stranger)
  await cs.connect()
  const foreign = await cs.send({ conversationId: await group(srv.app, stranger, []), type: 'text', content: 'x', replyTo: first.id }).catch((e: unknown) => e)
  t.ok(foreign instanceof ClientError && foreign.code === 'NOT_FOUND', 'a reply to a message the sender cannot see')
})

t.test('delete for me and clear history reach my other devices only', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const conversationId = await group(srv.app, a, [b])
  const [m1, m2] = [await post(srv.app, a, conversationId, 'one'), await post(srv.app, a, conversationId, 'two')]
  const phone = clientFor(t, srv, b)
  const laptop = clientFor(t, srv, b)
  const ca = clientFor(t, srv, a)
  await Promise.all([phone.connect(), laptop.connect(), ca.connect()])
  let aGotSomething = false
  ca.on('message:hidden', () => { aGotSomething = true })
  ca.on('conversation:cleared', () => { aGotSomething = true })

  const hidden = next(laptop, 'message:hidden')
  await phone.deleteForMe(conversationId, m1.id)
  t.same(await hidden, { conversationId, messageId: m1.id })
  t.same((await allMessages(srv.app, b, conversationId)).map((m) => m.seq), [2])
  const again = await phone.deleteForMe(conversationId, m1.id).catch((e: unknown) => e)
  t.ok(again instanceof ClientError && again.code === 'NOT_FOUND', 'a second delete: not visible any more')

  const cleared = next(laptop, 'conversation:cleared')
  await phone.clearHistory(conversationId)
  t.same(await cleared, { conversationId, clearedSeq: m2.seq })
  t.same(await allMessages(srv.app, b, conversationId), [])
  t.equal((await allMessages(srv.app, a, conversationId)).length, 2, 'a still has both')
  await delay(200)
  t.notOk(aGotSomething, 'other members get no event')
})

t.test('an offline client gets message:updated for an edit, a reaction and a recall made meanwhile', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const conversationId = await group(srv.app, a, [b])
  const cb = clientFor(t, srv, b)
  const got: Message[] = []
  cb.on('message:new', (m) => got.push(m))
  await cb.connect()
  const sent = [await post(srv.app, a, conversationId, 'one'), await post(srv.app, a, conversationId, 'two'), await post(srv.app, a, conversationId, 'three')]
  await until(() => got.length === 3, 5000, 'three live messages')
  const revBefore = cb.getRevCursors()[conversationId]
  t.equal(revBefore, sent[2]!.rev, 'the rev position follows live messages')

  cb.disconnect()
  await changeThree(srv.app, a, conversationId, sent)
  const seen = updates(cb)
  const synced = next(cb, 'synced')
  await cb.connect()
  await synced
  checkThree(t, seen, sent, a)
  t.ok(cb.getRevCursors()[conversationId]! >= revBefore! + 3, 'the rev position moved past the changes')

  // Live again: the next change comes as an event, once.
  await srv.app.inject({ method: 'PATCH', url: `/api/conversations/${conversationId}/messages/${sent[0]!.id}`, headers: a.auth, payload: { content: 'again' } })
  await until(() => seen.length === 4, 5000, 'the live edit')
  t.match(seen[3], { id: sent[0]!.id, content: 'again' })
  const reconnected = next(cb, 'synced')
  cb.socket.io.engine.close()
  await reconnected
  await delay(200)
  t.equal(seen.length, 4, 'a reconnect does not repeat changes already seen')
})

t.test('rev positions survive a restart through the persisted cursors', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const conversationId = await group(srv.app, a, [b])
  const first = clientFor(t, srv, b)
  const got: Message[] = []
  first.on('message:new', (m) => got.push(m))
  await first.connect()
  const sent = [await post(srv.app, a, conversationId, 'one'), await post(srv.app, a, conversationId, 'two'), await post(srv.app, a, conversationId, 'three')]
  await until(() => got.length === 3, 5000, 'three live messages')
  const stored = JSON.parse(JSON.stringify({ seqs: first.getCursors(), revs: first.getRevCursors() })) as { seqs: Record<string, number>, revs: Record<string, number> }
  first.close()

  await changeThree(srv.app, a, conversationId, sent)

  const restarted = clientFor(t, srv, b)
  for (const [id, seq] of Object.entries(stored.seqs)) restarted.setCursor(id, seq)
  for (const [id, rev] of Object.entries(stored.revs)) restarted.setRevCursor(id, rev)
  const seen = updates(restarted)
  const synced = next(restarted, 'synced')
  await restarted.connect()
  t.same(await synced, { messages: 0 }, 'no message is new')
  checkThree(t, seen, sent, a)

  // Without the stored revs the same restart learns only the current rev: the changes are lost to it.
  const forgetful = clientFor(t, srv, b)
  for (const [id, seq] of Object.entries(stored.seqs)) forgetful.setCursor(id, seq)
  const none = updates(forgetful)
  const synced2 = next(forgetful, 'synced')
  await forgetful.connect()
  await synced2
  t.same(none, [], 'no rev cursor, no replay')
  t.equal(forgetful.getRevCursors()[conversationId], restarted.getRevCursors()[conversationId], 'it starts from the current rev')
})

t.test('a change lost on its way (gap in revs) is fetched with sync while the socket stays up', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const conversationId = await group(srv.app, a, [b])
  const cb = clientFor(t, srv, b, { gapRepairMs: 300 })
  const got: Message[] = []
  cb.on('message:new', (m) => got.push(m))
  const seen = updates(cb)
  await cb.connect()
  const [m1, m2] = [await post(srv.app, a, conversationId, 'one'), await post(srv.app, a, conversationId, 'two')]
  await until(() => got.length === 2, 5000, 'two live messages')

  // A change committed without its fan-out (a node dying between the commit and the emit).
  await srv.app.sql.query(`WITH c AS (UPDATE conversations SET last_rev = last_rev + 1 WHERE id = $1::uuid RETURNING last_rev)
    UPDATE messages m SET content = '"one (edited while the event was lost)"'::jsonb, edited_at = now(), rev = c.last_rev FROM c WHERE m.id = $2::uuid`, [conversationId, m1.id])
  await srv.app.inject({ method: 'PATCH', url: `/api/conversations/${conversationId}/messages/${m2.id}`, headers: a.auth, payload: { content: 'two (edited)' } })

  await until(() => seen.length === 2, 5000, 'the lost change fetched')
  t.same(seen.map((m) => m.content), ['two (edited)', 'one (edited while the event was lost)'], 'the live change, then the lost one from sync')
  t.ok(cb.socket.connected, 'without a reconnect')
  t.equal(cb.getRevCursors()[conversationId], seen[0]!.rev, 'the rev position moved over the closed gap')
  await delay(700)
  t.equal(seen.length, 2, 'nothing delivered twice')
})
