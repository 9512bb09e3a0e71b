import t from 'tap'
import { listen, servicesMode } from '../../helper.js'
import { planReactions, type OpTarget, type ReactionOp } from '../../../src/modules/messages/reaction-rules.js'
import { connect, makeGroup, makeUsers, settle, text, type Client } from '../conversations/helpers.js'
import { until } from '../../socket-client.js'

const seen: OpTarget = { conversationId: 'c', conversationType: 'group', recalled: false, system: false, visible: true }
const op = (userId: string, emoji: string, add = true, messageId = 'm'): ReactionOp => ({ userId, messageId, emoji, add })
const codes = (plan: ReturnType<typeof planReactions>): Array<string | undefined> => plan.refusals.map((r) => r?.code)

t.test('the rules, op by op within a batch', async (t) => {
  t.test('add then remove by one user in one batch resolve in order: nothing written', async (t) => {
    const plan = planReactions([op('u', '👍'), op('u', '👍', false)], [seen, seen], new Map(), new Map())
    t.same(codes(plan), [undefined, undefined])
    t.same([plan.deletes, plan.inserts, [...plan.changed]], [[], [], []])
  })
  t.test('remove then add of a held reaction: deleted and inserted again (it goes to the end), one change', async (t) => {
    const plan = planReactions([op('u', '👍', false), op('u', '👍')], [seen, seen], new Map([['m', new Map([['👍', 1]])]]), new Map([['m\nu', new Set(['👍'])]]))
    t.equal(plan.deletes.length, 1)
    t.equal(plan.inserts.length, 1)
    t.same([...plan.changed], ['m'])
  })
  t.test('a repeated add and a remove of nothing are no-ops', async (t) => {
    const plan = planReactions([op('u', '👍'), op('u', '👍'), op('v', '❤️', false)], [seen, seen, seen], new Map(), new Map())
    t.same(codes(plan), [undefined, undefined, undefined])
    t.equal(plan.inserts.length, 1)
  })
  t.test('a member\'s 4th emoji is refused, after a removal it fits', async (t) => {
    const ops = ['😀', '😁', '😂', '🤣'].map((e) => op('u', e)).concat([op('u', '😀', false), op('u', '🤣')])
    const plan = planReactions(ops, ops.map(() => seen), new Map(), new Map())
    t.same(codes(plan), [undefined, undefined, undefined, 'CONFLICT', undefined, undefined])
    t.same(plan.inserts.map((k) => k.emoji).sort(), ['😁', '😂', '🤣'].sort())
  })
  t.test('the 21st emoji is refused; one that falls to zero frees its slot for the next op', async (t) => {
    const counts = new Map([['m', new Map(Array.from({ length: 20 }, (_, i) => [String.fromCodePoint(0x1F600 + i), 1]))]])
    const holdings = new Map([['m\nholder', new Set(['😀'])]])
    const ops = [op('a', '🍎'), op('holder', '😀', false), op('b', '🍐'), op('c', '🍊')]
    const plan = planReactions(ops, ops.map(() => seen), counts, holdings)
    t.same(codes(plan), ['CONFLICT', undefined, undefined, 'CONFLICT'])
  })
  t.test('not seen, another conversation, system and recalled messages: each op its own refusal', async (t) => {
    const ops = [op('a', '👍'), { ...op('b', '👍'), conversationId: 'other' }, op('c', '👍'), op('d', '👍'), op('e', '👍'), op('f', '👍')]
    const targets = [{ ...seen, visible: false }, seen, { ...seen, system: true }, { ...seen, recalled: true }, undefined, seen]
    const plan = planReactions(ops, targets, new Map(), new Map())
    t.same(codes(plan), ['NOT_FOUND', 'NOT_FOUND', 'VALIDATION', 'CONFLICT', 'NOT_FOUND', undefined])
    t.same(plan.inserts.map((k) => k.userId), ['f'])
  })
})

t.test('one batch: many users at once, each ack truthful, one rev for the batch (run with TEST_SERVICES=1 for PostgreSQL)', async (t) => {
  const { app } = await listen(t)
  const users = await makeUsers(app, servicesMode ? 40 : 16)
  const [owner, ...rest] = users
  const conversationId = await makeGroup(app, owner!, rest)
  const m = (await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: owner!.auth, payload: { ...text('x') } })).json()
  const before = (await app.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId } })).lastRev
  // Submitted in one tick: one batch.
  const results = await Promise.allSettled(users.map(async (u) => await app.messageChanges.react(u.id, m.id, '👍', true)))
  t.ok(results.every((r) => r.status === 'fulfilled'), 'every op acked')
  const last = results.at(-1) as PromiseFulfilledResult<{ reactions: Array<{ emoji: string, count: number }> }>
  t.same(last.value.reactions.map((r) => [r.emoji, r.count]), [['👍', users.length]], 'the ack carries the counts after the batch')
  t.equal((await app.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId } })).lastRev, before + 1, 'one rev for the batch')
  t.equal(await app.prisma.messageReaction.count({ where: { messageId: m.id } }), users.length)
})

