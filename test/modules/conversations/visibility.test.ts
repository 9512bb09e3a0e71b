import t from 'tap'
import { randomUUID } from 'node:crypto'
import { listen } from '../../helper.js'
import { makeAdmin } from '../admin/helpers.js'
import type { App } from '../../../src/app.js'
import { connect, makeGroup, makeUsers, settle, text, type User } from './helpers.js'

/** A REST send: the whole message back (a socket ack carries only its ids). */
async function post (app: App, u: User, conversationId: string, payload: Record<string, unknown>): Promise<any> {
  const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: u.auth, payload: { clientMsgId: randomUUID(), ...payload } })
  if (res.statusCode !== 201) throw new Error(`send: ${res.statusCode} ${res.body}`)
  return res.json()
}

/**
 * The visibility rule (src/modules/conversations/visibility.ts) on the paths that used to
 * forget part of it: live events after delete-for-me and clear, reply quotes after an edit,
 * and admin removal through forwards.
 */

t.test('a message deleted for me or cleared stays gone live: edits, reactions, pins and removals of it are not sent to me', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob, carol] = await makeUsers(app, 3)
  const admin = await makeAdmin(app)
  const g = await makeGroup(app, owner!, [bob!, carol!])
  const so = await connect(t, url, owner!)
  const sb = await connect(t, url, bob!)
  const sb2 = await connect(t, url, bob!)
  const sc = await connect(t, url, carol!)
  const hidden = (await so.call('message:send', { conversationId: g, ...text('first words') })).data
  const cleared = (await so.call('message:send', { conversationId: g, ...text('older words') })).data
  const kept = (await so.call('message:send', { conversationId: g, ...text('kept') })).data

  t.equal((await app.inject({ method: 'DELETE', url: `/api/conversations/${g}/messages/${hidden.id}?for=me`, headers: bob!.auth })).statusCode, 204)
  t.equal((await app.inject({ method: 'POST', url: `/api/conversations/${g}/clear`, headers: bob!.auth, payload: { uptoSeq: cleared.seq } })).statusCode, 204)

  t.ok((await so.call('message:edit', { messageId: hidden.id, content: 'new words' })).ok)
  t.ok((await sc.call('reaction:add', { messageId: hidden.id, emoji: '👍' })).ok)
  t.ok((await so.call('message:edit', { messageId: cleared.id, content: 'newer words' })).ok)
  t.ok((await so.call('message:pin', { messageId: cleared.id, pinned: true })).ok)
  t.ok((await so.call('message:edit', { messageId: kept.id, content: 'kept, edited' })).ok)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/admin/messages/${hidden.id}`, headers: admin.auth })).statusCode, 204)
  await sc.waitFor('message:recalled')
  await settle()

  for (const [name, s] of [['bob', sb], ['bob\'s second device', sb2]] as const) {
    const ids = s.of('message:updated').map((m: any) => m.id)
    t.same(ids, [kept.id], `${name}: only the message still shown to them`)
    t.notOk(JSON.stringify(s.of('message:updated')).includes('new words'), `${name}: the hidden message's new text never arrives`)
    t.same(s.of('message:recalled'), [], `${name}: nor its removal`)
  }
  const carolSaw = new Set(sc.of('message:updated').map((m: any) => m.id))
  t.ok(carolSaw.has(hidden.id) && carolSaw.has(cleared.id) && carolSaw.has(kept.id), 'the others are told of every change')
  t.equal(sc.of('message:recalled').length, 1)
})

t.test('in a channel too: the room\'s emit leaves out members who deleted or cleared the message', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob, carol] = await makeUsers(app, 3)
  const created = await app.inject({ method: 'POST', url: '/api/channels', headers: owner!.auth, payload: { name: `news-${randomUUID().slice(0, 8)}` } })
  t.equal(created.statusCode, 201, created.body)
  const ch = created.json().id
  for (const u of [bob!, carol!]) t.equal((await app.inject({ method: 'POST', url: `/api/channels/${ch}/join`, headers: u.auth })).statusCode, 200)
  const so = await connect(t, url, owner!)
  const sb = await connect(t, url, bob!)
  const sc = await connect(t, url, carol!)
  const m = (await so.call('message:send', { conversationId: ch, ...text('announcement') })).data
  const later = (await so.call('message:send', { conversationId: ch, ...text('later') })).data
  t.equal((await app.inject({ method: 'DELETE', url: `/api/conversations/${ch}/messages/${m.id}?for=me`, headers: bob!.auth })).statusCode, 204)
  t.equal((await app.inject({ method: 'POST', url: `/api/conversations/${ch}/clear`, headers: carol!.auth, payload: { uptoSeq: later.seq } })).statusCode, 204)
  t.ok((await so.call('message:edit', { messageId: m.id, content: 'announcement, corrected' })).ok)
  t.ok((await so.call('reaction:add', { messageId: later.id, emoji: '🎉' })).ok)
  await so.waitFor('message:updated', 2)
  await settle()
  t.same(sb.of('message:updated').map((x: any) => x.id), [later.id], 'bob: not the message he deleted')
  t.same(sc.of('message:updated'), [], 'carol: nothing she cleared')
})

