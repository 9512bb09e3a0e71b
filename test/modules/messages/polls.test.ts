import t from 'tap'
import { randomUUID } from 'node:crypto'
import { listen } from '../../helper.js'
import { connect, makeGroup, makeUsers, text, type Client, type User } from '../conversations/helpers.js'
import { refused } from '../conversations/refusals.js'

type App = Awaited<ReturnType<typeof listen>>['app']

const poll = (content: Record<string, unknown>) => ({ clientMsgId: randomUUID(), type: 'poll', content })
const basic = { question: 'Lunch?', options: ['Pizza', 'Sushi', 'Salad'] }

/** Sends a poll; its ack with the stored rev. */
async function send (s: Client, conversationId: string, content: Record<string, unknown>, app?: App): Promise<any> {
  const ack = await s.call('message:send', { conversationId, ...poll(content) })
  if (!ack.ok) throw new Error(JSON.stringify(ack.error))
  return app === undefined ? ack.data : { ...ack.data, rev: (await app.prisma.message.findUniqueOrThrow({ where: { id: ack.data.id } })).rev }
}

const rest = async (app: App, method: string, path: string, user: User, payload?: unknown) =>
  await app.inject({ method: method as 'PUT', url: `/api${path}`, headers: user.auth, ...(payload === undefined ? {} : { payload: payload as any }) })

async function votesInDb (app: App, messageId: string): Promise<number[]> {
  const rows = await app.prisma.pollVote.findMany({ where: { messageId } })
  const counts = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
  for (const r of rows) counts[r.optionIndex]!++
  return counts
}

t.test('a poll is sent, validated, previewed; not edited, not forwarded; replies work', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await makeUsers(app, 2)
  const g = await makeGroup(app, a!, [b!])
  const sa = await connect(t, url, a!)
  const sb = await connect(t, url, b!)
  const created = sb.waitFor('message:new')
  const m = await send(sa, g, { ...basic, multiple: false, anonymous: false })
  const [seen] = await created
  t.match(seen, { type: 'poll', content: basic, poll: { counts: [0, 0, 0], voters: 0, closed: false, closedAt: null, closedBy: null, votes: { 0: [], 1: [], 2: [] } } })

  const bad: Array<[string, unknown]> = [
    ['one option', { question: 'q', options: ['a'] }],
    ['eleven options', { question: 'q', options: Array.from({ length: 11 }, (_, i) => `o${i}`) }],
    ['duplicates after NFC and trim', { question: 'q', options: ['caf\u00e9', ' cafe\u0301 '] }],
    ['NUL in an option', { question: 'q', options: ['a\u0000', 'b'] }],
    ['bidi override in an option', { question: 'q', options: ['\u202Eab', 'b'] }],
    ['zero-width only option', { question: 'q', options: ['\u200b\u200b', 'b'] }],
    ['newline in an option', { question: 'q', options: ['a\nb', 'b'] }],
    ['NUL in the question', { question: 'q\u0000', options: ['a', 'b'] }],
    ['blank question', { question: '  ', options: ['a', 'b'] }],
    ['question of 301 characters', { question: 'é'.repeat(301), options: ['a', 'b'] }],
    ['option of 101 characters', { question: 'q', options: ['x'.repeat(101), 'b'] }],
    ['closesAt in the past', { question: 'q', options: ['a', 'b'], closesAt: '2020-01-01T00:00:00Z' }],
    ['closesAt beyond a year', { question: 'q', options: ['a', 'b'], closesAt: new Date(Date.now() + 400 * 86400_000).toISOString() }],
    ['closesAt not a date', { question: 'q', options: ['a', 'b'], closesAt: 'tomorrow' }],
    ['an extra field', { question: 'q', options: ['a', 'b'], extra: 1 }],
    ['options not strings', { question: 'q', options: [1, 2] }],
    ['not an object', 'poll']
  ]
  for (const [what, content] of bad) {
    await refused(t, app, 'VALIDATION', what, async () => await sa.call('message:send', { conversationId: g, clientMsgId: randomUUID(), type: 'poll', content }))
  }
  t.ok((await send(sa, g, { question: 'ten', options: Array.from({ length: 10 }, (_, i) => `o${i}`), closesAt: new Date(Date.now() + 86400_000).toISOString() })).id, 'ten options and a closesAt are fine')

  await refused(t, app, 'VALIDATION', 'edit', async () => await sa.call('message:edit', { messageId: m.id, content: { ...basic, question: 'Dinner?' } }))
  await refused(t, app, 'VALIDATION', 'forward', async () => await sb.call('message:send', { conversationId: g, clientMsgId: randomUUID(), forwardOf: m.id }))
  const reply = await sb.call('message:send', { conversationId: g, ...text('pizza!'), replyTo: m.id })
  t.equal(reply.ok, true)
  const history = (await rest(app, 'GET', `/conversations/${g}/messages`, a!)).json().messages
  t.match(history.find((x: any) => x.id === reply.data.id).replyTo, { type: 'poll', preview: '[poll] Lunch?' })
  const list = (await rest(app, 'GET', '/conversations', b!)).json()
  const conv = (Array.isArray(list) ? list : list.conversations).find((c: any) => c.id === g)
  t.equal(conv.lastMessage.type, 'text')
})

