import t from 'tap'
import { randomUUID } from 'node:crypto'
import { listen } from '../../helper.js'
import type { App } from '../../../src/app.js'
import { connect, directPair, makeGroup, makeUser, makeUsers, settle, text, type User } from '../conversations/helpers.js'

async function cursors (app: App, conversationId: string, user: User) {
  return await app.prisma.conversationMember.findUniqueOrThrow({ where: { conversationId_userId: { conversationId, userId: user.id } }, select: { readSeq: true, deliveredSeq: true } })
}

t.test('message:read moves the read cursor forward only and tells the members', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob, carol] = await makeUsers(app, 3)
  const groupId = await makeGroup(app, owner!, [bob!, carol!])
  const so = await connect(t, url, owner!)
  const sb = await connect(t, url, bob!)
  const sbLaptop = await connect(t, url, bob!)
  const sc = await connect(t, url, carol!)
  for (let i = 0; i < 5; i++) await so.call('message:send', { conversationId: groupId, ...text(`m${i}`) })

  const read = await sb.call('message:read', { conversationId: groupId, seq: 3 })
  t.same(read, { ok: true, data: { readSeq: 3 } })
  for (const c of [so, sc, sbLaptop, sb]) {
    const [event] = await c.waitFor('message:read')
    t.same(event, { conversationId: groupId, userId: bob!.id, seq: 3 })
  }
  t.same(await cursors(app, groupId, bob!), { readSeq: 3, deliveredSeq: 3 }, 'read implies delivered')

  const back = await sb.call('message:read', { conversationId: groupId, seq: 1 })
  t.same(back.data, { readSeq: 3 }, 'never moves back')
  const same = await sb.call('message:read', { conversationId: groupId, seq: 3 })
  t.same(same.data, { readSeq: 3 })
  await settle()
  t.equal(so.of('message:read').length, 1, 'no event when the cursor did not move')

  const rest = await app.inject({ method: 'POST', url: `/api/conversations/${groupId}/read`, headers: carol!.auth, payload: { seq: 5 } })
  t.equal(rest.statusCode, 200)
  t.same(rest.json(), { readSeq: 5 })
  await so.waitFor('message:read', 2)
  const list = await app.inject({ method: 'GET', url: `/api/conversations/${groupId}`, headers: bob!.auth })
  t.match(list.json(), { readSeq: 3, unread: 2 })
})

t.test('message:delivered moves the delivered cursor and tells the other members', async (t) => {
  const { app, url } = await listen(t)
  const { a, b, conversationId } = await directPair(app)
  const sa = await connect(t, url, a)
  const sb = await connect(t, url, b)
  for (let i = 0; i < 3; i++) await sa.call('message:send', { conversationId, ...text(`m${i}`) })
  const ack = await sb.call('message:delivered', { conversationId, seq: 2 })
  t.same(ack, { ok: true, data: { deliveredSeq: 2 } })
  const [event] = await sa.waitFor('message:delivered')
  t.same(event, { conversationId, userId: b.id, seq: 2 })
  t.same(await cursors(app, conversationId, b), { readSeq: 0, deliveredSeq: 2 })
  t.same((await sb.call('message:delivered', { conversationId, seq: 1 })).data, { deliveredSeq: 2 })
  await settle()
  t.equal(sa.of('message:delivered').length, 1)
  t.equal(sb.of('message:delivered').length, 0, 'not echoed to the deliverer')
})

