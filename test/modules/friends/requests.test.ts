import t from 'tap'
import { randomUUID } from 'node:crypto'
import { befriend, build, registerUser, type TestUser } from '../../helper.js'
import type { App } from '../../../src/app.js'
import { call, friendshipCount, graphRows, PUBLIC_USER_KEYS, REQUEST_KEYS, sendRequest } from './helpers.js'

const users = async (app: App, n: number): Promise<TestUser[]> => await Promise.all(Array.from({ length: n }, async () => await registerUser(app)))
const list = async (app: App, u: TestUser, direction?: string) =>
  await call(app, u, 'GET', `/api/friends/requests${direction === undefined ? '' : `?direction=${direction}`}`)
const act = async (app: App, u: TestUser, id: string, verb: 'accept' | 'decline') => await call(app, u, 'POST', `/api/friends/requests/${id}/${verb}`)
const cancel = async (app: App, u: TestUser, id: string) => await call(app, u, 'DELETE', `/api/friends/requests/${id}`)

t.test('POST /friends/requests creates a pending request with both public users', async (t) => {
  const app = await build(t)
  const [a, b] = await users(app, 2) as [TestUser, TestUser]
  const res = await sendRequest(app, a, b, 'hi, it is Ada')
  t.equal(res.statusCode, 201)
  const r = res.json()
  t.same(Object.keys(r).sort(), REQUEST_KEYS)
  t.match(r, { fromUserId: a.id, toUserId: b.id, message: 'hi, it is Ada', status: 'pending', respondedAt: null })
  t.same(Object.keys(r.from).sort(), PUBLIC_USER_KEYS, 'only public fields of the sender')
  t.same(Object.keys(r.to).sort(), PUBLIC_USER_KEYS)
  t.match(r.from, { id: a.id, username: a.username })
  t.match(r.to, { id: b.id, username: b.username })
  t.equal(new Date(r.createdAt).toISOString(), r.createdAt)
  const row = await app.prisma.friendRequest.findUniqueOrThrow({ where: { id: r.id } })
  t.match(row, { fromUserId: a.id, toUserId: b.id, status: 'pending', message: 'hi, it is Ada' }, 'stored')

  const noMessage = await sendRequest(app, b, (await users(app, 1))[0]!)
  t.equal(noMessage.statusCode, 201)
  t.equal(noMessage.json().message, null, 'message is optional')
  t.equal((await sendRequest(app, a, (await users(app, 1))[0]!, 'x'.repeat(200))).statusCode, 201, '200 characters are allowed')
})

t.test('GET /friends/requests lists pending requests only, newest first, incoming by default', async (t) => {
  const app = await build(t)
  const [me, x, y, z, w] = await users(app, 5) as [TestUser, TestUser, TestUser, TestUser, TestUser]
  const fromX = (await sendRequest(app, x, me)).json()
  const fromY = (await sendRequest(app, y, me)).json()
  const fromZ = (await sendRequest(app, z, me)).json()
  const toW = (await sendRequest(app, me, w)).json()
  t.equal((await act(app, me, fromZ.id, 'decline')).statusCode, 200)

  const incoming = await list(app, me)
  t.equal(incoming.statusCode, 200)
  t.same(incoming.json().map((r: any) => r.id), [fromY.id, fromX.id], 'newest first; the declined one is gone')
  t.same(Object.keys(incoming.json()[0]).sort(), REQUEST_KEYS)
  t.same((await list(app, me, 'incoming')).json(), incoming.json())
  t.same((await list(app, me, 'outgoing')).json().map((r: any) => r.id), [toW.id])
  t.same((await list(app, x, 'incoming')).json(), [], 'the sender has no incoming request')
  t.same((await list(app, x, 'outgoing')).json().map((r: any) => r.id), [fromX.id])

  for (const bad of ['sideways', 'INCOMING', '']) {
    const res = await list(app, me, bad)
    t.equal(res.statusCode, 400, `direction=${bad}`)
    t.equal(res.json().error.code, 'VALIDATION')
  }
})

