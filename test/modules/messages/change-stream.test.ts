import t from 'tap'
import { randomUUID } from 'node:crypto'
import { listen } from '../../helper.js'
import { connect, directPair, makeGroup, makeUsers, settle, text } from '../conversations/helpers.js'

t.test('every creation and change takes the next rev; message:updated carries the whole message to every device, the actor\'s other ones too', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob] = await makeUsers(app, 2)
  const conversationId = await makeGroup(app, owner!, [bob!])
  const phone = await connect(t, url, owner!)
  const laptop = await connect(t, url, owner!)
  const bobSocket = await connect(t, url, bob!)

  const first = await phone.call('message:send', { conversationId, ...text('one') })
  await phone.call('message:send', { conversationId, ...text('two') })
  const [event] = await bobSocket.waitFor('message:new')
  t.equal(event.rev, 1, 'a new message carries its rev')
  const conv = await app.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId } })
  t.equal(conv.lastRev, 2, 'the conversation rev moved with each send')

  const edit = await phone.call('message:edit', { messageId: first.data.id, content: 'one, edited' })
  t.equal(edit.ok, true, JSON.stringify(edit))
  t.equal(edit.data.rev, 3)
  t.equal(edit.data.content, 'one, edited')
  t.type(edit.data.editedAt, 'string')
  for (const c of [phone, laptop, bobSocket]) {
    const [updated] = await c.waitFor('message:updated')
    t.same(updated, edit.data, 'the whole current message, the same to every device')
  }
  t.match(edit.data, { id: first.data.id, seq: 1, senderId: owner!.id, sender: { id: owner!.id }, clientMsgId: first.data.clientMsgId, type: 'text', recalled: false, recalledAt: null, replyTo: null, mentions: [], reactions: [], forwardedFrom: null, pinnedAt: null, pinnedBy: null })

  const react = await bobSocket.call('reaction:add', { messageId: first.data.id, emoji: '👍' })
  t.same(react.data, { reactions: [{ emoji: '👍', count: 1, userIds: [bob!.id] }] })
  await laptop.waitFor('message:updated', 2)
  t.equal(laptop.of('message:updated')[1].rev, 4)

  const recall = await phone.call('message:recall', { messageId: first.data.id })
  t.equal(recall.ok, true)
  const [recalled] = await bobSocket.waitFor('message:recalled')
  t.same(recalled, { conversationId, messageId: first.data.id, seq: 1 }, 'v1 clients still get message:recalled')
  const updates = await bobSocket.waitFor('message:updated', 3)
  t.match(updates[2], { id: first.data.id, rev: 5, recalled: true, content: null })
  t.type(updates[2].recalledAt, 'string')
  const again = await phone.call('message:recall', { messageId: first.data.id })
  t.equal(again.ok, true)
  await settle()
  t.equal(bobSocket.of('message:updated').length, 3, 'recalling twice changes nothing and tells nobody')
  t.equal((await app.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId } })).lastRev, 5)
})

t.test('sync with revs: a device that was offline during an edit, a reaction and a recall learns all three, paged', async (t) => {
  const { app, url } = await listen(t)
  const { a, b, conversationId } = await directPair(app)
  const sa = await connect(t, url, a)
  const ids: string[] = []
  for (let i = 1; i <= 4; i++) ids.push((await sa.call('message:send', { conversationId, ...text(`m${i}`) })).data.id)
  const sb = await connect(t, url, b)
  // b's device has seen seq 1-4 and rev 4, then goes offline
  const start = await sb.call('sync', { cursors: { [conversationId]: 4 }, revs: { [conversationId]: 0 } })
  t.same(start.data.revs, { [conversationId]: 4 })
  t.same(start.data.updated.map((m: any) => m.seq), [1, 2, 3, 4], 'creations are changes too')
  sb.socket.disconnect()

  t.equal((await sa.call('message:edit', { messageId: ids[0], content: 'm1 edited' })).ok, true)
  t.equal((await sa.call('reaction:add', { messageId: ids[1], emoji: '🎉' })).ok, true)
  t.equal((await sa.call('message:recall', { messageId: ids[2] })).ok, true)
  t.equal((await sa.call('message:send', { conversationId, ...text('m5') })).ok, true)

  const sb2 = await connect(t, url, b)
  const res = await sb2.call('sync', { cursors: { [conversationId]: 4 }, revs: { [conversationId]: 4 } })
  t.equal(res.ok, true)
  t.same(res.data.messages.map((m: any) => m.seq), [5], 'new messages by seq as before')
  t.same(res.data.updated.map((m: any) => [m.seq, m.rev]), [[1, 5], [2, 6], [3, 7]], 'changes at or below the cursor, oldest change first')
  t.equal(res.data.updated[0].content, 'm1 edited')
  t.same(res.data.updated[1].reactions, [{ emoji: '🎉', count: 1, userIds: [a.id] }])
  t.match(res.data.updated[2], { recalled: true, content: null })
  t.same(res.data.revs, { [conversationId]: 8 })
  t.equal(res.data.hasMore, false)

  const paged = await sb2.call('sync', { cursors: { [conversationId]: 5 }, revs: { [conversationId]: 4 }, limit: 2 })
  t.same(paged.data.updated.map((m: any) => m.rev), [5, 6])
  t.equal(paged.data.hasMore, true)
  t.same(paged.data.revs, { [conversationId]: 6 }, 'cut short: complete only up to the last change returned')
  const rest = await sb2.call('sync', { cursors: { [conversationId]: 5 }, revs: paged.data.revs, limit: 2 })
  t.same(rest.data.updated.map((m: any) => m.rev), [7, 8])
  t.equal(rest.data.hasMore, false)
  t.same(rest.data.revs, { [conversationId]: 8 })

  const none = await sb2.call('sync', { cursors: { [conversationId]: 5 }, revs: { [conversationId]: 8 } })
  t.same([none.data.messages, none.data.updated, none.data.revs], [[], [], { [conversationId]: 8 }])
  const foreign = await sb2.call('sync', { cursors: {}, revs: { [randomUUID()]: 0 } })
  t.same(foreign.data, { messages: [], updated: [], revs: {}, hasMore: false }, 'conversations the caller is not in are skipped')
  for (const bad of [{ cursors: {}, revs: { x: 1 } }, { cursors: {}, revs: { [conversationId]: -1 } }, { cursors: {}, revs: [] }]) {
    const r = await sb2.call('sync', bad)
    t.same([r.ok, r.error?.code], [false, 'VALIDATION'], JSON.stringify(bad))
  }
})
