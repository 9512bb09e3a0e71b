import t from 'tap'
import { listen, servicesMode } from '../../helper.js'
import { checkEmoji } from '../../../src/modules/conversations/reactions.js'
import { connect, makeGroup, makeUsers, settle, text, type Client } from './helpers.js'
import { refused } from './v2-helpers.js'

t.test('one emoji grapheme, at most 32 bytes', async (t) => {
  for (const ok of ['👍', '👍🏽', '❤️', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🇫🇷', '🏴󠁧󠁢󠁳󠁣󠁴󠁿']) t.equal(checkEmoji(ok), ok, ok)
  for (const bad of ['a', 'ok', '👍👍', '1', '#', ' 👍', '👍 ', '\u200d', '\ufe0f', '🇫', 'e\u0301', '😀'.repeat(9), '\u{1F468}\u200d'.repeat(6) + '\u{1F468}']) {
    t.throws(() => checkEmoji(bad), { code: 'VALIDATION' }, JSON.stringify(bad))
  }
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
  const [owner, bob, stranger] = await makeUsers(app, 3)
  const conversationId = await makeGroup(app, owner!, [bob!])
  const so = await connect(t, url, owner!)
  const ss = await connect(t, url, stranger!)
  const m = (await so.call('message:send', { conversationId, ...text('x') })).data
  const gone = (await so.call('message:send', { conversationId, ...text('gone') })).data
  await so.call('message:recall', { messageId: gone.id })
  const emojis = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙🥲😚🙂']
  t.equal(emojis.length, 20)
  for (const e of emojis) t.equal((await so.call('reaction:add', { messageId: m.id, emoji: e })).ok, true)
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
  t.equal(conv.lastRev, 1 + users.length * 3, 'one rev per reaction that changed something, none for the repeats')
  // and all of them away at once
  await Promise.all(sockets.flatMap((s) => emojis.map(async (emoji) => await s.call('reaction:remove', { messageId: m.id, emoji }))))
  t.equal(await app.prisma.messageReaction.count({ where: { messageId: m.id } }), 0)
})

t.test('reactions: the 20-emoji limit holds when first uses of new emojis race (and removals with them)', async (t) => {
  const { app, url } = await listen(t)
  const users = await makeUsers(app, 8)
  const [owner, ...rest] = users
  const conversationId = await makeGroup(app, owner!, rest)
  const sockets: Client[] = []
  for (const u of users) sockets.push(await connect(t, url, u))
  const m = (await sockets[0]!.call('message:send', { conversationId, ...text('nearly full') })).data
  const first = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙🥲😚']
  for (const e of first) t.equal((await sockets[0]!.call('reaction:add', { messageId: m.id, emoji: e })).ok, true)
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
  t.equal(await app.prisma.messageReaction.count({ where: { messageId: m.id, emoji: '😁' } }), users.length, 'adds of an existing emoji never refused')
})