t.test('sending refuses bad input with VALIDATION and writes nothing', async (t) => {
  const app = await build(t)
  const [a, b] = await users(app, 2) as [TestUser, TestUser]
  const before = await graphRows(app, a.id, b.id)
  const bodies: Array<[string, unknown]> = [
    ['empty object', {}],
    ['missing toUserId', { message: 'hi' }],
    ['extra field', { toUserId: b.id, extra: true }],
    ['extra status', { toUserId: b.id, status: 'accepted' }],
    ['toUserId a number', { toUserId: 42 }],
    ['toUserId null', { toUserId: null }],
    ['toUserId an array', { toUserId: [b.id] }],
    ['toUserId not a uuid', { toUserId: 'bob' }],
    ['toUserId uuid with junk', { toUserId: `${b.id}x` }],
    ['message a number', { toUserId: b.id, message: 5 }],
    ['message null', { toUserId: b.id, message: null }],
    ['message too long', { toUserId: b.id, message: 'x'.repeat(201) }],
    ['body an array', [{ toUserId: b.id }]],
    ['body a string', JSON.stringify(b.id)],
    ['malformed JSON', '{"toUserId": '],
    ['self-request', { toUserId: a.id }]
  ]
  for (const [what, body] of bodies) {
    const res = await call(app, a, 'POST', '/api/friends/requests', body)
    t.equal(res.statusCode, 400, what)
    t.equal(res.json().error?.code, 'VALIDATION', what)
  }
  const noBody = await app.inject({ method: 'POST', url: '/api/friends/requests', headers: a.auth })
  t.equal(noBody.statusCode, 400, 'no body')
  t.same(await graphRows(app, a.id, b.id), before, 'nothing written')
})

t.test('unknown user is NOT_FOUND; duplicates and existing friends are CONFLICT; nothing written', async (t) => {
  const app = await build(t)
  const [a, b, c] = await users(app, 3) as [TestUser, TestUser, TestUser]

  const unknown = await call(app, a, 'POST', '/api/friends/requests', { toUserId: randomUUID() })
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().error.code, 'NOT_FOUND')
  t.equal(await app.prisma.friendRequest.count({ where: { fromUserId: a.id } }), 0)

  t.equal((await sendRequest(app, a, b, 'first')).statusCode, 201)
  const rows = await graphRows(app, a.id, b.id)
  const dup = await sendRequest(app, a, b, 'second')
  t.equal(dup.statusCode, 409)
  t.equal(dup.json().error.code, 'CONFLICT')
  t.same(await graphRows(app, a.id, b.id), rows, 'the pending request is untouched')

  await befriend(app, a, c)
  const friendsRows = await graphRows(app, a.id, c.id)
  for (const [from, to] of [[a, c], [c, a]] as const) {
    const res = await sendRequest(app, from, to)
    t.equal(res.statusCode, 409, 'already friends')
    t.equal(res.json().error.code, 'CONFLICT')
  }
  t.same(await graphRows(app, a.id, c.id), friendsRows)
})

t.test('a request opposite to a pending one accepts it instead', async (t) => {
  const app = await build(t)
  const [a, b] = await users(app, 2) as [TestUser, TestUser]
  const first = (await sendRequest(app, a, b, 'hello')).json()
  const res = await sendRequest(app, b, a, 'oh hi')
  t.equal(res.statusCode, 201)
  const r = res.json()
  t.equal(r.id, first.id, 'the answer is the other user\'s request')
  t.match(r, { fromUserId: a.id, toUserId: b.id, status: 'accepted', message: 'hello' })
  t.type(r.respondedAt, 'string')
  t.equal(await friendshipCount(app, a.id, b.id), 2, 'friends both ways')
  t.equal(await app.prisma.friendRequest.count({ where: { fromUserId: b.id, toUserId: a.id } }), 0, 'no second request row')
  t.same((await list(app, b)).json(), [])
  t.same((await list(app, a, 'outgoing')).json(), [])
})

