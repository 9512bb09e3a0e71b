import t from 'tap'
import { randomUUID } from 'node:crypto'
import { listen } from '../../helper.js'
import { befriend, block, connect, directPair, lastSeq, makeGroup, makeUser, makeUsers, messageCount, settle, text } from '../conversations/helpers.js'

t.test('message:send stores the message with the next seq, acks, and fans out message:new to every member device', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob, carol] = await makeUsers(app, 3)
  const conversationId = await makeGroup(app, owner!, [bob!, carol!])
  const ownerPhone = await connect(t, url, owner!)
  const ownerLaptop = await connect(t, url, owner!)
  const bobSocket = await connect(t, url, bob!)
  const carolSocket = await connect(t, url, carol!)

  const clientMsgId = randomUUID()
  const ack = await ownerPhone.call('message:send', { conversationId, clientMsgId, type: 'text', content: 'hello' })
  t.equal(ack.ok, true)
  t.match(ack.data, { conversationId, seq: 1, clientMsgId, id: String, createdAt: String })
  t.same(Object.keys(ack.data).sort(), ['clientMsgId', 'conversationId', 'createdAt', 'id', 'seq'])
  t.ok(!Number.isNaN(Date.parse(ack.data.createdAt)))

  for (const c of [ownerPhone, ownerLaptop, bobSocket, carolSocket]) {
    const [event] = await c.waitFor('message:new')
    t.same(event, {
      id: ack.data.id,
      conversationId,
      seq: 1,
      senderId: owner!.id,
      sender: { id: owner!.id, username: owner!.username, displayName: owner!.username, avatarUrl: null },
      clientMsgId,
      type: 'text',
      content: 'hello',
      createdAt: ack.data.createdAt,
      recalledAt: null,
      rev: 1,
      editedAt: null,
      replyTo: null,
      mentions: [],
      reactions: [],
      forwardedFrom: null,
      pinnedAt: null,
      pinnedBy: null
    })
  }
  const second = await bobSocket.call('message:send', { conversationId: conversationId.toUpperCase(), ...text('hi back') })
  t.equal(second.data.seq, 2)
  t.equal(second.data.conversationId, conversationId, 'ids come back in their stored form')
  t.equal(await lastSeq(app, conversationId), 2)

  // own messages are never unread: the sender's cursors moved with the send
  const bobMember = await app.prisma.conversationMember.findUniqueOrThrow({ where: { conversationId_userId: { conversationId, userId: bob!.id } } })
  t.equal(bobMember.readSeq, 2)
  t.equal(bobMember.deliveredSeq, 2)
  const ownerMember = await app.prisma.conversationMember.findUniqueOrThrow({ where: { conversationId_userId: { conversationId, userId: owner!.id } } })
  t.equal(ownerMember.readSeq, 1)
})

t.test('a repeated clientMsgId returns the original ack, stores one row and delivers once', async (t) => {
  const { app, url } = await listen(t)
  const { a, b, conversationId } = await directPair(app)
  const sa = await connect(t, url, a)
  const sb = await connect(t, url, b)
  const payload = { conversationId, ...text('once') }
  const first = await sa.call('message:send', payload)
  const again = await sa.call('message:send', payload)
  const changed = await sa.call('message:send', { ...payload, content: 'different text, same id' })
  t.same(again, first)
  t.same(changed, first)
  const [x, y] = await Promise.all([sa.call('message:send', { conversationId, ...text('race', 'same-id') }), sa.call('message:send', { conversationId, ...text('race', 'same-id') })])
  t.same(x, y)
  await settle()
  t.equal(await messageCount(app, conversationId), 2)
  t.equal(await lastSeq(app, conversationId), 2, 'no seq consumed by the repeats')
  t.equal(sb.of('message:new').length, 2)
  t.equal(sa.of('message:new').length, 2)

  // REST: 201 first, 200 with the original for a repeat
  const body = text('via rest')
  const created = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: a.auth, payload: body })
  t.equal(created.statusCode, 201)
  t.match(created.json(), { conversationId, seq: 3, senderId: a.id, type: 'text', content: 'via rest', recalled: false, recalledAt: null, sender: { id: a.id } })
  const repeated = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: a.auth, payload: body })
  t.equal(repeated.statusCode, 200)
  t.same(repeated.json(), created.json())
  // the REST repeat of a socket-sent id answers with that message
  const crossed = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: a.auth, payload: { ...payload, conversationId: undefined } })
  t.equal(crossed.statusCode, 200)
  t.equal(crossed.json().id, first.data.id)
  await settle()
  t.equal(await messageCount(app, conversationId), 3)
  t.equal(sb.of('message:new').length, 3)
})

