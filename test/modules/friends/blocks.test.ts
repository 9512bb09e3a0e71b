import t from 'tap'
import { randomUUID } from 'node:crypto'
import { befriend, build, registerUser, type TestUser } from '../../helper.js'
import type { App } from '../../../src/app.js'
import { call, friendshipCount, graphRows, PUBLIC_USER_KEYS, sendRequest } from './helpers.js'

const users = async (app: App, n: number): Promise<TestUser[]> => await Promise.all(Array.from({ length: n }, async () => await registerUser(app)))
const block = async (app: App, by: TestUser, id: string) => await call(app, by, 'POST', `/api/blocks/${id}`)
const unblock = async (app: App, by: TestUser, id: string) => await call(app, by, 'DELETE', `/api/blocks/${id}`)

t.test('POST /blocks/:userId blocks, idempotently', async (t) => {
  const app = await build(t)
  const [a, b] = await users(app, 2) as [TestUser, TestUser]
  const res = await block(app, a, b.id)
  t.equal(res.statusCode, 201)
  t.same(Object.keys(res.json()).sort(), ['createdAt', 'userId'])
  t.equal(res.json().userId, b.id)
  const row = await app.prisma.block.findUniqueOrThrow({ where: { blockerId_blockedId: { blockerId: a.id, blockedId: b.id } } })
  t.equal(res.json().createdAt, row.createdAt.toISOString())

  const again = await block(app, a, b.id)
  t.equal(again.statusCode, 200, 'already blocked')
  t.same(again.json(), res.json(), 'the original block')
  t.equal(await app.prisma.block.count({ where: { blockerId: a.id } }), 1)

  const back = await block(app, b, a.id)
  t.equal(back.statusCode, 201, 'the blocked user may block back')
  t.equal(await app.prisma.block.count({ where: { OR: [{ blockerId: a.id }, { blockerId: b.id }] } }), 2)
})

t.test('blocking ends the friendship and pending requests both ways, in one step', async (t) => {
  const app = await build(t)
  const [a, b, c, d, e] = await users(app, 5) as [TestUser, TestUser, TestUser, TestUser, TestUser]
  await befriend(app, a, b)
  const toC = (await sendRequest(app, a, c)).json()
  const fromD = (await sendRequest(app, d, a)).json()
  await befriend(app, a, e)

  for (const other of [b, c, d]) t.equal((await block(app, a, other.id)).statusCode, 201)
  t.equal(await friendshipCount(app, a.id, b.id), 0, 'friendship gone both ways')
  t.equal(await friendshipCount(app, a.id, e.id), 2, 'other friends untouched')
  t.match(await app.prisma.friendRequest.findUniqueOrThrow({ where: { id: toC.id } }), { status: 'cancelled' }, 'my request withdrawn')
  t.match(await app.prisma.friendRequest.findUniqueOrThrow({ where: { id: fromD.id } }), { status: 'declined' }, 'their request refused')
  t.same((await call(app, c, 'GET', '/api/friends/requests')).json(), [])
  t.same((await call(app, d, 'GET', '/api/friends/requests?direction=outgoing')).json(), [])
  t.same((await call(app, b, 'GET', '/api/friends')).json(), [])
})

t.test('a block in either direction refuses requests with the same FORBIDDEN and writes nothing', async (t) => {
  const app = await build(t)
  const [a, b] = await users(app, 2) as [TestUser, TestUser]
  await block(app, a, b.id)
  const before = await graphRows(app, a.id, b.id)
  const fromBlocker = await sendRequest(app, a, b)
  const fromBlocked = await sendRequest(app, b, a)
  t.equal(fromBlocker.statusCode, 403)
  t.equal(fromBlocked.statusCode, 403)
  t.equal(fromBlocked.json().error.code, 'FORBIDDEN')
  t.same(fromBlocked.json(), fromBlocker.json(), 'the same answer: nobody learns who blocked whom')
  t.same(await graphRows(app, a.id, b.id), before, 'nothing written')

  t.equal((await unblock(app, a, b.id)).statusCode, 204)
  t.equal((await sendRequest(app, b, a)).statusCode, 201, 'requests work again after unblocking')
})

t.test('block input errors: yourself, unknown, invalid id', async (t) => {
  const app = await build(t)
  const [a] = await users(app, 1) as [TestUser]
  const before = await graphRows(app, a.id)
  const self = await block(app, a, a.id)
  t.equal(self.statusCode, 400)
  t.equal(self.json().error.code, 'VALIDATION')
  const unknown = randomUUID()
  const missing = await block(app, a, unknown)
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().error.code, 'NOT_FOUND')
  const bad = await block(app, a, 'bob')
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().error.code, 'VALIDATION')
  t.same(await graphRows(app, a.id, unknown), before, 'nothing written')
})

t.test('DELETE /blocks/:userId lifts my block only; friendship is not restored', async (t) => {
  const app = await build(t)
  const [a, b] = await users(app, 2) as [TestUser, TestUser]
  await befriend(app, a, b)
  await block(app, a, b.id)

  const before = await graphRows(app, a.id, b.id)
  const byBlocked = await unblock(app, b, a.id)
  t.equal(byBlocked.statusCode, 404, 'the blocked user cannot lift it')
  t.equal(byBlocked.json().error.code, 'NOT_FOUND')
  t.equal((await unblock(app, a, randomUUID())).statusCode, 404, 'unknown user')
  t.equal((await unblock(app, a, 'x')).statusCode, 400, 'invalid id')
  t.same(await graphRows(app, a.id, b.id), before, 'nothing changed')

  const res = await unblock(app, a, b.id)
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  t.equal(await app.prisma.block.count({ where: { blockerId: a.id } }), 0)
  t.equal(await friendshipCount(app, a.id, b.id), 0, 'still not friends')
  t.equal((await unblock(app, a, b.id)).statusCode, 404, 'not blocked any more')
})

t.test('GET /blocks lists the users I block, most recent first', async (t) => {
  const app = await build(t)
  const [a, b, c, d] = await users(app, 4) as [TestUser, TestUser, TestUser, TestUser]
  await block(app, a, b.id)
  await new Promise((resolve) => setTimeout(resolve, 5))
  await block(app, a, c.id)
  await block(app, d, a.id)
  const res = await call(app, a, 'GET', '/api/blocks')
  t.equal(res.statusCode, 200)
  t.same(res.json().map((x: any) => x.user.id), [c.id, b.id], 'not the user who blocks me')
  for (const x of res.json()) {
    t.same(Object.keys(x).sort(), ['createdAt', 'user'])
    t.same(Object.keys(x.user).sort(), PUBLIC_USER_KEYS)
  }
  t.same((await call(app, b, 'GET', '/api/blocks')).json(), [])
})

t.test('block routes need a token', async (t) => {
  const app = await build(t)
  const [a, b] = await users(app, 2) as [TestUser, TestUser]
  const before = await graphRows(app, a.id, b.id)
  for (const [method, url] of [['POST', `/api/blocks/${b.id}`], ['DELETE', `/api/blocks/${b.id}`], ['GET', '/api/blocks']] as const) {
    for (const headers of [{}, { authorization: 'Bearer x.y.z' }]) {
      const res = await app.inject({ method, url, headers })
      t.equal(res.statusCode, 401, `${method} ${url}`)
      t.equal(res.json().error.code, 'UNAUTHORIZED')
    }
  }
  t.same(await graphRows(app, a.id, b.id), before)
})