t.test('accept makes both users friends in one step; only the recipient, only while pending', async (t) => {
  const app = await build(t)
  const [a, b, c] = await users(app, 3) as [TestUser, TestUser, TestUser]
  const sent = (await sendRequest(app, a, b)).json()
  const before = await graphRows(app, a.id, b.id, c.id)

  for (const [who, user] of [['the sender', a], ['a third user', c]] as const) {
    const res = await act(app, user, sent.id, 'accept')
    t.equal(res.statusCode, 404, `${who} cannot accept`)
    t.equal(res.json().error.code, 'NOT_FOUND')
  }
  const unknown = await act(app, b, randomUUID(), 'accept')
  t.equal(unknown.statusCode, 404, 'unknown id')
  const badId = await act(app, b, 'not-a-uuid', 'accept')
  t.equal(badId.statusCode, 400, 'invalid id')
  t.equal(badId.json().error.code, 'VALIDATION')
  t.same(await graphRows(app, a.id, b.id, c.id), before, 'failed accepts wrote nothing')

  const res = await act(app, b, sent.id, 'accept')
  t.equal(res.statusCode, 200)
  t.same(Object.keys(res.json()).sort(), REQUEST_KEYS)
  t.match(res.json(), { id: sent.id, fromUserId: a.id, toUserId: b.id, status: 'accepted' })
  t.ok(new Date(res.json().respondedAt).getTime() >= new Date(sent.createdAt).getTime())
  const rows = await app.prisma.friendship.findMany({ where: { OR: [{ userId: a.id }, { userId: b.id }] } })
  t.equal(rows.length, 2)
  t.same(rows.map((f) => `${f.userId}>${f.friendId}`).sort(), [`${a.id}>${b.id}`, `${b.id}>${a.id}`].sort())
  t.equal(rows[0]!.createdAt.getTime(), rows[1]!.createdAt.getTime(), 'the same "since" both ways')

  const after = await graphRows(app, a.id, b.id)
  const again = await act(app, b, sent.id, 'accept')
  t.equal(again.statusCode, 409, 'accepting twice')
  t.equal(again.json().error.code, 'CONFLICT')
  t.equal((await act(app, b, sent.id, 'decline')).statusCode, 409, 'declining an accepted request')
  t.equal((await cancel(app, a, sent.id)).statusCode, 409, 'cancelling an accepted request')
  t.same(await graphRows(app, a.id, b.id), after, 'nothing changed')
})

t.test('decline: recipient only, pending only, no friendship', async (t) => {
  const app = await build(t)
  const [a, b, c] = await users(app, 3) as [TestUser, TestUser, TestUser]
  const sent = (await sendRequest(app, a, b)).json()
  const before = await graphRows(app, a.id, b.id)
  t.equal((await act(app, a, sent.id, 'decline')).statusCode, 404, 'the sender cannot decline')
  t.equal((await act(app, c, sent.id, 'decline')).statusCode, 404, 'a third user cannot decline')
  t.equal((await act(app, b, randomUUID(), 'decline')).statusCode, 404, 'unknown id')
  t.equal((await act(app, b, '123', 'decline')).statusCode, 400, 'invalid id')
  t.same(await graphRows(app, a.id, b.id), before)

  const res = await act(app, b, sent.id, 'decline')
  t.equal(res.statusCode, 200)
  t.match(res.json(), { id: sent.id, status: 'declined' })
  t.type(res.json().respondedAt, 'string')
  t.equal(await friendshipCount(app, a.id, b.id), 0)
  const again = await act(app, b, sent.id, 'decline')
  t.equal(again.statusCode, 409)
  t.equal(again.json().error.code, 'CONFLICT')
  t.equal((await act(app, b, sent.id, 'accept')).statusCode, 409, 'cannot accept after declining')
  t.equal(await friendshipCount(app, a.id, b.id), 0)
})

t.test('cancel: the sender withdraws a pending request', async (t) => {
  const app = await build(t)
  const [a, b, c] = await users(app, 3) as [TestUser, TestUser, TestUser]
  const sent = (await sendRequest(app, a, b)).json()
  const before = await graphRows(app, a.id, b.id)
  for (const [who, user] of [['the recipient', b], ['a third user', c]] as const) {
    const res = await cancel(app, user, sent.id)
    t.equal(res.statusCode, 404, `${who} cannot cancel`)
    t.equal(res.json().error.code, 'NOT_FOUND')
  }
  t.equal((await cancel(app, a, randomUUID())).statusCode, 404, 'unknown id')
  t.equal((await cancel(app, a, 'nope')).statusCode, 400, 'invalid id')
  t.same(await graphRows(app, a.id, b.id), before)

  const res = await cancel(app, a, sent.id)
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  t.equal((await app.prisma.friendRequest.findUniqueOrThrow({ where: { id: sent.id } })).status, 'cancelled')
  t.same((await list(app, b)).json(), [], 'gone from the recipient\'s list')
  t.equal((await cancel(app, a, sent.id)).statusCode, 409, 'cancelling twice')
  t.equal((await act(app, b, sent.id, 'accept')).statusCode, 409, 'a cancelled request cannot be accepted')
  t.equal(await friendshipCount(app, a.id, b.id), 0)
})