t.test('vote, change, retract; single vs multiple; bad indexes; results reach every member', async (t) => {
  const { app, url } = await listen(t)
  const [a, b, c] = await makeUsers(app, 3)
  const g = await makeGroup(app, a!, [b!, c!])
  const sa = await connect(t, url, a!)
  const sb = await connect(t, url, b!)
  const single = await send(sa, g, basic, app)
  const multi = await send(sa, g, { ...basic, multiple: true })

  const updated = sa.waitFor('message:updated')
  const v1 = await sb.call('poll:vote', { messageId: single.id, optionIndexes: [1] })
  t.match(v1.data, { poll: { counts: [0, 1, 0], voters: 1, votes: { 1: [b!.id] } }, myVotes: [1] })
  const [u] = await updated
  t.match(u, { id: single.id, poll: { counts: [0, 1, 0] } })
  t.ok(u.rev > single.rev, 'the rev moved')

  t.match((await sb.call('poll:vote', { messageId: single.id, optionIndexes: [2] })).data, { poll: { counts: [0, 0, 1], voters: 1 }, myVotes: [2] }, 'changed')
  const again = await rest(app, 'PUT', `/messages/${single.id}/poll/vote`, b!, { optionIndexes: [2] })
  t.equal(again.statusCode, 200, 'the same vote again is a no-op')
  t.equal((await app.prisma.message.findUniqueOrThrow({ where: { id: single.id } })).rev, u.rev + 1, 'no rev for a no-op')
  t.match((await rest(app, 'PUT', `/messages/${single.id}/poll/vote`, c!, { optionIndexes: [2] })).json(), { poll: { counts: [0, 0, 2], voters: 2 }, myVotes: [2] })
  t.match((await sb.call('poll:vote', { messageId: single.id, optionIndexes: [] })).data, { poll: { counts: [0, 0, 1], voters: 1 }, myVotes: [] }, 'retracted')

  await refused(t, app, 'VALIDATION', 'two in single choice', async () => await sb.call('poll:vote', { messageId: single.id, optionIndexes: [0, 1] }))
  await refused(t, app, 'VALIDATION', 'index past the options', async () => await sb.call('poll:vote', { messageId: single.id, optionIndexes: [3] }))
  await refused(t, app, 'VALIDATION', 'negative index', async () => await sb.call('poll:vote', { messageId: single.id, optionIndexes: [-1] }))
  await refused(t, app, 'VALIDATION', 'duplicate index', async () => await sb.call('poll:vote', { messageId: multi.id, optionIndexes: [1, 1] }))
  const plain = (await sa.call('message:send', { conversationId: g, ...text('x') })).data
  await refused(t, app, 'VALIDATION', 'not a poll', async () => await sb.call('poll:vote', { messageId: plain.id, optionIndexes: [0] }))

  t.match((await sb.call('poll:vote', { messageId: multi.id, optionIndexes: [0, 2] })).data, { poll: { counts: [1, 0, 1], voters: 1, votes: { 0: [b!.id], 2: [b!.id] } }, myVotes: [0, 2] })
  t.match((await sa.call('poll:vote', { messageId: multi.id, optionIndexes: [2, 1, 0] })).data, { poll: { counts: [2, 1, 2], voters: 2 }, myVotes: [0, 1, 2] })
  t.same((await votesInDb(app, multi.id)).slice(0, 3), [2, 1, 2])
})