t.test('a removed member in a batch gets NOT_FOUND while the others succeed', async (t) => {
  const { app } = await listen(t)
  const users = await makeUsers(app, 6)
  const [owner, gone, ...rest] = users
  const conversationId = await makeGroup(app, owner!, [gone!, ...rest])
  const m = (await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: owner!.auth, payload: { ...text('x') } })).json()
  t.equal((await app.inject({ method: 'DELETE', url: `/api/groups/${conversationId}/members/${gone!.id}`, headers: owner!.auth })).statusCode < 300, true, 'removed')
  const results = await Promise.allSettled([owner!, gone!, ...rest].map(async (u) => await app.messageChanges.react(u.id, m.id, '🎉', true)))
  t.equal(results[1]!.status, 'rejected')
  t.equal((results[1] as PromiseRejectedResult).reason.code, 'NOT_FOUND', 'the removed member')
  t.ok(results.filter((_, i) => i !== 1).every((r) => r.status === 'fulfilled'), 'the rest succeed')
  const stored = await app.prisma.messageReaction.findMany({ where: { messageId: m.id }, select: { userId: true } })
  t.equal(stored.length, users.length - 1)
  t.notOk(stored.some((r) => r.userId === gone!.id), 'nothing stored for the removed member')
  // Values the database would refuse never reach a batch: the good ops beside them still go through.
  const poisoned = await Promise.allSettled([app.messageChanges.react(owner!.id, 'not-a-uuid', '👍', true), app.messageChanges.react(owner!.id, m.id, 'x\u0000', false),
    app.messageChanges.react(rest[1]!.id, m.id, '👍', true)])
  t.same(poisoned.map((r) => r.status === 'rejected' ? r.reason.code : 'ok'), ['NOT_FOUND', 'VALIDATION', 'ok'])
  // Another conversation's id on the route: NOT_FOUND too, even in a batch with good ops.
  const other = await makeGroup(app, owner!, rest, 'other')
  const mixed = await Promise.allSettled([app.messageChanges.react(owner!.id, m.id, '❤️', true, other), app.messageChanges.react(rest[0]!.id, m.id, '❤️', true, conversationId)])
  t.same(mixed.map((r) => r.status === 'rejected' ? r.reason.code : 'ok'), ['NOT_FOUND', 'ok'])
})

t.test('limits under concurrency: 3 per member and 20 per message, no overshoot, acks truthful (run with TEST_SERVICES=1 for PostgreSQL)', async (t) => {
  const { app, url } = await listen(t)
  const users = await makeUsers(app, 26)
  const [owner, ...rest] = users
  const conversationId = await makeGroup(app, owner!, rest)
  const so = await connect(t, url, owner!)
  const m = (await so.call('message:send', { conversationId, ...text('x') })).data
  // One member, six emojis at once over the socket: exactly three stick.
  const mine = [...'🍎🍐🍊🍋🍌🍉']
  const acks = await Promise.all(mine.map(async (emoji) => await so.call('reaction:add', { messageId: m.id, emoji })))
  t.equal(acks.filter((a) => a.ok === true).length, 3, 'three acked')
  t.ok(acks.filter((a) => a.ok !== true).every((a) => a.error.code === 'CONFLICT'), 'the rest CONFLICT')
  const held = (await app.prisma.messageReaction.findMany({ where: { messageId: m.id, userId: owner!.id } })).map((r) => r.emoji).sort()
  t.same(held, mine.filter((_, i) => acks[i].ok === true).sort(), 'stored exactly what was acked')
  // 25 more members, each a new emoji, concurrently (service calls in several ticks, so several batches): 17 more fit.
  const fresh = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙🥲😚🙂🤗🤩🤔🫡🤨']
  const results = await Promise.allSettled(rest.map(async (u, i) => {
    await new Promise((resolve) => setTimeout(resolve, i % 3))
    return await app.messageChanges.react(u.id, m.id, fresh[i]!, true)
  }))
  const okEmojis = fresh.filter((_, i) => results[i]!.status === 'fulfilled')
  t.equal(okEmojis.length, 17, '17 acked (20 minus the owner\'s 3)')
  t.ok(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.code === 'CONFLICT'), 'the rest CONFLICT')
  const distinct = (await app.prisma.messageReaction.groupBy({ by: ['emoji'], where: { messageId: m.id } })).map((g) => g.emoji)
  t.equal(distinct.length, 20, 'exactly 20 distinct emojis stored')
  t.same(distinct.filter((e) => !mine.includes(e)).sort(), okEmojis.sort(), 'the acked ones')
})

