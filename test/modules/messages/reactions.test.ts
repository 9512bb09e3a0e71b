import t from 'tap'
import { listen, servicesMode } from '../../helper.js'
import { checkEmoji, EMOJIS_PER_MEMBER } from '../../../src/modules/messages/index.js'
import { connect, makeGroup, makeUsers, settle, text, type Client } from '../conversations/helpers.js'
import { refused } from '../conversations/refusals.js'

/** A code point Unicode marks as a future pictograph but has not assigned (found, not hard-coded: a later Unicode may assign it). */
function unassignedPictograph (): string {
  for (let cp = 0x1F000; cp < 0x1FFFF; cp++) {
    const s = String.fromCodePoint(cp)
    if (/^\p{Extended_Pictographic}$/u.test(s) && /\p{Cn}/u.test(s)) return s
  }
  throw new Error('no unassigned pictograph left')
}

t.test('a reaction key is exactly one RGI emoji sequence', async (t) => {
  const kiss = '\u{1F469}\u{1F3FB}\u200d\u2764\ufe0f\u200d\u{1F48B}\u200d\u{1F468}\u{1F3FC}' // 35 bytes of UTF-8, one emoji
  for (const ok of ['👍', '👍🏽', '❤️', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🇫🇷', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '1️⃣', kiss]) t.equal(checkEmoji(ok), ok, JSON.stringify(ok))
  const lookalikes: Array<[string, string]> = [
    ['👍\u200d', '👍 with a zero-width joiner (looks like 👍, would count apart)'],
    ['👍\ufe0e', '👍 in text presentation'],
    ['\u2764', '❤ without its emoji presentation selector (❤️ is the emoji)'],
    ['🇫🇷\u{E0068}\u{E0069}', 'a flag with invisible tag characters spelling "hi"'],
    ['🏴\u{E0068}\u{E0069}\u{E007F}', 'a tag sequence that is no subdivision flag'],
    ['👍\u200d🔥', 'an invented joined sequence'],
    [unassignedPictograph(), 'an unassigned code point']
  ]
  for (const [bad, what] of lookalikes) t.throws(() => checkEmoji(bad), { code: 'VALIDATION' }, what)
  for (const bad of ['a', 'ok', '👍👍', '1', '#', ' 👍', '👍 ', '\u200d', '\ufe0f', '🇫', 'e\u0301', '😀'.repeat(9), '\u{1F468}\u200d'.repeat(6) + '\u{1F468}', '\u0000', '👍\u0000']) {
    t.throws(() => checkEmoji(bad), { code: 'VALIDATION' }, JSON.stringify(bad))
  }
})

t.test('lookalike keys are refused at the routes and the events, and write nothing', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob] = await makeUsers(app, 2)
  const conversationId = await makeGroup(app, owner!, [bob!])
  const so = await connect(t, url, owner!)
  const m = (await so.call('message:send', { conversationId, ...text('x') })).data
  t.equal((await so.call('reaction:add', { messageId: m.id, emoji: '👍' })).ok, true)
  for (const bad of ['👍\u200d', '🇫🇷\u{E0068}\u{E0069}', '🏴\u{E0068}\u{E0069}\u{E007F}', '👍\u200d🔥', unassignedPictograph()]) {
    await refused(t, app, 'VALIDATION', `socket ${JSON.stringify(bad)}`, async () => await so.call('reaction:add', { messageId: m.id, emoji: bad }))
    await refused(t, app, 'VALIDATION', `REST ${JSON.stringify(bad)}`, async () => await app.inject({ method: 'PUT', url: `/api/conversations/${conversationId}/messages/${m.id}/reactions/${encodeURIComponent(bad)}`, headers: bob!.auth }))
  }
  // A key stored under the looser rule of earlier versions can still be taken back.
  await app.prisma.messageReaction.create({ data: { messageId: m.id, emoji: '👍\u200d', userId: bob!.id } })
  const del = await app.inject({ method: 'DELETE', url: `/api/conversations/${conversationId}/messages/${m.id}/reactions/${encodeURIComponent('👍\u200d')}`, headers: bob!.auth })
  t.equal(del.statusCode, 200)
  t.same(del.json().reactions.map((r: any) => r.emoji), ['👍'], 'the old key is gone')
})