t.test('a forged senderId is ignored: the message is stored with the real sender', async (t) => {
  const { app, url } = await listen(t)
  const { a, b, conversationId } = await directPair(app)
  const sa = await connect(t, url, a)
  const ack = await sa.call('message:send', { conversationId, senderId: b.id, ...text('it was me') })
  t.equal(ack.ok, true)
  const stored = await app.prisma.message.findUniqueOrThrow({ where: { id: ack.data.id } })
  t.equal(stored.senderId, a.id)
  const rest = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: a.auth, payload: { senderId: b.id, ...text('rest too') } })
  t.equal(rest.statusCode, 201)
  t.equal(rest.json().senderId, a.id)
  t.equal((await app.prisma.message.findUniqueOrThrow({ where: { id: rest.json().id } })).senderId, a.id)
})

t.test('content is validated per type', async (t) => {
  const { app, url } = await listen(t, { TEXT_MAX_CHARS: 10, CUSTOM_MAX_BYTES: 64 })
  const { a, conversationId } = await directPair(app)
  const sa = await connect(t, url, a)
  const file = { url: 'https://cdn.example/x.png', name: 'x.png', size: 10, mime: 'image/png' }
  const good: Array<[string, unknown]> = [
    ['text', 'ten chars!'],
    ['text', '😀'.repeat(10)],
    ['image', { ...file, width: 10, height: 20 }],
    ['file', file],
    ['file', { ...file, url: '/api/uploads/abc' }],
    ['custom', { kind: 'poll', options: [1, 2] }],
    ['custom', {}]
  ]
  for (const [type, content] of good) {
    const ack = await sa.call('message:send', { conversationId, clientMsgId: randomUUID(), type, content })
    t.equal(ack.ok, true, `${type} ${JSON.stringify(content)}`)
  }
  const bad: Array<[string, unknown]> = [
    ['text', ''],
    ['text', 'eleven chars'],
    ['text', 42],
    ['text', { text: 'hi' }],
    ['text', null],
    ['image', 'https://cdn.example/x.png'],
    ['image', { ...file, extra: true }],
    ['image', { ...file, size: -1 }],
    ['image', { ...file, width: 0 }],
    ['file', { ...file, url: 'javascript:alert(1)' }],
    ['file', { url: file.url, name: 'x', size: 1 }],
    ['custom', [1, 2]],
    ['custom', 'str'],
    ['custom', { big: 'x'.repeat(100) }],
    ['text', 'a\u0000b'],
    ['custom', { 'k\u0000': 1 }],
    ['file', { ...file, name: 'a\u0000.png' }],
    ['video', 'x'],
    // a lone surrogate is not Unicode (PostgreSQL refuses it in jsonb): was a 500
    ['text', 'a\ud800b'],
    ['custom', { ['k\udc00']: 1 }],
    ['custom', { deep: JSON.parse('['.repeat(65) + ']'.repeat(65)) }]
  ]
  for (const [type, content] of bad) {
    const ack = await sa.call('message:send', { conversationId, clientMsgId: randomUUID(), type, content })
    t.same([ack.ok, ack.error?.code], [false, 'VALIDATION'], `${type} ${JSON.stringify(content)}`)
  }
  t.equal(await messageCount(app, conversationId), good.length, 'nothing written for bad content')
  t.equal(await lastSeq(app, conversationId), good.length)

  const rest = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: a.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: 'x'.repeat(11) } })
  t.equal(rest.statusCode, 400)
  t.equal(rest.json().error.code, 'VALIDATION')
  // Nesting deep enough to exhaust the stack of recursive JSON handling (a 10 KB body): was a 500.
  const deep = await app.inject({
    method: 'POST',
    url: `/api/conversations/${conversationId}/messages`,
    headers: { ...a.auth, 'content-type': 'application/json' },
    payload: `{"clientMsgId":"${randomUUID()}","type":"custom","content":{"deep":${'['.repeat(5000)}${']'.repeat(5000)}}}`
  })
  t.same([deep.statusCode, deep.json().error.code], [400, 'VALIDATION'], 'content nested 5,000 levels deep')
  t.equal(await messageCount(app, conversationId), good.length)
})

