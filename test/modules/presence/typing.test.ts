import t, { type Test } from 'tap'
import type { App } from '../../../src/app.js'
import { randomUUID } from 'node:crypto'
import { listen } from '../../helper.js'
import { TYPING_RELAY_INTERVAL_MS } from '../../../src/modules/presence/typing-events.js'
import { connect, makeConversation, makeUsers, settle, sleep, type User } from './helpers.js'

const nothingStored = async (t: Test, app: App, conversationId: string): Promise<void> => {
  t.equal(await app.prisma.message.count({ where: { conversationId } }), 0, 'no message stored')
  t.equal((await app.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId } })).lastSeq, 0, 'no seq used')
}

t.test('typing is relayed to the other members on all their devices, not to the sender or outsiders', async (t) => {
  const { app, url } = await listen(t)
  const [a, b, c, outsider] = await makeUsers(app, 4) as [User, User, User, User]
  const conversationId = await makeConversation(app, [a, b, c])
  const a1 = await connect(t, url, a)
  const a2 = await connect(t, url, a)
  const b1 = await connect(t, url, b)
  const b2 = await connect(t, url, b)
  const c1 = await connect(t, url, c)
  const o = await connect(t, url, outsider)

  t.same(await a1.call('typing', { conversationId, typing: true }), { ok: true, data: {} })
  const expected = { conversationId, userId: a.id, typing: true }
  for (const client of [b1, b2, c1]) t.same(await client.waitFor('typing'), [expected])
  await settle()
  t.same(a1.of('typing'), [], 'not echoed to the sender')
  t.same(a2.of('typing'), [], 'nor to the sender\'s other devices')
  t.same(o.of('typing'), [], 'nor to non-members')
  await nothingStored(t, app, conversationId)
})

t.test('typing:true is throttled per socket and conversation; typing:false always goes through', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await makeUsers(app, 2) as [User, User]
  const first = await makeConversation(app, [a, b])
  const second = await makeConversation(app, [a, b])
  const a1 = await connect(t, url, a)
  const a2 = await connect(t, url, a)
  const b1 = await connect(t, url, b)
  const relayed = (): Array<[string, boolean]> => b1.of('typing').map((e) => [e.conversationId === first ? 'first' : 'second', e.typing])

  // A burst: relayed once, every event still acked.
  const acks = await Promise.all([1, 2, 3].map(async () => await a1.call('typing', { conversationId: first, typing: true })))
  t.same(acks, [1, 2, 3].map(() => ({ ok: true, data: {} })))
  await b1.waitFor('typing')
  t.same(await a1.call('typing', { conversationId: second, typing: true }), { ok: true, data: {} })
  t.same(await a2.call('typing', { conversationId: first, typing: true }), { ok: true, data: {} })
  await b1.waitFor('typing', 3)
  await settle()
  t.same(relayed(), [['first', true], ['second', true], ['first', true]], 'one per (socket, conversation)')

  t.same(await a1.call('typing', { conversationId: first, typing: false }), { ok: true, data: {} })
  t.same(await a1.call('typing', { conversationId: first, typing: false }), { ok: true, data: {} })
  await b1.waitFor('typing', 5)
  t.same(await a1.call('typing', { conversationId: first, typing: true }), { ok: true, data: {} }, 'true after false')
  await b1.waitFor('typing', 6)
  t.same(relayed().slice(3), [['first', false], ['first', false], ['first', true]], 'false always, and true again after a false')

  await sleep(TYPING_RELAY_INTERVAL_MS + 100)
  await a1.call('typing', { conversationId: first, typing: true })
  await b1.waitFor('typing', 7)
  t.same(relayed()[6], ['first', true], 'and again once the interval passed')
})

t.test('typing in a conversation one is not a member of: NOT_FOUND, nothing relayed', async (t) => {
  const { app, url } = await listen(t)
  const [a, b, outsider] = await makeUsers(app, 3) as [User, User, User]
  const conversationId = await makeConversation(app, [a, b])
  const b1 = await connect(t, url, b)
  const o = await connect(t, url, outsider)
  const notFound = { ok: false, error: { code: 'NOT_FOUND', message: 'Conversation not found' } }

  t.same(await o.call('typing', { conversationId, typing: true }), notFound)
  const burst = await Promise.all([1, 2].map(async () => await o.call('typing', { conversationId, typing: true })))
  t.same(burst, [notFound, notFound], 'a burst is refused as a whole, not throttled into success')
  t.same(await o.call('typing', { conversationId, typing: false }), notFound)
  t.same(await o.call('typing', { conversationId: randomUUID(), typing: true }), notFound, 'unknown conversation')

  // A member who left is refused too.
  await app.prisma.conversationMember.delete({ where: { conversationId_userId: { conversationId, userId: a.id } } })
  const a1 = await connect(t, url, a)
  t.same(await a1.call('typing', { conversationId, typing: true }), notFound, 'former member')
  await settle()
  t.same(b1.of('typing'), [])
  await nothingStored(t, app, conversationId)
})

t.test('invalid typing payloads: VALIDATION, nothing relayed', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await makeUsers(app, 2) as [User, User]
  const conversationId = await makeConversation(app, [a, b])
  const a1 = await connect(t, url, a)
  const b1 = await connect(t, url, b)
  for (const [name, payload] of [
    ['no typing', { conversationId }],
    ['typing not a boolean', { conversationId, typing: 'yes' }],
    ['no conversation', { typing: true }],
    ['conversationId not a uuid', { conversationId: 'abc', typing: true }],
    ['extra field', { conversationId, typing: true, userId: b.id }],
    ['not an object', 'typing']
  ] as Array<[string, unknown]>) {
    const ack = await a1.call('typing', payload)
    t.equal(ack.error?.code, 'VALIDATION', name)
  }
  await settle()
  t.same(b1.of('typing'), [])
})