t.test('re-sending after a decline or cancel resets the pair\'s one row to pending', async (t) => {
  const app = await build(t)
  const [a, b] = await users(app, 2) as [TestUser, TestUser]
  const first = (await sendRequest(app, a, b, 'one')).json()
  await act(app, b, first.id, 'decline')
  await new Promise((resolve) => setTimeout(resolve, 5))
  const second = await sendRequest(app, a, b, 'two')
  t.equal(second.statusCode, 201)
  t.match(second.json(), { id: first.id, status: 'pending', message: 'two', respondedAt: null })
  t.ok(new Date(second.json().createdAt) > new Date(first.createdAt), 'a new createdAt')

  t.equal((await cancel(app, a, first.id)).statusCode, 204)
  const third = await sendRequest(app, a, b)
  t.equal(third.statusCode, 201)
  t.match(third.json(), { id: first.id, status: 'pending', message: null, respondedAt: null })
  t.equal(await app.prisma.friendRequest.count({ where: { fromUserId: a.id, toUserId: b.id } }), 1, 'still one row')
  t.same((await list(app, b)).json().map((r: any) => r.id), [first.id])
})

t.test('concurrent mutual requests end in exactly one friendship', async (t) => {
  const app = await build(t)
  for (let i = 0; i < 5; i++) {
    const [a, b] = await users(app, 2) as [TestUser, TestUser]
    const [x, y] = await Promise.all([sendRequest(app, a, b), sendRequest(app, b, a)])
    t.same([x.statusCode, y.statusCode], [201, 201], `round ${i}: both succeed`)
    t.equal(await friendshipCount(app, a.id, b.id), 2, `round ${i}: one friendship, stored both ways`)
    t.equal(await app.prisma.friendRequest.count({ where: { OR: [{ fromUserId: a.id }, { fromUserId: b.id }], status: 'pending' } }), 0, `round ${i}: nothing left pending`)
    t.same([x.json().status, y.json().status].sort(), ['accepted', 'pending'], `round ${i}: one sent, the other accepted it`)
  }
})

t.test('concurrent accept and decline: exactly one wins', async (t) => {
  const app = await build(t)
  for (let i = 0; i < 5; i++) {
    const [a, b] = await users(app, 2) as [TestUser, TestUser]
    const sent = (await sendRequest(app, a, b)).json()
    const results = await Promise.all([act(app, b, sent.id, 'accept'), act(app, b, sent.id, 'decline'), cancel(app, a, sent.id), act(app, b, sent.id, 'accept')])
    const wins = results.filter((r) => r.statusCode === 200 || r.statusCode === 204)
    t.equal(wins.length, 1, `round ${i}: one winner`)
    t.ok(results.every((r) => [200, 204, 409].includes(r.statusCode)), `round ${i}: the others are CONFLICT`)
    const status = (await app.prisma.friendRequest.findUniqueOrThrow({ where: { id: sent.id } })).status
    t.equal(await friendshipCount(app, a.id, b.id), status === 'accepted' ? 2 : 0, `round ${i}: friendship matches the final status ${status}`)
  }
})

t.test('every request route needs a token', async (t) => {
  const app = await build(t)
  const [a, b] = await users(app, 2) as [TestUser, TestUser]
  const sent = (await sendRequest(app, a, b)).json()
  const before = await graphRows(app, a.id, b.id)
  const routes: Array<[('GET' | 'POST' | 'DELETE'), string, unknown?]> = [
    ['POST', '/api/friends/requests', { toUserId: b.id }],
    ['GET', '/api/friends/requests'],
    ['POST', `/api/friends/requests/${sent.id}/accept`],
    ['POST', `/api/friends/requests/${sent.id}/decline`],
    ['DELETE', `/api/friends/requests/${sent.id}`]
  ]
  for (const [method, url, payload] of routes) {
    for (const [what, headers] of [['no header', {}], ['garbage token', { authorization: 'Bearer nope' }], ['no scheme', { authorization: b.accessToken }]] as const) {
      const res = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) })
      t.equal(res.statusCode, 401, `${method} ${url}: ${what}`)
      t.equal(res.json().error.code, 'UNAUTHORIZED')
    }
  }
  t.same(await graphRows(app, a.id, b.id), before, 'nothing changed')
})