t.test('malformed message:send payloads are refused with VALIDATION and write nothing', async (t) => {
  const { app, url } = await listen(t)
  const { a, b, conversationId } = await directPair(app)
  const sa = await connect(t, url, a)
  const sb = await connect(t, url, b)
  const cases: unknown[] = [
    'just a string',
    42,
    null,
    [conversationId],
    {},
    { conversationId, type: 'text', content: 'no client id' },
    { conversationId, clientMsgId: '', type: 'text', content: 'x' },
    { conversationId, clientMsgId: 'x'.repeat(65), type: 'text', content: 'x' },
    { conversationId, clientMsgId: 7, type: 'text', content: 'x' },
    { conversationId, clientMsgId: 'a\u0000b', type: 'text', content: 'x' },
    { conversationId, clientMsgId: 'a', type: 'text' },
    { conversationId: 'not-a-uuid', clientMsgId: 'a', type: 'text', content: 'x' },
    { conversationId, toUserId: b.id, clientMsgId: 'a', type: 'text', content: 'x' },
    { clientMsgId: 'a', type: 'text', content: 'x' },
    { conversationId, clientMsgId: 'a', type: 'text', content: 'x', extra: 1 }
  ]
  for (const payload of cases) {
    const ack = await sa.call('message:send', payload)
    t.same([ack.ok, ack.error?.code], [false, 'VALIDATION'], JSON.stringify(payload))
  }
  const noPayload = await sa.call('message:send')
  t.equal(noPayload.error.code, 'VALIDATION')
  // no ack callback: nothing to answer, the process and the socket stay fine
  sa.socket.emit('message:send', 'garbage')
  sa.socket.emit('message:send', { conversationId, ...text('no ack wanted', 'fire-and-forget') })
  await sb.waitFor('message:new')
  t.equal(await messageCount(app, conversationId), 1, 'only the well-formed fire-and-forget message')
  const after = await sa.call('message:send', { conversationId, ...text('still works') })
  t.equal(after.data.seq, 2)
  t.ok(sb.socket.connected)
})

t.test('unknown and foreign conversations look the same (NOT_FOUND); nothing is written', async (t) => {
  const { app, url } = await listen(t)
  const { conversationId } = await directPair(app)
  const [x, owner] = await makeUsers(app, 2)
  const groupId = await makeGroup(app, owner!, [])
  const sx = await connect(t, url, x!)
  for (const id of [conversationId, groupId, randomUUID()]) {
    const ack = await sx.call('message:send', { conversationId: id, ...text('let me in') })
    t.same(ack, { ok: false, error: { code: 'NOT_FOUND', message: 'Conversation not found' } })
    const rest = await app.inject({ method: 'POST', url: `/api/conversations/${id}/messages`, headers: x!.auth, payload: text('let me in') })
    t.equal(rest.statusCode, 404)
    t.equal(rest.json().error.code, 'NOT_FOUND')
  }
  t.equal(await messageCount(app, conversationId), 0)
  t.equal(await messageCount(app, groupId), 0)
  t.equal(await lastSeq(app, conversationId), 0)
  const bad = await app.inject({ method: 'POST', url: '/api/conversations/nope/messages', headers: x!.auth, payload: text('x') })
  t.equal(bad.json().error.code, 'VALIDATION')
  const anon = await app.inject({ method: 'POST', url: `/api/conversations/${groupId}/messages`, payload: text('x') })
  t.equal(anon.statusCode, 401)
})