t.test('a recall in the middle of a burst: acks before it are stored, those after it CONFLICT', async (t) => {
  const { app, url } = await listen(t)
  const users = await makeUsers(app, 12)
  const [owner, ...rest] = users
  const conversationId = await makeGroup(app, owner!, rest)
  const so = await connect(t, url, owner!)
  const m = (await so.call('message:send', { conversationId, ...text('x') })).data
  const emojis = ['👍', '❤️', '🎉']
  const ops = rest.flatMap((u) => emojis.map((emoji) => ({ u, emoji })))
  const half = Math.floor(ops.length / 2)
  const first = ops.slice(0, half).map(async ({ u, emoji }) => await app.messageChanges.react(u.id, m.id, emoji, true))
  const recall = so.call('message:recall', { messageId: m.id })
  const second = ops.slice(half).map(async ({ u, emoji }) => await app.messageChanges.react(u.id, m.id, emoji, true))
  const results = await Promise.allSettled([...first, ...second])
  t.equal((await recall).ok, true, 'recalled')
  const stored = new Set((await app.prisma.messageReaction.findMany({ where: { messageId: m.id } })).map((r) => `${r.userId}\n${r.emoji}`))
  for (const [i, r] of results.entries()) {
    const key = `${ops[i]!.u.id}\n${ops[i]!.emoji}`
    if (r.status === 'fulfilled') t.ok(stored.has(key), 'acked: stored')
    else {
      t.equal(r.reason.code, 'CONFLICT', 'refused: CONFLICT')
      t.notOk(stored.has(key), 'refused: not stored')
    }
  }
  await t.rejects(app.messageChanges.react(owner!.id, m.id, '👍', true), { code: 'CONFLICT' }, 'after the recall: CONFLICT')
})

t.test('members get coalesced updates carrying the latest counts; the in-flight gauge returns to 0', async (t) => {
  const { app, url } = await listen(t)
  const users = await makeUsers(app, 12)
  const [owner, ...rest] = users
  const conversationId = await makeGroup(app, owner!, rest)
  const sockets: Client[] = []
  for (const u of users) sockets.push(await connect(t, url, u))
  const watcher = sockets[0]!
  const m = (await watcher.call('message:send', { conversationId, ...text('x') })).data
  const emojis = ['👍', '❤️', '🎉']
  let n = 0
  for (let round = 0; round < 3; round++) {
    await Promise.all(sockets.flatMap((s) => emojis.map(async (emoji) => { n++; return await s.call('reaction:add', { messageId: m.id, emoji }) })))
    await Promise.all(sockets.slice(round + 1).map(async (s) => { n++; return await s.call('reaction:remove', { messageId: m.id, emoji: '🎉' }) }))
  }
  const gauge = async (): Promise<number> => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body
    return Number(/^relay_reactions_in_flight (\S+)$/m.exec(text)?.[1])
  }
  await until(async () => await gauge() === 0, 10_000, 'no reaction work in flight')
  await settle(100)
  const updates = watcher.events.filter((e) => e.event === 'message:updated' && e.payload.id === m.id).map((e) => e.payload)
  t.ok(updates.length > 0 && updates.length < n, `fewer updates (${updates.length}) than reactions (${n})`)
  const latest = updates.reduce((a, b) => (b.rev > a.rev ? b : a))
  t.same(latest.reactions.map((r: any) => [r.emoji, r.count]).sort(), [['👍', users.length], ['❤️', users.length], ['🎉', 3]].sort(), 'the latest update carries the final counts')
  t.equal(latest.rev, (await app.prisma.message.findUniqueOrThrow({ where: { id: m.id } })).rev, 'and the final rev')
})

t.test('coalesced updates: the first at once, a burst folded into one read at the end of the window, nothing owed after', async (t) => {
  const { createCoalescedUpdates } = await import('../../../src/modules/messages/coalesced-updates.js')
  const delivered: Array<{ rev: number, audience: string }> = []
  let rev = 1
  const updates = createCoalescedUpdates<string>({
    windowMs: 20,
    read: async () => ({ rev } as any),
    deliver: (message, audience) => { delivered.push({ rev: message.rev, audience }) }
  })
  updates.changed('m', { rev } as any, 'a1')
  t.same(delivered, [{ rev: 1, audience: 'a1' }], 'the first change at once')
  for (const a of ['a2', 'a3', 'a4']) { rev++; updates.changed('m', { rev } as any, a) }
  t.equal(delivered.length, 1, 'a burst waits for the window')
  t.equal(updates.pending(), 1, 'one delivery owed')
  await until(() => updates.pending() === 0, 2000, 'the window closed')
  t.same(delivered, [{ rev: 1, audience: 'a1' }, { rev: 4, audience: 'a4' }], 'one more, the latest state and audience')
  await new Promise((resolve) => setTimeout(resolve, 60))
  t.equal(delivered.length, 2, 'a quiet window sends nothing')
  updates.changed('m', { rev: 5 } as any, 'a5')
  t.equal(delivered.length, 3, 'after a quiet window the next change goes at once')
  updates.close()
})