t.test('anonymous polls never say who voted what', async (t) => {
  const { app, url } = await listen(t)
  const [a, b, c] = await makeUsers(app, 3)
  const g = await makeGroup(app, a!, [b!, c!])
  const sa = await connect(t, url, a!)
  const sb = await connect(t, url, b!)
  const m = await send(sa, g, { ...basic, anonymous: true })
  const updated = sa.waitFor('message:updated')
  const ack = (await sb.call('poll:vote', { messageId: m.id, optionIndexes: [0] })).data
  t.same(ack.myVotes, [0], 'the voter learns their own choice')
  t.notOk('votes' in ack.poll)
  const seen: unknown[] = [ack.poll, (await updated)[0]]
  seen.push((await rest(app, 'GET', `/conversations/${g}/messages`, a!)).json())
  seen.push((await sa.call('sync', { cursors: { [g]: 0 }, revs: { [g]: 0 } })).data)
  seen.push((await rest(app, 'GET', `/messages/${m.id}/poll`, a!)).json())
  const list = (await rest(app, 'GET', '/conversations', a!)).json()
  seen.push((Array.isArray(list) ? list : list.conversations).find((c: any) => c.id === g).lastMessage)
  seen.push((await rest(app, 'GET', `/search/messages?q=Lunch&conversationId=${g}`, a!)).json())
  for (const s of seen) t.notOk(JSON.stringify(s).includes(b!.id), 'no voter id anywhere')
  t.same((await rest(app, 'GET', `/messages/${m.id}/poll`, a!)).json().myVotes, [], 'others see only their own (none)')
  t.same((await rest(app, 'GET', `/messages/${m.id}/poll`, b!)).json(), { poll: { counts: [1, 0, 0], voters: 1, closed: false, closedAt: null, closedBy: null }, myVotes: [0] })
})

t.test('closing: the creator or an admin; others FORBIDDEN; closed and expired polls refuse votes', async (t) => {
  const { app, url } = await listen(t)
  const [owner, admin, creator, member] = await makeUsers(app, 4)
  const g = await makeGroup(app, owner!, [admin!, creator!, member!])
  t.equal((await rest(app, 'PUT', `/groups/${g}/members/${admin!.id}/role`, owner!, { role: 'admin' })).statusCode, 200)
  const sc = await connect(t, url, creator!)
  const sm = await connect(t, url, member!)
  const p1 = await send(sc, g, basic)
  const p2 = await send(sc, g, basic)
  const p3 = await send(sc, g, basic)
  await refused(t, app, 'FORBIDDEN', 'a plain member', async () => await sm.call('poll:close', { messageId: p1.id }))
  const closed = await sc.call('poll:close', { messageId: p1.id })
  t.match(closed.data, { id: p1.id, poll: { closed: true, closedBy: creator!.id } })
  t.ok(closed.data.poll.closedAt)
  await refused(t, app, 'CONFLICT', 'vote on a closed poll', async () => await sm.call('poll:vote', { messageId: p1.id, optionIndexes: [0] }))
  await refused(t, app, 'CONFLICT', 'closed twice', async () => await sc.call('poll:close', { messageId: p1.id }))
  t.match((await rest(app, 'POST', `/messages/${p2.id}/poll/close`, admin!)).json(), { poll: { closed: true, closedBy: admin!.id } })
  t.match((await rest(app, 'POST', `/messages/${p3.id}/poll/close`, owner!)).json(), { poll: { closed: true, closedBy: owner!.id } })

  const soon = await send(sc, g, { ...basic, closesAt: new Date(Date.now() + 1500).toISOString() })
  t.equal((await sm.call('poll:vote', { messageId: soon.id, optionIndexes: [0] })).ok, true)
  await new Promise((resolve) => setTimeout(resolve, 1600))
  await refused(t, app, 'CONFLICT', 'vote after closesAt', async () => await sm.call('poll:vote', { messageId: soon.id, optionIndexes: [1] }))
  t.match((await rest(app, 'GET', `/messages/${soon.id}/poll`, member!)).json(), { poll: { closed: true, closedBy: null, counts: [1, 0, 0] }, myVotes: [0] })
})