t.test('a reply\'s quote is read from the quoted message as it is now: an edit shows, the replaced text is never served, a recall leaves no text', async (t) => {
  const { app, url } = await listen(t)
  const [alice, bob] = await makeUsers(app, 2)
  const g = await makeGroup(app, alice!, [bob!])
  const sa = await connect(t, url, alice!)
  const sb = await connect(t, url, bob!)
  const quoted = (await sa.call('message:send', { conversationId: g, ...text('my password is hunter2') })).data
  const reply = await post(app, bob!, g, { ...text('oops'), replyTo: quoted.id })
  t.equal(reply.replyTo.preview, 'my password is hunter2', 'at first, the text as sent')

  t.ok((await sa.call('message:edit', { messageId: quoted.id, content: 'my password is ********' })).ok)
  const page = (await app.inject({ url: `/api/conversations/${g}/messages`, headers: bob!.auth })).json().messages
  const served = page.find((m: any) => m.id === reply.id)
  t.match(served.replyTo, { id: quoted.id, preview: 'my password is ********', recalled: false }, 'history: the current text')
  const synced = (await sb.call('sync', { cursors: { [g]: 0 } })).data.messages.find((m: any) => m.id === reply.id)
  t.equal(synced.replyTo.preview, 'my password is ********', 'sync too')
  const list = (await app.inject({ url: '/api/conversations', headers: bob!.auth })).json().find((c: any) => c.id === g)
  t.equal(list.lastMessage.replyTo.preview, 'my password is ********', 'the list\'s last message too')
  t.ok((await sa.call('message:pin', { messageId: reply.id, pinned: true })).ok)
  const pins = (await app.inject({ url: `/api/conversations/${g}/pins`, headers: bob!.auth })).json()
  t.equal(pins[0].replyTo.preview, 'my password is ********', 'pins too')
  const second = await post(app, bob!, g, { ...text('again'), replyTo: quoted.id })
  t.equal(second.replyTo.preview, 'my password is ********', 'a new reply quotes the current text')
  const stored = await app.prisma.message.findUniqueOrThrow({ where: { id: second.id } })
  t.notOk(JSON.stringify(stored.replyTo).includes('********'), 'the quote\'s text is not copied into the reply')
  const everything = JSON.stringify([page, synced, list, pins, sb.of('message:updated'), sa.of('message:updated')])
  t.notOk(everything.includes('hunter2'), 'the replaced text is in nothing served after the edit')

  t.ok((await sa.call('message:recall', { messageId: quoted.id })).ok)
  const after = (await app.inject({ url: `/api/conversations/${g}/messages`, headers: bob!.auth })).json().messages.find((m: any) => m.id === reply.id)
  t.match(after.replyTo, { id: quoted.id, preview: '', recalled: true }, 'recalled: a placeholder, no text')
})

t.test('an admin\'s removal follows forwards: copies lose text and attachments, leave search, and their members are told', async (t) => {
  const { app, url } = await listen(t)
  const [alice, bob, carol, dave] = await makeUsers(app, 4)
  const admin = await makeAdmin(app)
  const g1 = await makeGroup(app, alice!, [bob!])
  const g2 = await makeGroup(app, bob!, [carol!])
  const g3 = await makeGroup(app, carol!, [dave!])
  const sa = await connect(t, url, alice!)
  const sb = await connect(t, url, bob!)
  const sc = await connect(t, url, carol!)
  const sd = await connect(t, url, dave!)
  const origin = (await sa.call('message:send', { conversationId: g1, ...text('zanzibarquux offensive words') })).data
  const copy = await post(app, bob!, g2, { forwardOf: origin.id })
  const copy2 = await post(app, carol!, g3, { forwardOf: copy.id })
  t.equal(copy2.forwardedFrom.messageId, origin.id, 'a forward of a forward names the origin')
  const search = async (u: typeof alice) => (await app.inject({ url: '/api/search/messages?q=zanzibarquux', headers: u!.auth })).json().map((h: any) => h.message.id)
  t.same(await search(dave), [copy2.id], 'dave finds the copy before')

  const del = await app.inject({ method: 'DELETE', url: `/api/admin/messages/${origin.id}?reason=abuse`, headers: admin.auth })
  t.equal(del.statusCode, 204)
  for (const [u, g, id] of [[bob, g2, copy.id], [dave, g3, copy2.id], [alice, g1, origin.id]] as const) {
    const m = (await app.inject({ url: `/api/conversations/${g}/messages`, headers: u!.auth })).json().messages.find((x: any) => x.id === id)
    t.match(m, { content: null, recalled: true }, `${u!.username}: erased`)
  }
  for (const u of [alice, bob, carol, dave]) t.same(await search(u), [], 'nobody finds it any more')
  const [updated] = await sd.waitFor('message:updated')
  t.match(updated, { id: copy2.id, content: null }, 'the copy\'s members are told live')
  await sc.waitFor('message:recalled')
  const audit = await app.prisma.auditLog.findFirstOrThrow({ where: { action: 'message.remove', targetId: origin.id } })
  t.same((audit.details as any).forwardedCopies.sort(), [copy.id, copy2.id].sort(), 'the audit entry names the copies')
  const again = await app.inject({ method: 'DELETE', url: `/api/admin/messages/${origin.id}`, headers: admin.auth })
  t.equal(again.statusCode, 204, 'again: nothing to do')
  t.equal(await app.prisma.auditLog.count({ where: { action: 'message.remove', targetId: origin.id } }), 1)
  t.ok(sb, 'bob connected throughout')
})