t.test('bad cursor moves are refused and change nothing', async (t) => {
  const { app, url } = await listen(t)
  const { a, b, conversationId } = await directPair(app)
  const outsider = await makeUser(app)
  const sa = await connect(t, url, a)
  const sx = await connect(t, url, outsider)
  await sa.call('message:send', { conversationId, ...text('one') })
  for (const event of ['message:read', 'message:delivered']) {
    const cases: Array<[unknown, string]> = [
      ['x', 'VALIDATION'],
      [null, 'VALIDATION'],
      [{ conversationId }, 'VALIDATION'],
      [{ conversationId, seq: -1 }, 'VALIDATION'],
      [{ conversationId, seq: '1' }, 'VALIDATION'],
      [{ conversationId, seq: 1.5 }, 'VALIDATION'],
      [{ conversationId, seq: 2 ** 31 }, 'VALIDATION'],
      [{ conversationId: 'nope', seq: 1 }, 'VALIDATION'],
      [{ conversationId, seq: 1, extra: 1 }, 'VALIDATION'],
      [{ conversationId, seq: 2 }, 'VALIDATION'],
      [{ conversationId, seq: 1_000_000 }, 'VALIDATION'],
      [{ conversationId: randomUUID(), seq: 0 }, 'NOT_FOUND']
    ]
    for (const [payload, code] of cases) {
      const ack = await sa.call(event, payload)
      t.same([ack.ok, ack.error?.code], [false, code], `${event} ${JSON.stringify(payload)}`)
    }
    const foreign = await sx.call(event, { conversationId, seq: 1 })
    t.equal(foreign.error.code, 'NOT_FOUND')
  }
  const beyond = await sa.call('message:read', { conversationId, seq: 2 })
  t.match(beyond.error.message, /beyond the last message/)
  t.same(await cursors(app, conversationId, b), { readSeq: 0, deliveredSeq: 0 })
  t.same(await cursors(app, conversationId, a), { readSeq: 1, deliveredSeq: 1 })
  const rest = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/read`, headers: b.auth, payload: { seq: 5 } })
  t.equal(rest.statusCode, 400)
  t.equal((await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/read`, headers: b.auth, payload: {} })).statusCode, 400)
  t.equal((await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/read`, headers: outsider.auth, payload: { seq: 1 } })).statusCode, 404)
  t.same(await cursors(app, conversationId, b), { readSeq: 0, deliveredSeq: 0 })
  // seq 0 on an empty cursor is a harmless no-op
  t.same((await sa.call('message:read', { conversationId, seq: 0 })).data, { readSeq: 1 })
})

t.test('the sender recalls a message within the window; members are told; history shows it recalled', async (t) => {
  const { app, url } = await listen(t)
  const { a, b, conversationId } = await directPair(app)
  const sa = await connect(t, url, a)
  const sb = await connect(t, url, b)
  const sent = await sa.call('message:send', { conversationId, ...text('oops') })
  const keep = await sa.call('message:send', { conversationId, ...text('fine') })

  const notMine = await sb.call('message:recall', { messageId: sent.data.id })
  t.same(notMine.error?.code, 'FORBIDDEN')
  const ack = await sa.call('message:recall', { messageId: sent.data.id })
  t.same(ack, { ok: true, data: {} })
  for (const c of [sa, sb]) {
    const [event] = await c.waitFor('message:recalled')
    t.same(event, { conversationId, messageId: sent.data.id, seq: 1 })
  }
  const again = await sa.call('message:recall', { messageId: sent.data.id })
  t.same(again, { ok: true, data: {} }, 'recalling twice is harmless')
  await settle()
  t.equal(sb.of('message:recalled').length, 1, 'and tells nobody twice')

  const stored = await app.prisma.message.findUniqueOrThrow({ where: { id: sent.data.id } })
  t.equal(stored.content, null)
  t.ok(stored.recalledAt instanceof Date)
  const history = (await app.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages?after=0`, headers: b.auth })).json()
  t.match(history.messages[0], { id: sent.data.id, seq: 1, content: null, recalled: true, recalledAt: String })
  t.match(history.messages[1], { id: keep.data.id, content: 'fine', recalled: false, recalledAt: null })
  const synced = await sb.call('sync', { cursors: { [conversationId]: 0 } })
  t.match(synced.data.messages[0], { seq: 1, content: null, recalled: true })

  // REST: same service, scoped to the conversation in the path
  const wrongConv = await app.inject({ method: 'DELETE', url: `/api/conversations/${randomUUID()}/messages/${keep.data.id}`, headers: a.auth })
  t.equal(wrongConv.statusCode, 404)
  const restRecall = await app.inject({ method: 'DELETE', url: `/api/conversations/${conversationId}/messages/${keep.data.id}`, headers: a.auth })
  t.equal(restRecall.statusCode, 204)
  await sb.waitFor('message:recalled', 2)
  t.equal((await app.prisma.message.findUniqueOrThrow({ where: { id: keep.data.id } })).content, null)
})

t.test('recall refusals: unknown, foreign, other sender, window passed; nothing changes', async (t) => {
  const { app, url } = await listen(t, { RECALL_WINDOW_S: 60 })
  const { a, b, conversationId } = await directPair(app)
  const outsider = await makeUser(app)
  const sa = await connect(t, url, a)
  const sb = await connect(t, url, b)
  const sx = await connect(t, url, outsider)
  const old = await sa.call('message:send', { conversationId, ...text('old news') })
  await app.prisma.message.update({ where: { id: old.data.id }, data: { createdAt: new Date(Date.now() - 61_000) } })
  const fresh = await sa.call('message:send', { conversationId, ...text('fresh') })

  t.match((await sa.call('message:recall', { messageId: old.data.id })).error, { code: 'FORBIDDEN', message: /within 60 s/ })
  t.equal((await sb.call('message:recall', { messageId: fresh.data.id })).error.code, 'FORBIDDEN')
  t.equal((await sx.call('message:recall', { messageId: fresh.data.id })).error.code, 'NOT_FOUND', 'outsiders learn nothing')
  t.equal((await sa.call('message:recall', { messageId: randomUUID() })).error.code, 'NOT_FOUND')
  for (const payload of ['x', null, {}, { messageId: 'nope' }, { messageId: fresh.data.id, extra: 1 }, { messageId: 7 }]) {
    t.equal((await sa.call('message:recall', payload)).error.code, 'VALIDATION', JSON.stringify(payload))
  }
  const restOther = await app.inject({ method: 'DELETE', url: `/api/conversations/${conversationId}/messages/${fresh.data.id}`, headers: b.auth })
  t.equal(restOther.statusCode, 403)
  await settle()
  t.equal(await app.prisma.message.count({ where: { conversationId, recalledAt: { not: null } } }), 0)
  t.equal(sb.of('message:recalled').length, 0)
})

t.test('events sent without an ack callback are handled or dropped without harm', async (t) => {
  const { app, url } = await listen(t)
  const { a, b, conversationId } = await directPair(app)
  const sa = await connect(t, url, a)
  const sb = await connect(t, url, b)
  const sent = await sa.call('message:send', { conversationId, ...text('one') })
  for (const event of ['message:read', 'message:delivered', 'message:recall', 'sync']) {
    sb.socket.emit(event)
    sb.socket.emit(event, 'garbage')
    sb.socket.emit(event, { conversationId, seq: 99 })
  }
  sb.socket.emit('message:recall', { messageId: sent.data.id })
  sb.socket.emit('message:read', { conversationId, seq: 1 })
  const [read] = await sa.waitFor('message:read')
  t.same(read, { conversationId, userId: b.id, seq: 1 }, 'a well-formed event without ack still works')
  t.same(await cursors(app, conversationId, b), { readSeq: 1, deliveredSeq: 1 })
  t.equal((await app.prisma.message.findUniqueOrThrow({ where: { id: sent.data.id } })).recalledAt, null, "b could not recall a's message")
  t.ok(sb.socket.connected)
  t.same((await sb.call('sync', { cursors: { [conversationId]: 0 } })).data.messages.map((m: any) => m.seq), [1])
})