t.test('refusals: strangers, removed members, recalled polls', async (t) => {
  const { app, url } = await listen(t)
  const [a, b, stranger] = await makeUsers(app, 3)
  const g = await makeGroup(app, a!, [b!])
  const sa = await connect(t, url, a!)
  const ss = await connect(t, url, stranger!)
  const m = await send(sa, g, basic)
  await refused(t, app, 'NOT_FOUND', 'stranger votes', async () => await ss.call('poll:vote', { messageId: m.id, optionIndexes: [0] }))
  await refused(t, app, 'NOT_FOUND', 'stranger closes', async () => await ss.call('poll:close', { messageId: m.id }))
  await refused(t, app, 'NOT_FOUND', 'stranger reads', async () => await rest(app, 'GET', `/messages/${m.id}/poll`, stranger!))
  await refused(t, app, 'NOT_FOUND', 'unknown poll', async () => await rest(app, 'PUT', `/messages/${randomUUID()}/poll/vote`, a!, { optionIndexes: [0] }))
  t.equal((await rest(app, 'DELETE', `/groups/${g}/members/${b!.id}`, a!)).statusCode < 300, true)
  await refused(t, app, 'NOT_FOUND', 'removed member votes', async () => await rest(app, 'PUT', `/messages/${m.id}/poll/vote`, b!, { optionIndexes: [0] }))
  t.equal((await sa.call('message:recall', { messageId: m.id })).ok, true)
  await refused(t, app, 'CONFLICT', 'recalled poll', async () => await sa.call('poll:vote', { messageId: m.id, optionIndexes: [0] }))
  const recalled = (await rest(app, 'GET', `/conversations/${g}/messages`, a!)).json().messages.find((x: any) => x.id === m.id)
  t.equal(recalled.content, null)
  t.notOk('poll' in recalled, 'no results once recalled')
})

t.test('20 members voting at once: counts are exact, sync by rev delivers the results', async (t) => {
  const { app, url } = await listen(t)
  const users = await makeUsers(app, 21)
  const [a, ...voters] = users as [User, ...User[]]
  const g = await makeGroup(app, a, voters)
  const sa = await connect(t, url, a)
  const m = await send(sa, g, { ...basic, multiple: true }, app)
  const sockets = await Promise.all(voters.map(async (u) => await connect(t, url, u)))
  const choices = voters.map((_, i) => i % 3 === 0 ? [0, 1] : [i % 3])
  const acks = await Promise.all(sockets.map(async (s, i) => await s.call('poll:vote', { messageId: m.id, optionIndexes: choices[i] })))
  t.ok(acks.every((x) => x.ok), 'every vote accepted')
  const expected = [0, 0, 0]
  for (const c of choices) for (const i of c) expected[i]!++
  const db = await votesInDb(app, m.id)
  t.same(db.slice(0, 3), expected, 'the votes table')
  const synced = (await sa.call('sync', { cursors: { [g]: m.seq }, revs: { [g]: m.rev } })).data
  const latest = synced.updated.find((x: any) => x.id === m.id)
  t.same(latest.poll.counts, expected, 'sync by rev: counts == the votes table')
  t.equal(latest.poll.voters, 20)
  t.equal(synced.revs[g], m.rev + 20, 'one rev per vote')
})

t.test('channels: members vote, owner and admins close; bots vote like members', async (t) => {
  const { app, url } = await listen(t)
  const [owner, member] = await makeUsers(app, 2)
  const channel = (await rest(app, 'POST', '/channels', owner!, { name: `polls ${randomUUID().slice(0, 6)}` })).json().id as string
  t.equal((await rest(app, 'POST', `/channels/${channel}/join`, member!)).statusCode < 300, true)
  const so = await connect(t, url, owner!)
  const sm = await connect(t, url, member!)
  const m = await send(so, channel, basic)
  const updated = so.waitFor('message:updated')
  t.match((await sm.call('poll:vote', { messageId: m.id, optionIndexes: [0] })).data, { poll: { counts: [1, 0, 0] }, myVotes: [0] })
  t.match((await updated)[0], { id: m.id, poll: { counts: [1, 0, 0], votes: { 0: [member!.id] } } }, 'the channel\'s room gets the results')
  await refused(t, app, 'FORBIDDEN', 'a channel member closes the owner\'s poll', async () => await sm.call('poll:close', { messageId: m.id }))
  t.match((await so.call('poll:close', { messageId: m.id })).data, { poll: { closed: true, closedBy: owner!.id } })

  const g = await makeGroup(app, owner!, [member!])
  const created = (await rest(app, 'POST', '/bots', owner!, { username: `pollbot_${randomUUID().slice(0, 6)}`, displayName: 'Poll bot' })).json()
  t.equal((await rest(app, 'POST', `/groups/${g}/members`, owner!, { userIds: [created.bot.id] })).statusCode < 300, true)
  const p = await send(so, g, basic)
  const bot = await app.inject({ method: 'PUT', url: `/api/messages/${p.id as string}/poll/vote`, headers: { authorization: `Bot ${created.token as string}` }, payload: { optionIndexes: [2] } })
  t.equal(bot.statusCode, 200, bot.body)
  t.match(bot.json(), { poll: { counts: [0, 0, 1], votes: { 2: [created.bot.id] } }, myVotes: [2] })
})