t.test(`one member puts at most ${EMOJIS_PER_MEMBER} emojis on a message (CONFLICT), others still react`, async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob] = await makeUsers(app, 2)
  const conversationId = await makeGroup(app, owner!, [bob!])
  const so = await connect(t, url, owner!)
  const sb = await connect(t, url, bob!)
  const m = (await so.call('message:send', { conversationId, ...text('x') })).data
  t.equal(EMOJIS_PER_MEMBER, 3)
  for (const e of ['😀', '😁', '😂']) t.equal((await so.call('reaction:add', { messageId: m.id, emoji: e })).ok, true, e)
  t.equal((await so.call('reaction:add', { messageId: m.id, emoji: '😀' })).ok, true, 'adding one of mine again is a no-op')
  await refused(t, app, 'CONFLICT', 'a 4th emoji new to the message', async () => await so.call('reaction:add', { messageId: m.id, emoji: '🤣' }))
  t.equal((await sb.call('reaction:add', { messageId: m.id, emoji: '🤣' })).ok, true, 'another member adds it')
  await refused(t, app, 'CONFLICT', 'a 4th emoji the message already has (the one-statement path)', async () => await so.call('reaction:add', { messageId: m.id, emoji: '🤣' }))
  await refused(t, app, 'CONFLICT', 'REST: the same', async () => await app.inject({ method: 'PUT', url: `/api/conversations/${conversationId}/messages/${m.id}/reactions/${encodeURIComponent('🤣')}`, headers: owner!.auth }))
  const full = await so.call('reaction:add', { messageId: m.id, emoji: '🤣' })
  t.match(full.error.message, /At most 3 different emojis per member/)
  t.equal((await so.call('reaction:remove', { messageId: m.id, emoji: '😀' })).ok, true)
  t.equal((await so.call('reaction:add', { messageId: m.id, emoji: '🤣' })).ok, true, 'after removing one, another fits')
  t.equal(await app.prisma.messageReaction.count({ where: { messageId: m.id, userId: owner!.id } }), 3)
})

t.test('one member racing adds on many devices still gets no more than the limit (run with TEST_SERVICES=1 for PostgreSQL)', async (t) => {
  const { app, url } = await listen(t)
  const users = await makeUsers(app, 5)
  const [racer, ...others] = users
  const conversationId = await makeGroup(app, racer!, others)
  const m = (await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: racer!.auth, payload: { clientMsgId: 'race', type: 'text', content: 'x' } })).json()
  // Eight emojis already on the message (each other member two): the racer's adds take the one-statement path.
  const present = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🔥', '👏']
  for (const [i, e] of present.entries()) t.equal((await app.inject({ method: 'PUT', url: `/api/conversations/${conversationId}/messages/${m.id as string}/reactions/${encodeURIComponent(e)}`, headers: others[i % others.length]!.auth })).statusCode, 200)
  const devices: Client[] = []
  for (let i = 0; i < 4; i++) devices.push(await connect(t, url, racer!))
  const fresh = ['🍎', '🍐', '🍊', '🍋']
  const acks = await Promise.all([...present, ...fresh].map(async (emoji, i) => await devices[i % devices.length]!.call('reaction:add', { messageId: m.id, emoji })))
  t.equal(acks.filter((a) => a.ok === true).length, EMOJIS_PER_MEMBER, 'exactly the limit accepted')
  t.ok(acks.filter((a) => a.ok !== true).every((a) => a.error.code === 'CONFLICT'), 'the rest are CONFLICT')
  t.equal(await app.prisma.messageReaction.count({ where: { messageId: m.id, userId: racer!.id } }), EMOJIS_PER_MEMBER, 'and stored')
})