t.test('direct messages need friendship and no block either way', async (t) => {
  const { app, url } = await listen(t)
  const { a, b, conversationId } = await directPair(app)
  const sa = await connect(t, url, a)
  const sb = await connect(t, url, b)
  t.equal((await sa.call('message:send', { conversationId, ...text('before') })).ok, true)

  await block(app, b, a)
  const blockedBy = await sa.call('message:send', { conversationId, ...text('after block') })
  t.same(blockedBy.error, { code: 'FORBIDDEN', message: 'Blocked' })
  const blocker = await sb.call('message:send', { conversationId, ...text('I blocked you') })
  t.equal(blocker.error.code, 'FORBIDDEN')
  const rest = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: a.auth, payload: text('rest') })
  t.equal(rest.statusCode, 403)
  const viaUser = await sa.call('message:send', { toUserId: b.id, ...text('by user id') })
  t.equal(viaUser.error.code, 'FORBIDDEN')
  await app.prisma.block.deleteMany({ where: { blockerId: b.id } })

  await app.prisma.friendship.deleteMany({ where: { OR: [{ userId: a.id }, { friendId: a.id }] } })
  const unfriended = await sa.call('message:send', { conversationId, ...text('still friends?') })
  t.same(unfriended.error, { code: 'FORBIDDEN', message: 'Direct messages require friendship' })
  await settle()
  t.equal(await messageCount(app, conversationId), 1)
  t.equal(await lastSeq(app, conversationId), 1)
  t.equal(sb.of('message:new').length, 1)

  // friends again, then the peer's account goes away: nobody left to write to
  await befriend(app, a, b)
  t.equal((await sa.call('message:send', { conversationId, ...text('friends again') })).ok, true)
  await app.prisma.user.delete({ where: { id: b.id } })
  const gone = await sa.call('message:send', { conversationId, ...text('anyone there?') })
  t.equal(gone.error?.code, 'FORBIDDEN')
  t.equal(await lastSeq(app, conversationId), 2)
})

t.test('message:send with toUserId opens the direct conversation on first use', async (t) => {
  const { app, url } = await listen(t)
  const [a, b, stranger] = await makeUsers(app, 3)
  await befriend(app, a!, b!)
  const sa = await connect(t, url, a!)
  const sb = await connect(t, url, b!)
  const first = await sa.call('message:send', { toUserId: b!.id, ...text('hey') })
  t.equal(first.ok, true)
  t.equal(first.data.seq, 1)
  const [event] = await sb.waitFor('message:new')
  t.equal(event.conversationId, first.data.conversationId)
  const reply = await sb.call('message:send', { toUserId: a!.id.toUpperCase(), ...text('yo') })
  t.equal(reply.data.conversationId, first.data.conversationId)
  t.equal(reply.data.seq, 2)
  const opened = await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: a!.auth, payload: { userId: b!.id } })
  t.equal(opened.json().id, first.data.conversationId)

  const strangerAck = await sa.call('message:send', { toUserId: stranger!.id, ...text('hi stranger') })
  t.same(strangerAck.error, { code: 'FORBIDDEN', message: 'Direct messages require friendship' })
  const nobody = await sa.call('message:send', { toUserId: randomUUID(), ...text('hello?') })
  t.equal(nobody.error.code, 'NOT_FOUND')
  const self = await sa.call('message:send', { toUserId: a!.id, ...text('me') })
  t.equal(self.error.code, 'VALIDATION')
  t.equal(await app.prisma.conversation.count({ where: { members: { some: { userId: stranger!.id } } } }), 0)
})

t.test('a removed group member no longer receives or sends messages', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob] = await makeUsers(app, 2)
  const groupId = await makeGroup(app, owner!, [bob!])
  const so = await connect(t, url, owner!)
  const sb = await connect(t, url, bob!)
  await so.call('message:send', { conversationId: groupId, ...text('one') })
  await sb.waitFor('message:new')
  const removed = await app.inject({ method: 'DELETE', url: `/api/groups/${groupId}/members/${bob!.id}`, headers: owner!.auth })
  t.equal(removed.statusCode, 200)
  await so.call('message:send', { conversationId: groupId, ...text('two') })
  // one, the member_removed system message (v2), two
  await so.waitFor('message:new', 3)
  await settle()
  t.equal(sb.of('message:new').length, 1)
  const late = await sb.call('message:send', { conversationId: groupId, ...text('let me back') })
  t.equal(late.error.code, 'NOT_FOUND')
  t.equal(await messageCount(app, groupId), 3)
})

