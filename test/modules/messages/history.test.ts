import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build, listen } from '../../helper.js'
import type { App } from '../../../src/app.js'
import { connect, directPair, makeGroup, makeUser, makeUsers, type User } from '../conversations/helpers.js'

async function fill (app: App, user: User, conversationId: string, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) {
    const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: user.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: `m${i}` } })
    if (res.statusCode !== 201) throw new Error(res.body)
  }
}

t.test('history pages backwards with before and forwards with after', async (t) => {
  const app = await build(t)
  const { a, b, conversationId } = await directPair(app)
  await fill(app, a, conversationId, 7)
  const get = async (query: string, user = b) => await app.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages${query}`, headers: user.auth })
  const seqs = (res: Awaited<ReturnType<typeof get>>) => res.json().messages.map((m: any) => m.seq)

  const latest = await get('?limit=3')
  t.equal(latest.statusCode, 200)
  t.same(seqs(latest), [7, 6, 5])
  t.equal(latest.json().hasMore, true)
  t.match(latest.json().messages[0], { id: String, conversationId, seq: 7, senderId: a.id, sender: { id: a.id, username: a.username }, type: 'text', content: 'm7', recalled: false, recalledAt: null, createdAt: String })
  t.same(seqs(await get('?before=5&limit=3')), [4, 3, 2])
  const oldest = await get('?before=2&limit=3')
  t.same(seqs(oldest), [1])
  t.equal(oldest.json().hasMore, false)
  t.same(seqs(await get('?after=0&limit=3')), [1, 2, 3])
  const tail = await get('?after=4&limit=3')
  t.same(seqs(tail), [5, 6, 7])
  t.equal(tail.json().hasMore, false)
  t.same(seqs(await get('?after=7')), [])
  t.same(seqs(await get('?after=1000')), [], 'a cursor beyond the end is just empty')
  t.equal(seqs(await get('')).length, 7, 'default limit covers it')

  for (const bad of ['?before=3&after=1', '?limit=0', '?limit=101', '?before=-1', '?after=x']) {
    const res = await get(bad)
    t.equal(res.statusCode, 400, bad)
    t.equal(res.json().error.code, 'VALIDATION')
  }
  const outsider = await makeUser(app)
  t.equal((await get('', outsider)).statusCode, 404)
  t.equal((await get('?after=0', outsider)).json().error.code, 'NOT_FOUND')
  t.equal((await app.inject({ method: 'GET', url: `/api/conversations/${randomUUID()}/messages`, headers: b.auth })).statusCode, 404)
})

t.test('an empty conversation has an empty history for members only', async (t) => {
  const app = await build(t)
  const [owner, x] = await makeUsers(app, 2)
  const groupId = await makeGroup(app, owner!, [])
  const mine = await app.inject({ method: 'GET', url: `/api/conversations/${groupId}/messages`, headers: owner!.auth })
  t.same(mine.json(), { messages: [], hasMore: false, historyStartsAt: 0 })
  const theirs = await app.inject({ method: 'GET', url: `/api/conversations/${groupId}/messages`, headers: x!.auth })
  t.equal(theirs.statusCode, 404)
})

t.test('sync returns what was missed after each cursor, for member conversations only', async (t) => {
  const { app, url } = await listen(t)
  const { a, b, conversationId: direct } = await directPair(app)
  const stranger = await makeUser(app)
  const group = await makeGroup(app, a, [b])
  const foreign = await makeGroup(app, stranger, [])
  await fill(app, a, direct, 5)
  await fill(app, a, group, 3)
  await fill(app, stranger, foreign, 2)
  const sb = await connect(t, url, b)

  const res = await sb.call('sync', { cursors: { [direct]: 3, [group]: 0, [foreign]: 0, [randomUUID()]: 0 } })
  t.equal(res.ok, true)
  const expected = [...[4, 5].map((seq) => [direct, seq]), ...[1, 2, 3].map((seq) => [group, seq])]
    .sort((x, y) => x[0] === y[0] ? (x[1] as number) - (y[1] as number) : String(x[0]) < String(y[0]) ? -1 : 1)
  t.same(res.data.messages.map((m: any) => [m.conversationId, m.seq]), expected, 'ordered by conversation, then seq; foreign ids skipped')
  t.equal(res.data.hasMore, false)
  t.match(res.data.messages[0], { sender: { id: a.id }, type: 'text', recalled: false })

  const limited = await sb.call('sync', { cursors: { [direct]: 0, [group]: 0 }, limit: 4 })
  t.equal(limited.data.messages.length, 4)
  t.equal(limited.data.hasMore, true)
  // continue from the last seen seq of each conversation
  const seen: Record<string, number> = { [direct]: 0, [group]: 0 }
  for (const m of limited.data.messages) seen[m.conversationId] = Math.max(seen[m.conversationId] ?? 0, m.seq)
  const rest = await sb.call('sync', { cursors: seen, limit: 4 })
  t.equal(limited.data.messages.length + rest.data.messages.length, 8)
  t.equal(rest.data.hasMore, false)

  t.same((await sb.call('sync', { cursors: {} })).data, { messages: [], updated: [], revs: {}, hasMore: false })
  t.same((await sb.call('sync', { cursors: { [direct]: 99 } })).data, { messages: [], updated: [], revs: { [direct]: 5 }, hasMore: false }, 'a cursor beyond the end is just empty (revs: v2)')
  const upper = await sb.call('sync', { cursors: { [direct.toUpperCase()]: 4 } })
  t.same(upper.data.messages.map((m: any) => m.seq), [5])

  const tooMany = Object.fromEntries(Array.from({ length: 101 }, () => [randomUUID(), 0]))
  const bad: unknown[] = [
    'x', [], null, {},
    { cursors: [] },
    { cursors: { 'not-a-uuid': 0 } },
    { cursors: { [direct]: -1 } },
    { cursors: { [direct]: '3' } },
    { cursors: { [direct]: 1.5 } },
    { cursors: tooMany },
    { cursors: {}, limit: 0 },
    { cursors: {}, limit: 501 },
    { cursors: {}, extra: true }
  ]
  for (const payload of bad) {
    const r = await sb.call('sync', payload)
    t.same([r.ok, r.error?.code], [false, 'VALIDATION'], JSON.stringify(payload).slice(0, 80))
  }
})