t.test('reactions: idempotent add and remove, counts and reactors, REST and socket', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob, carol] = await makeUsers(app, 3)
  const conversationId = await makeGroup(app, owner!, [bob!, carol!])
  const so = await connect(t, url, owner!)
  const sb = await connect(t, url, bob!)
  const m = (await so.call('message:send', { conversationId, ...text('react to me') })).data

  t.same((await so.call('reaction:add', { messageId: m.id, emoji: '👍' })).data, { reactions: [{ emoji: '👍', count: 1, userIds: [owner!.id] }] })
  const put = await app.inject({ method: 'PUT', url: `/api/conversations/${conversationId}/messages/${m.id}/reactions/${encodeURIComponent('👍')}`, headers: bob!.auth })
  t.equal(put.statusCode, 200)
  t.same(put.json(), { reactions: [{ emoji: '👍', count: 2, userIds: [owner!.id, bob!.id] }] })
  await sb.waitFor('message:updated', 2)
  const rev = (await app.prisma.message.findUniqueOrThrow({ where: { id: m.id } })).rev

  await refused(t, app, 'ok', 'adding twice is a no-op', async () => await sb.call('reaction:add', { messageId: m.id, emoji: '👍' }))
  await refused(t, app, 'ok', 'removing an absent one is a no-op', async () => await sb.call('reaction:remove', { messageId: m.id, emoji: '🎉' }))
  await settle()
  t.equal(sb.of('message:updated').length, 2, 'no event when nothing changed')
  t.equal((await app.prisma.message.findUniqueOrThrow({ where: { id: m.id } })).rev, rev, 'no rev when nothing changed')

  const del = await app.inject({ method: 'DELETE', url: `/api/conversations/${conversationId}/messages/${m.id}/reactions/${encodeURIComponent('👍')}`, headers: owner!.auth })
  t.same(del.json(), { reactions: [{ emoji: '👍', count: 1, userIds: [bob!.id] }] })
  t.same((await sb.call('reaction:remove', { messageId: m.id, emoji: '👍' })).data, { reactions: [] })
  t.equal(await app.prisma.messageReaction.count({ where: { messageId: m.id } }), 0)
})

t.test('reactions: every refusal has its code and writes nothing', async (t) => {
  const { app, url } = await listen(t)
  const [owner, bob, stranger, ...crowd] = await makeUsers(app, 10)
  const conversationId = await makeGroup(app, owner!, [bob!, ...crowd])
  const so = await connect(t, url, owner!)
  const ss = await connect(t, url, stranger!)
  const m = (await so.call('message:send', { conversationId, ...text('x') })).data
  const gone = (await so.call('message:send', { conversationId, ...text('gone') })).data
  await so.call('message:recall', { messageId: gone.id })
  const emojis = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙🥲😚🙂']
  t.equal(emojis.length, 20)
  // seven members, at most three emojis each
  for (const [i, e] of emojis.entries()) {
    const res = await app.inject({ method: 'PUT', url: `/api/conversations/${conversationId}/messages/${m.id as string}/reactions/${encodeURIComponent(e)}`, headers: crowd[Math.floor(i / 3)]!.auth })
    t.equal(res.statusCode, 200, e)
  }
  t.equal((await so.call('reaction:add', { messageId: m.id, emoji: '😀' })).ok, true, 'an existing emoji is still fine at 20')
  await refused(t, app, 'CONFLICT', 'a 21st emoji', async () => await so.call('reaction:add', { messageId: m.id, emoji: '🤔' }))
  await refused(t, app, 'VALIDATION', 'not an emoji', async () => await so.call('reaction:add', { messageId: m.id, emoji: 'lol' }))
  await refused(t, app, 'VALIDATION', 'two emojis', async () => await so.call('reaction:add', { messageId: m.id, emoji: '👍👍' }))
  await refused(t, app, 'VALIDATION', 'a 10 KB "emoji"', async () => await so.call('reaction:add', { messageId: m.id, emoji: '👍'.repeat(2560) }))
  await refused(t, app, 'VALIDATION', 'REST: not an emoji', async () => await app.inject({ method: 'PUT', url: `/api/conversations/${conversationId}/messages/${m.id}/reactions/abc`, headers: owner!.auth }))
  await refused(t, app, 'CONFLICT', 'a recalled message', async () => await so.call('reaction:add', { messageId: gone.id, emoji: '👍' }))
  await refused(t, app, 'NOT_FOUND', 'a non-member', async () => await ss.call('reaction:add', { messageId: m.id, emoji: '👍' }))
  await refused(t, app, 'NOT_FOUND', 'REST: a non-member', async () => await app.inject({ method: 'PUT', url: `/api/conversations/${conversationId}/messages/${m.id}/reactions/${encodeURIComponent('👍')}`, headers: stranger!.auth }))
})

