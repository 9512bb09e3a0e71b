import t from 'tap'
import { randomUUID } from 'node:crypto'
import { befriend, build, registerUser, type TestUser } from '../../helper.js'
import type { App } from '../../../src/app.js'
import { call, friendshipCount, graphRows, PUBLIC_USER_KEYS, sendRequest } from './helpers.js'

const users = async (app: App, n: number): Promise<TestUser[]> => await Promise.all(Array.from({ length: n }, async () => await registerUser(app)))

t.test('GET /friends lists friends by username with since and presence', async (t) => {
  const app = await build(t)
  const tag = `fr${Math.floor(Math.random() * 1e8)}`
  const me = await registerUser(app)
  const carol = await registerUser(app, `${tag}_carol`)
  const alice = await registerUser(app, `${tag}_alice`)
  const bob = await registerUser(app, `${tag}_bob`)
  const stranger = await registerUser(app, `${tag}_aaron`)
  await sendRequest(app, me, stranger)
  for (const f of [carol, alice, bob]) await befriend(app, me, f)

  const res = await call(app, me, 'GET', '/api/friends')
  t.equal(res.statusCode, 200)
  const list = res.json()
  t.same(list.map((f: any) => f.user.id), [alice.id, bob.id, carol.id], 'sorted by username; a pending request is not a friend')
  for (const f of list) {
    t.same(Object.keys(f).sort(), ['presence', 'since', 'user'])
    t.same(Object.keys(f.user).sort(), PUBLIC_USER_KEYS)
    t.same(f.presence, { online: false, lastSeenAt: null }, 'nobody is connected')
    const row = await app.prisma.friendship.findUniqueOrThrow({ where: { userId_friendId: { userId: me.id, friendId: f.user.id } } })
    t.equal(f.since, row.createdAt.toISOString())
  }
  t.same((await call(app, alice, 'GET', '/api/friends')).json().map((f: any) => f.user.id), [me.id], 'the other side sees it too')
  t.same((await call(app, stranger, 'GET', '/api/friends')).json(), [])
})

t.test('GET /friends/:userId tells friendship and blocks', async (t) => {
  const app = await build(t)
  const [me, friend, stranger, blocker, blocked] = await users(app, 5) as [TestUser, TestUser, TestUser, TestUser, TestUser]
  await befriend(app, me, friend)
  await call(app, blocker, 'POST', `/api/blocks/${me.id}`)
  await call(app, me, 'POST', `/api/blocks/${blocked.id}`)
  const get = async (id: string) => await call(app, me, 'GET', `/api/friends/${id}`)

  const f = await get(friend.id)
  t.equal(f.statusCode, 200)
  const since = (await app.prisma.friendship.findUniqueOrThrow({ where: { userId_friendId: { userId: me.id, friendId: friend.id } } })).createdAt
  t.same(f.json(), { isFriend: true, since: since.toISOString(), blocked: false, blockedBy: false })
  t.same((await get(stranger.id)).json(), { isFriend: false, blocked: false, blockedBy: false }, 'no since for a stranger')
  t.same((await get(blocker.id)).json(), { isFriend: false, blocked: false, blockedBy: true })
  t.same((await get(blocked.id)).json(), { isFriend: false, blocked: true, blockedBy: false })
  t.same((await call(app, blocked, 'GET', `/api/friends/${me.id}`)).json(), { isFriend: false, blocked: false, blockedBy: true })

  const unknown = await get(randomUUID())
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().error.code, 'NOT_FOUND')
  const bad = await get('someone')
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().error.code, 'VALIDATION')
})

t.test('DELETE /friends/:userId removes the friendship both ways', async (t) => {
  const app = await build(t)
  const [a, b, c] = await users(app, 3) as [TestUser, TestUser, TestUser]
  await befriend(app, a, b)
  await befriend(app, a, c)
  const res = await call(app, b, 'DELETE', `/api/friends/${a.id}`)
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  t.equal(await friendshipCount(app, a.id, b.id), 0, 'both rows gone')
  t.equal(await friendshipCount(app, a.id, c.id), 2, 'other friendships untouched')
  t.same((await call(app, a, 'GET', '/api/friends')).json().map((f: any) => f.user.id), [c.id])
  t.same((await call(app, a, 'GET', `/api/friends/${b.id}`)).json(), { isFriend: false, blocked: false, blockedBy: false })

  const before = await graphRows(app, a.id, b.id, c.id)
  const again = await call(app, a, 'DELETE', `/api/friends/${b.id}`)
  t.equal(again.statusCode, 404, 'not friends any more')
  t.equal(again.json().error.code, 'NOT_FOUND')
  t.equal((await call(app, b, 'DELETE', `/api/friends/${c.id}`)).statusCode, 404, 'never friends')
  t.equal((await call(app, a, 'DELETE', `/api/friends/${randomUUID()}`)).statusCode, 404, 'unknown user')
  t.equal((await call(app, a, 'DELETE', `/api/friends/${a.id}`)).statusCode, 404, 'yourself')
  const bad = await call(app, a, 'DELETE', '/api/friends/not-a-uuid')
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().error.code, 'VALIDATION')
  t.same(await graphRows(app, a.id, b.id, c.id), before, 'failed removals wrote nothing')

  const resent = await sendRequest(app, b, a, 'again?')
  t.equal(resent.statusCode, 201, 'a removed friend can be asked again')
  t.match(resent.json(), { status: 'pending', message: 'again?' })
})

t.test('friends routes need a token', async (t) => {
  const app = await build(t)
  const [a, b] = await users(app, 2) as [TestUser, TestUser]
  await befriend(app, a, b)
  const before = await graphRows(app, a.id, b.id)
  for (const [method, url] of [['GET', '/api/friends'], ['GET', `/api/friends/${b.id}`], ['DELETE', `/api/friends/${b.id}`]] as const) {
    for (const headers of [{}, { authorization: 'Bearer x.y.z' }]) {
      const res = await app.inject({ method, url, headers })
      t.equal(res.statusCode, 401, `${method} ${url}`)
      t.equal(res.json().error.code, 'UNAUTHORIZED')
    }
  }
  t.same(await graphRows(app, a.id, b.id), before)
})

t.test('the service helpers other modules use', async (t) => {
  const app = await build(t)
  const { friends } = app
  const [a, b, c, d] = await users(app, 4) as [TestUser, TestUser, TestUser, TestUser]
  await befriend(app, a, b)
  await befriend(app, c, a)
  t.same((await friends.friendIds(a.id)).sort(), [b.id, c.id].sort())
  t.same(await friends.friendIds(d.id), [])
  t.equal(await friends.isBlockedEitherWay(a.id, d.id), false)
  await call(app, d, 'POST', `/api/blocks/${a.id}`)
  t.equal(await friends.isBlockedEitherWay(a.id, d.id), true)
  t.equal(await friends.isBlockedEitherWay(d.id, a.id), true)
  t.equal(await friends.isBlockedEitherWay(a.id, b.id), false)
  t.match(await friends.relation(a.id, b.id), { isFriend: true, blocked: false, blockedBy: false })
})
