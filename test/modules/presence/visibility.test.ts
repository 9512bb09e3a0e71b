import t from 'tap'
import { listen } from '../../helper.js'
import { block, connect, makeConversation, makeFriends, makeUsers, settle, type User } from './helpers.js'

const HIDDEN = { online: false, lastSeenAt: null, hidden: true }

const presenceOf = async (app: any, viewer: User, userId: string): Promise<unknown> => {
  const res = await app.inject({ url: `/api/users/${userId}`, headers: viewer.auth })
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`)
  return res.json().presence
}
const setVisibility = async (app: any, u: User, v: unknown) => await app.inject({ method: 'PATCH', url: '/api/users/me', headers: u.auth, payload: { presenceVisibility: v } })

t.test('GET /users/:id shows presence to friends only by default: a stranger, even one sharing a group, sees it hidden', async (t) => {
  const { app, url } = await listen(t)
  const [a, friend, member, stranger] = await makeUsers(app, 4) as [User, User, User, User]
  await makeFriends(app, a, friend)
  await makeConversation(app, [a, member])
  const sa = await connect(t, url, a)
  t.ok(sa)
  t.match(await presenceOf(app, friend, a.id), { online: true, lastSeenAt: null }, 'a friend sees a online')
  t.notOk((await presenceOf(app, friend, a.id) as any).hidden)
  t.same(await presenceOf(app, stranger, a.id), HIDDEN, 'a stranger cannot poll a\'s presence')
  t.same(await presenceOf(app, member, a.id), HIDDEN, 'sharing a conversation does not count')
  t.match(await presenceOf(app, a, a.id), { online: true }, 'my own')
  const me = (await app.inject({ url: '/api/users/me', headers: a.auth })).json()
  t.equal(me.presenceVisibility, 'contacts', 'the default setting')
})

t.test('the setting: everyone (not across a block), contacts, nobody; REST and live events alike, friends told at once', async (t) => {
  const { app, url } = await listen(t)
  const [a, friend, stranger, blocker] = await makeUsers(app, 4) as [User, User, User, User]
  await makeFriends(app, a, friend)
  await block(app, blocker, a)
  const sf = await connect(t, url, friend)
  const ss = await connect(t, url, stranger)

  const everyone = await setVisibility(app, a, 'everyone')
  t.equal(everyone.statusCode, 200, everyone.body)
  t.equal(everyone.json().presenceVisibility, 'everyone')
  await sf.waitFor('presence')
  t.same(sf.of('presence')[0], { userId: a.id, online: false, lastSeenAt: null }, 'a change of the setting tells friends the state they may see')
  const sa = await connect(t, url, a)
  await sf.waitFor('presence', 2)
  t.match(await presenceOf(app, stranger, a.id), { online: true }, 'everyone: a stranger sees it')
  t.notOk((await presenceOf(app, stranger, a.id) as any).hidden)
  t.same(await presenceOf(app, blocker, a.id), HIDDEN, 'but not across a block')

  t.equal((await setVisibility(app, a, 'nobody')).json().presenceVisibility, 'nobody')
  const told = (await sf.waitFor('presence', 3))[2]
  t.same(told, { userId: a.id, ...HIDDEN }, 'friends are told at once that it is hidden now')
  t.same(await presenceOf(app, friend, a.id), HIDDEN, 'nobody: not even friends')
  t.same(await presenceOf(app, stranger, a.id), HIDDEN)
  const friends = (await app.inject({ url: '/api/friends', headers: friend.auth })).json()
  t.same(friends.find((f: any) => f.user.id === a.id).presence, HIDDEN, 'the friends list too')
  t.match(await presenceOf(app, a, a.id), { online: true, hidden: undefined }, 'I still see my own')

  await sa.close()
  await settle(300)
  t.equal(sf.of('presence').length, 3, 'nobody: going offline is not announced')
  t.same(ss.of('presence'), [], 'strangers never get live presence')

  t.equal((await setVisibility(app, a, 'contacts')).statusCode, 200)
  const back = (await sf.waitFor('presence', 4))[3]
  t.match(back, { userId: a.id, online: false }, 'visible again: friends get the current state')
  t.notOk(back.hidden)
  t.match(await presenceOf(app, friend, a.id), { online: false })
  t.same(await presenceOf(app, stranger, a.id), HIDDEN)
})

t.test('a direct conversation\'s peer presence follows the rule after unfriending', async (t) => {
  const { app } = await listen(t)
  const [a, b] = await makeUsers(app, 2) as [User, User]
  await makeFriends(app, a, b)
  const res = await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: b.auth, payload: { userId: a.id } })
  t.equal(res.statusCode, 200)
  t.notOk(res.json().peer.presence.hidden, 'friends: shown')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/friends/${a.id}`, headers: b.auth })).statusCode, 204)
  const list = (await app.inject({ url: '/api/conversations', headers: b.auth })).json()
  t.same(list.find((c: any) => c.id === res.json().id).peer.presence, HIDDEN, 'no longer friends: hidden, though the conversation stays')
})

t.test('bad settings are VALIDATION and change nothing', async (t) => {
  const { app } = await listen(t)
  const [a] = await makeUsers(app, 1) as [User]
  for (const v of ['friends', '', 'NOBODY', null, 1, 'nobody\u0000']) {
    const res = await setVisibility(app, a, v)
    t.equal(res.statusCode, 400, JSON.stringify(v))
    t.equal(res.json().error.code, 'VALIDATION')
  }
  const row = await app.prisma.user.findUniqueOrThrow({ where: { id: a.id } })
  t.equal(row.presenceVisibility, 'contacts')
})