t.test('reactions: many users reacting to one message at once lose nothing (run with TEST_SERVICES=1 for PostgreSQL)', async (t) => {
  const { app, url } = await listen(t)
  const users = await makeUsers(app, servicesMode ? 40 : 12)
  const [owner, ...rest] = users
  const conversationId = await makeGroup(app, owner!, rest)
  const sockets: Client[] = []
  for (const u of users) sockets.push(await connect(t, url, u))
  const m = (await sockets[0]!.call('message:send', { conversationId, ...text('popular') })).data
  const emojis = ['👍', '❤️', '🎉']
  // every user adds all three at once, and one of them twice
  const acks = await Promise.all(sockets.flatMap((s) => [...emojis, '👍'].map(async (emoji) => await s.call('reaction:add', { messageId: m.id, emoji }))))
  t.ok(acks.every((a) => a.ok === true), 'every add acked')
  const final = (await sockets[0]!.call('reaction:add', { messageId: m.id, emoji: '👍' })).data.reactions
  t.same(final.map((r: any) => [r.emoji, r.count]).sort(), emojis.map((e) => [e, users.length]).sort(), 'exact counts')
  t.equal(await app.prisma.messageReaction.count({ where: { messageId: m.id } }), users.length * 3)
  const conv = await app.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId } })
  // Group-committed: one rev per batch that changed the message, so at most one per reaction that changed something.
  t.ok(conv.lastRev > 1 && conv.lastRev <= 1 + users.length * 3, `one rev per batch, none for the repeats (${conv.lastRev - 1} for ${users.length * 3} reactions)`)
  const after = await sockets[0]!.call('reaction:add', { messageId: m.id, emoji: '👍' })
  t.equal((await app.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId } })).lastRev, conv.lastRev, 'a repeat takes no rev')
  t.ok(after.ok)
  // and all of them away at once
  await Promise.all(sockets.flatMap((s) => emojis.map(async (emoji) => await s.call('reaction:remove', { messageId: m.id, emoji }))))
  t.equal(await app.prisma.messageReaction.count({ where: { messageId: m.id } }), 0)
})

t.test('reactions: the 20-emoji limit holds when first uses of new emojis race (and removals with them)', async (t) => {
  const { app, url } = await listen(t)
  const users = await makeUsers(app, 8)
  const [owner, ...rest] = users
  const fillers = await makeUsers(app, 7)
  const conversationId = await makeGroup(app, owner!, [...rest, ...fillers])
  const sockets: Client[] = []
  for (const u of users) sockets.push(await connect(t, url, u))
  const m = (await sockets[0]!.call('message:send', { conversationId, ...text('nearly full') })).data
  // 19 emojis from members who take no part in the race (three each at most); the owner's is 😀
  const first = [...'😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙🥲😚']
  t.equal((await sockets[0]!.call('reaction:add', { messageId: m.id, emoji: '😀' })).ok, true)
  for (const [i, e] of first.entries()) {
    const res = await app.inject({ method: 'PUT', url: `/api/conversations/${conversationId}/messages/${m.id as string}/reactions/${encodeURIComponent(e)}`, headers: fillers[Math.floor(i / 3)]!.auth })
    t.equal(res.statusCode, 200, e)
  }
  const fresh = [...'🍎🍐🍊🍋🍌🍉🍇']
  const [removal, ...acks] = await Promise.all([
    sockets[0]!.call('reaction:remove', { messageId: m.id, emoji: '😀' }),
    ...fresh.map(async (emoji, i) => await sockets[i + 1]!.call('reaction:add', { messageId: m.id, emoji })),
    ...sockets.slice(1).map(async (s) => await s.call('reaction:add', { messageId: m.id, emoji: '😁' }))
  ])
  t.equal(removal.ok, true)
  const refusedAdds = acks.filter((a) => a.ok !== true)
  t.ok(refusedAdds.every((a) => a.error.code === 'CONFLICT'), 'refused adds are CONFLICT')
  const distinct = await app.prisma.messageReaction.groupBy({ by: ['emoji'], where: { messageId: m.id } })
  t.ok(distinct.length <= 20, `at most 20 distinct emojis (${distinct.length})`)
  t.equal(distinct.length, 20, 'and the free slots were used')
  t.equal(await app.prisma.messageReaction.count({ where: { messageId: m.id, emoji: '😁' } }), rest.length + 1, 'adds of an existing emoji never refused (the racers and the member who put it there)')
})
