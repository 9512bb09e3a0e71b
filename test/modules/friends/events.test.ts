import t from 'tap'
import { listen, registerUser, type TestUser } from '../../helper.js'
import type { App } from '../../../src/app.js'
import { call, connect, sendRequest, settle } from './helpers.js'

const FRIEND_EVENTS = ['friend:request', 'friend:accepted', 'friend:removed']

const users = async (app: App, n: number): Promise<TestUser[]> => await Promise.all(Array.from({ length: n }, async () => await registerUser(app)))
const friendEvents = (events: Array<{ event: string, payload: any }>) => events.filter((e) => FRIEND_EVENTS.includes(e.event) || e.event.includes('block'))

t.test('friend:request reaches every device of the recipient only', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await users(app, 2) as [TestUser, TestUser]
  const [sa, sb1, sb2] = [await connect(t, url, a), await connect(t, url, b), await connect(t, url, b)]
  const res = await sendRequest(app, a, b, 'hey')
  t.equal(res.statusCode, 201)
  for (const s of [sb1, sb2]) {
    const [payload] = await s.waitFor('friend:request')
    t.same(payload, res.json(), 'the request, as the REST answer')
  }
  await settle()
  t.same(friendEvents(sa.events), [], 'the sender is not told')
})

t.test('friend:accepted tells the sender who accepted, and the accepter\'s devices who the new friend is', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await users(app, 2) as [TestUser, TestUser]
  const [sa, sb] = [await connect(t, url, a), await connect(t, url, b)]
  const sent = (await sendRequest(app, a, b)).json()
  const res = await call(app, b, 'POST', `/api/friends/requests/${sent.id as string}/accept`)
  t.equal(res.statusCode, 200)
  const [toSender] = await sa.waitFor('friend:accepted')
  t.same(toSender, { userId: b.id, request: res.json() })
  const [toAccepter] = await sb.waitFor('friend:accepted')
  t.same(toAccepter, { userId: a.id, request: res.json() })
})

t.test('a mutual request is announced as an acceptance, not as a new request', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await users(app, 2) as [TestUser, TestUser]
  const sa = await connect(t, url, a)
  await sendRequest(app, a, b)
  const res = await sendRequest(app, b, a)
  t.equal(res.json().status, 'accepted')
  const [payload] = await sa.waitFor('friend:accepted')
  t.same(payload, { userId: b.id, request: res.json() })
  await settle()
  t.same(sa.of('friend:request'), [], 'no friend:request to the original sender')
})

t.test('declining and cancelling are silent', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await users(app, 2) as [TestUser, TestUser]
  const [sa, sb] = [await connect(t, url, a), await connect(t, url, b)]
  const sent = (await sendRequest(app, a, b)).json()
  t.equal((await call(app, b, 'POST', `/api/friends/requests/${sent.id as string}/decline`)).statusCode, 200)
  await settle()
  t.same(friendEvents(sa.events), [], 'the sender is not told about the decline')

  const again = (await sendRequest(app, a, b)).json()
  await sb.waitFor('friend:request', 2)
  t.equal((await call(app, a, 'DELETE', `/api/friends/requests/${again.id as string}`)).statusCode, 204)
  await settle()
  t.same(friendEvents(sb.events).map((e) => e.event), ['friend:request', 'friend:request'], 'the recipient gets nothing on cancel')
})

t.test('friend:removed goes to both sides on removal', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await users(app, 2) as [TestUser, TestUser]
  const sent = (await sendRequest(app, a, b)).json()
  await call(app, b, 'POST', `/api/friends/requests/${sent.id as string}/accept`)
  const [sa, sb] = [await connect(t, url, a), await connect(t, url, b)]
  t.equal((await call(app, a, 'DELETE', `/api/friends/${b.id}`)).statusCode, 204)
  t.same(await sb.waitFor('friend:removed'), [{ userId: a.id }])
  t.same(await sa.waitFor('friend:removed'), [{ userId: b.id }])
})

t.test('a block looks like a removal to the blocked side, and nothing when they were not friends', async (t) => {
  const { app, url } = await listen(t)
  const [a, b, c] = await users(app, 3) as [TestUser, TestUser, TestUser]
  const sent = (await sendRequest(app, a, b)).json()
  await call(app, b, 'POST', `/api/friends/requests/${sent.id as string}/accept`)
  const [sa, sb, sc] = [await connect(t, url, a), await connect(t, url, b), await connect(t, url, c)]

  t.equal((await call(app, a, 'POST', `/api/blocks/${b.id}`)).statusCode, 201)
  await sb.waitFor('friend:removed')
  await sa.waitFor('friend:removed')
  await settle()
  t.same(friendEvents(sb.events), [{ event: 'friend:removed', payload: { userId: a.id } }], 'exactly what a removal sends')
  t.same(friendEvents(sa.events), [{ event: 'friend:removed', payload: { userId: b.id } }], 'the blocker\'s devices drop the friend')

  t.equal((await call(app, a, 'POST', `/api/blocks/${c.id}`)).statusCode, 201)
  await settle()
  t.same(friendEvents(sc.events), [], 'a stranger is told nothing')
})
