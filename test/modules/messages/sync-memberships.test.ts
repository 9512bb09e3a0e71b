import t from 'tap'
import { randomUUID } from 'node:crypto'
import { listen } from '../../helper.js'
import type { App } from '../../../src/app.js'
import { connect, directPair, makeGroup, makeUsers, type User } from '../conversations/helpers.js'

async function post (app: App, user: User, conversationId: string, content: string): Promise<void> {
  const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: user.auth, payload: { clientMsgId: randomUUID(), type: 'text', content } })
  if (res.statusCode !== 201) throw new Error(res.body)
}

const ids = (data: any): string[] => data.joined.map((c: any) => c.id).sort()

t.test('a device without a token gets every membership not in its cursors, with messages from the start; later ones come once', async (t) => {
  const { app, url } = await listen(t)
  const { a, b, conversationId: direct } = await directPair(app)
  const known = await makeGroup(app, a, [b], 'known')
  const fresh = await makeGroup(app, a, [b], 'fresh')
  await post(app, a, direct, 'd1')
  await post(app, a, fresh, 'f1')
  await post(app, a, known, 'k1')
  const sb = await connect(t, url, b)

  const first = await sb.call('sync', { cursors: { [known]: 0 }, membershipsSince: null })
  t.equal(first.ok, true)
  t.same(ids(first.data), [direct, fresh].sort(), 'every membership but the listed one')
  t.match(first.data.joined.find((c: any) => c.id === fresh), { id: fresh, type: 'group', name: 'fresh', lastSeq: Number })
  t.same(first.data.messages.filter((m: any) => m.type === 'text').map((m: any) => m.content).sort(), ['d1', 'f1', 'k1'], 'their messages from the start')
  t.ok(first.data.messages.some((m: any) => m.conversationId === known), 'the listed conversation by its cursor as before')
  t.type(first.data.membershipsToken, 'string')
  t.equal(first.data.hasMore, false)
  t.ok(direct in first.data.revs && fresh in first.data.revs, 'a joined conversation has its rev position')

  const nothing = await sb.call('sync', { cursors: {}, membershipsSince: first.data.membershipsToken })
  t.same(nothing.data.joined, [], 'nothing joined since the token')
  t.equal(nothing.data.membershipsToken, first.data.membershipsToken)

  const later = await makeGroup(app, a, [b], 'later')
  await post(app, a, later, 'l1')
  const next = await sb.call('sync', { cursors: {}, membershipsSince: first.data.membershipsToken })
  t.same(ids(next.data), [later], 'the new membership')
  t.same(next.data.messages.filter((m: any) => m.type === 'text').map((m: any) => m.content), ['l1'])
  t.not(next.data.membershipsToken, first.data.membershipsToken)
  const again = await sb.call('sync', { cursors: {}, membershipsSince: next.data.membershipsToken })
  t.same(again.data.joined, [], 'and only once')
})

t.test('the request without the field is answered as before; a bad token changes nothing', async (t) => {
  const { app, url } = await listen(t)
  const { a, b, conversationId: direct } = await directPair(app)
  await makeGroup(app, a, [b])
  await post(app, a, direct, 'd1')
  const sb = await connect(t, url, b)
  const res = await sb.call('sync', { cursors: { [direct]: 0 } })
  t.same(Object.keys(res.data).sort(), ['hasMore', 'messages', 'revs', 'updated'], 'no membership fields')
  t.same(res.data.messages.map((m: any) => m.conversationId), [direct], 'only the listed conversation')
  t.same((await sb.call('sync', { cursors: {} })).data, { messages: [], updated: [], revs: {}, hasMore: false })
  for (const bad of ['x', '-1', '01', '1.5', 5, '99999999999', '2147483648']) {
    const r = await sb.call('sync', { cursors: {}, membershipsSince: bad })
    t.match(r, { ok: false, error: { code: 'VALIDATION' } }, `token ${JSON.stringify(bad)}`)
  }
  t.equal((await sb.call('sync', { cursors: {}, membershipsSince: '2147483647' })).data.joined.length, 0, 'the largest token is accepted')
})

t.test('a conversation left, removed from or banned from since the token is not returned', async (t) => {
  const { app, url } = await listen(t)
  const [owner, b] = await makeUsers(app, 2) as [User, User]
  const sb = await connect(t, url, b)
  const start = (await sb.call('sync', { cursors: {}, membershipsSince: null })).data.membershipsToken
  const left = await makeGroup(app, owner, [b], 'left')
  const removed = await makeGroup(app, owner, [b], 'removed')
  const banned = await makeGroup(app, owner, [b], 'banned')
  const stays = await makeGroup(app, owner, [b], 'stays')
  const call = async (method: 'DELETE' | 'PUT', path: string, user: User): Promise<void> => {
    const res = await app.inject({ method, url: `/api${path}`, headers: user.auth })
    if (res.statusCode >= 300) throw new Error(`${path}: ${res.statusCode} ${res.body}`)
  }
  await call('DELETE', `/groups/${left}/members/${b.id}`, b)
  await call('DELETE', `/groups/${removed}/members/${b.id}`, owner)
  await call('PUT', `/groups/${banned}/bans/${b.id}`, owner)
  const res = await sb.call('sync', { cursors: {}, membershipsSince: start })
  t.same(ids(res.data), [stays])
  t.notOk(res.data.messages.some((m: any) => m.conversationId !== stays), 'no messages of the others')
  const none = await sb.call('sync', { cursors: {}, membershipsSince: null })
  t.same(ids(none.data), [stays], 'nor without a token')
})

t.test('new memberships are bounded per answer, with hasMore, and paged by the token exactly', async (t) => {
  const { app } = await listen(t)
  const [owner, b] = await makeUsers(app, 2) as [User, User]
  const made: string[] = []
  for (let i = 0; i < 5; i++) made.push(await makeGroup(app, owner, [b], `g${i}`))
  const view = async (id: string) => await app.conversations.view(id, b.id)
  const seen: string[] = []
  let since: string | null = null
  for (let page = 0; page < 3; page++) {
    const res = await app.messages.sync(b.id, {}, 200, undefined, { since, max: 2, view })
    seen.push(...(res.joined ?? []).map((c) => c.id))
    t.equal(res.hasMore, page < 2, `page ${page} hasMore`)
    since = res.membershipsToken ?? null
  }
  t.same(seen, made, 'each once, in the order joined')
  const after = await app.messages.sync(b.id, {}, 200, undefined, { since, max: 2, view })
  t.same(after.joined, [])
  t.equal(after.hasMore, false)
})
