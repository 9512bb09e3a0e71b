import t from 'tap'
import { randomUUID } from 'node:crypto'
import { listen } from '../../helper.js'
import { block, connect, makeConversation, makeUsers, settle, type User } from '../presence/helpers.js'

t.test('a signal reaches every device of the target, and only the target', async (t) => {
  const { app, url } = await listen(t)
  const [a, b, c] = await makeUsers(app, 3) as [User, User, User]
  const conversationId = await makeConversation(app, [a, b])
  await makeConversation(app, [a, c])
  const a1 = await connect(t, url, a)
  const a2 = await connect(t, url, a)
  const b1 = await connect(t, url, b)
  const b2 = await connect(t, url, b)
  const c1 = await connect(t, url, c)
  const messagesBefore = await app.prisma.message.count()

  const payload = { sdp: 'v=0...', candidates: [1, 2, { x: null }] }
  t.same(await a1.call('signal', { toUserId: b.id, name: 'call:offer', payload }), { ok: true, data: {} })
  for (const client of [b1, b2]) t.same(await client.waitFor('signal'), [{ fromUserId: a.id, name: 'call:offer', payload }])
  await settle()
  t.same(a1.of('signal'), [], 'not echoed to the sender')
  t.same(a2.of('signal'), [])
  t.same(c1.of('signal'), [], 'a third user hears nothing')
  t.equal(await app.prisma.message.count(), messagesBefore, 'never stored')
  t.equal((await app.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId } })).lastSeq, 0)
})

t.test('any JSON payload is relayed as is', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await makeUsers(app, 2) as [User, User]
  await makeConversation(app, [a, b, ...await makeUsers(app, 1)])
  const a1 = await connect(t, url, a)
  const b1 = await connect(t, url, b)
  const payloads = [null, 0, 'text', true, [1, 'two'], { nested: { deep: [{}] } }]
  for (const payload of payloads) t.equal((await a1.call('signal', { toUserId: b.id, name: 'x', payload })).ok, true)
  const got = await b1.waitFor('signal', payloads.length)
  t.same(got.map((s) => s.payload), payloads, 'in order, unchanged (a group counts as shared)')
})

t.test('without a shared conversation, or with a block either way: FORBIDDEN, nothing relayed', async (t) => {
  const { app, url } = await listen(t)
  const [a, b, stranger, blocker] = await makeUsers(app, 4) as [User, User, User, User]
  await makeConversation(app, [a, b])
  await makeConversation(app, [a, blocker])
  await makeConversation(app, [b, stranger])
  const a1 = await connect(t, url, a)
  const b1 = await connect(t, url, b)
  const s1 = await connect(t, url, stranger)
  const k1 = await connect(t, url, blocker)
  const signal = (to: User) => ({ toUserId: to.id, name: 'ring', payload: {} })

  t.same(await a1.call('signal', signal(stranger)), { ok: false, error: { code: 'FORBIDDEN', message: 'Signals need a shared conversation' } })
  t.same(await s1.call('signal', signal(a)), { ok: false, error: { code: 'FORBIDDEN', message: 'Signals need a shared conversation' } })

  await block(app, blocker, a)
  const blocked = { ok: false, error: { code: 'FORBIDDEN', message: 'Blocked' } }
  t.same(await a1.call('signal', signal(blocker)), blocked, 'blocked by the target')
  t.same(await k1.call('signal', signal(a)), blocked, 'the sender blocked the target')

  // Leaving the only shared conversation ends it.
  t.equal((await a1.call('signal', signal(b))).ok, true)
  await b1.waitFor('signal')
  await app.prisma.conversationMember.deleteMany({ where: { userId: b.id, conversation: { members: { some: { userId: a.id } } } } })
  t.equal((await a1.call('signal', signal(b))).error?.code, 'FORBIDDEN', 'after leaving')

  await settle()
  t.same(s1.of('signal'), [])
  t.same(k1.of('signal'), [])
  t.same(a1.of('signal'), [])
  t.equal(b1.of('signal').length, 1)
})

t.test('unknown target: NOT_FOUND; oneself and invalid payloads: VALIDATION', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await makeUsers(app, 2) as [User, User]
  await makeConversation(app, [a, b])
  const a1 = await connect(t, url, a)
  const b1 = await connect(t, url, b)

  t.same(await a1.call('signal', { toUserId: randomUUID(), name: 'ring', payload: {} }), { ok: false, error: { code: 'NOT_FOUND', message: 'User not found' } })
  t.same(await a1.call('signal', { toUserId: a.id, name: 'ring', payload: {} }), { ok: false, error: { code: 'VALIDATION', message: 'Cannot signal yourself' } })
  for (const [name, payload] of [
    ['no payload', { toUserId: b.id, name: 'ring' }],
    ['no name', { toUserId: b.id, payload: {} }],
    ['empty name', { toUserId: b.id, name: '', payload: {} }],
    ['name over 64', { toUserId: b.id, name: 'n'.repeat(65), payload: {} }],
    ['name not a string', { toUserId: b.id, name: 5, payload: {} }],
    ['toUserId not a uuid', { toUserId: 'bob', name: 'ring', payload: {} }],
    ['no toUserId', { name: 'ring', payload: {} }],
    ['extra field (fromUserId cannot be forged)', { toUserId: b.id, name: 'ring', payload: {}, fromUserId: b.id }]
  ] as Array<[string, unknown]>) {
    t.equal((await a1.call('signal', payload)).error?.code, 'VALIDATION', name)
  }
  t.equal((await a1.call('signal', { toUserId: b.id, name: 'n'.repeat(64), payload: {} })).ok, true, '64 characters is fine')
  await b1.waitFor('signal')
  await settle()
  t.equal(b1.of('signal').length, 1, 'only the valid one arrived')
})

t.test('a payload over the socket limit cuts only the sender', async (t) => {
  const { app, url } = await listen(t, { SOCKET_MAX_PAYLOAD_BYTES: 1024 })
  const [a, b] = await makeUsers(app, 2) as [User, User]
  await makeConversation(app, [a, b])
  const a1 = await connect(t, url, a)
  const b1 = await connect(t, url, b)
  a1.socket.emit('signal', { toUserId: b.id, name: 'big', payload: 'x'.repeat(2048) }, () => {})
  t.equal(await a1.disconnected, 'transport close')
  await settle()
  t.ok(b1.socket.connected)
  t.same(b1.of('signal'), [])
})