t.test('a user outside both ends cannot be the target of toUserId for others (self-only sender)', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await makeUsers(app, 2)
  const mallory = await makeUser(app)
  await befriend(app, a!, b!)
  const sm = await connect(t, url, mallory)
  const ack = await sm.call('message:send', { toUserId: b!.id, senderId: a!.id, ...text('pretending') })
  t.equal(ack.error.code, 'FORBIDDEN')
  t.equal(await app.prisma.message.count({ where: { senderId: { in: [a!.id, mallory.id] } } }), 0)
})

t.test('concurrent sends from allowed and refused senders: refused ones take no seq', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob, outsider] = await makeUsers(app, 3)
  const groupId = await makeGroup(app, owner!, [bob!])
  const so = await connect(t, url, owner!)
  const sb = await connect(t, url, bob!)
  const sx = await connect(t, url, outsider!)
  const acks = await Promise.all(Array.from({ length: 30 }, (_, i) => [
    so.call('message:send', { conversationId: groupId, ...text(`o${i}`) }),
    sx.call('message:send', { conversationId: groupId, ...text(`x${i}`) }),
    sb.call('message:send', { conversationId: groupId, ...text(`b${i}`, `bob-${i % 10}`) })
  ]).flat())
  t.equal(acks.filter((a) => a.ok === false && a.error.code === 'NOT_FOUND').length, 30, 'every outsider send refused')
  t.equal(acks.filter((a) => a.ok === true).length, 60)
  const bobAcks = acks.filter((_, i) => i % 3 === 2)
  for (let k = 0; k < 10; k++) {
    t.equal(new Set(bobAcks.filter((_, i) => i % 10 === k).map((a) => a.data.id)).size, 1, 'repeats inside one burst share the original')
  }
  const rows = await app.prisma.message.findMany({ where: { conversationId: groupId }, select: { seq: true, senderId: true }, orderBy: { seq: 'asc' } })
  t.same(rows.map((r) => r.seq), Array.from({ length: 40 }, (_, i) => i + 1))
  t.notOk(rows.some((r) => r.senderId === outsider!.id))
  await sb.waitFor('message:new', 40)
  await settle()
  t.equal(sb.of('message:new').length, 40, 'each stored message delivered once')
  t.equal(sx.of('message:new').length, 0)
})

t.test('text content survives the trip byte for byte', async (t) => {
  const { app, url } = await listen(t)
  const { a, b, conversationId } = await directPair(app)
  const sa = await connect(t, url, a)
  const sb = await connect(t, url, b)
  const tricky = ['back\\slash "quotes" {braces} [brackets], commas', 'null', 'NULL', '\\u0000 is not a NUL', '😀 emoji 中文 ü', '  padded  ', '\n\ttabs\n']
  const acks = await Promise.all(tricky.map((s) => sa.call('message:send', { conversationId, ...text(s) })))
  t.same(acks.filter((x) => !x.ok), [])
  await sb.waitFor('message:new', tricky.length)
  const bySeq = [...sb.of('message:new')].sort((x, y) => x.seq - y.seq)
  t.same(new Set(bySeq.map((m) => m.content)), new Set(tricky))
  const history = (await app.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages?after=0`, headers: b.auth })).json()
  t.same(new Set(history.messages.map((m: any) => m.content)), new Set(tricky))
  const custom = { nested: { list: [1, 'two', null, true], quote: '"', slash: '\\' } }
  const ack = await sa.call('message:send', { conversationId, clientMsgId: randomUUID(), type: 'custom', content: custom })
  const stored = await app.prisma.message.findUniqueOrThrow({ where: { id: ack.data.id } })
  t.same(stored.content, custom)
})
