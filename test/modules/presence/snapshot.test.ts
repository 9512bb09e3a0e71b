import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { App } from '../../../src/app.js'
import { listen } from '../../helper.js'
import { block, connect, makeConversation, makeFriends, makeUsers, until, type Client, type User } from './helpers.js'

const HIDDEN = { online: false, lastSeenAt: null, hidden: true }

/** A direct conversation of the two, written as the conversations module writes it. */
async function direct (app: App, a: User, b: User): Promise<void> {
  const [x, y] = [a.id, b.id].sort()
  await app.prisma.conversation.create({
    data: { id: randomUUID(), type: 'direct', directKey: `${x}:${y}`, members: { create: [{ userId: a.id, role: 'member' }, { userId: b.id, role: 'member' }] } }
  })
}

const setVisibility = async (app: App, u: User, v: string): Promise<void> => {
  const res = await app.inject({ method: 'PATCH', url: '/api/users/me', headers: u.auth, payload: { presenceVisibility: v } })
  if (res.statusCode !== 200) throw new Error(res.body)
}

/** The socket's presence as a client builds it: the snapshot, then every event after it, in arrival order. */
function presenceSeen (c: Client): Map<string, { online: boolean, hidden?: true }> {
  const seen = new Map<string, { online: boolean, hidden?: true }>()
  for (const { event, payload } of c.events) {
    if (event === 'presence:snapshot') for (const p of payload.users) seen.set(p.userId, p)
    if (event === 'presence') seen.set(payload.userId, payload)
  }
  return seen
}

t.test('presence:snapshot at connect: friends and direct peers, each as much as they show me; nobody else', async (t) => {
  const { app, url } = await listen(t)
  const [me, online, offline, peer, open, shy, blocker, member, stranger] = await makeUsers(app, 9) as [User, User, User, User, User, User, User, User, User]
  for (const f of [online, offline, shy]) await makeFriends(app, me, f)
  await direct(app, me, peer)
  await direct(app, me, open)
  await direct(app, me, blocker)
  await makeConversation(app, [me, member])
  await setVisibility(app, open, 'everyone')
  await setVisibility(app, blocker, 'everyone')
  await block(app, blocker, me)
  await setVisibility(app, shy, 'nobody')
  const gone = await connect(t, url, offline)
  await gone.close()
  await until(async () => (await app.presence.status([offline.id])).get(offline.id)?.lastSeenAt !== null, 5000, 'offline to be seen')
  const lastSeenAt = (await app.presence.status([offline.id])).get(offline.id)?.lastSeenAt
  await connect(t, url, online)
  await connect(t, url, open)
  await connect(t, url, shy)
  await connect(t, url, member)
  await connect(t, url, stranger)

  const s = await connect(t, url, me)
  const [snapshot] = await s.waitFor('presence:snapshot')
  const byId = new Map(snapshot.users.map((p: any) => [p.userId, p]))
  t.same(byId.get(online.id), { userId: online.id, online: true, lastSeenAt: null }, 'a friend online')
  t.same(byId.get(offline.id), { userId: offline.id, online: false, lastSeenAt }, 'a friend offline, with when they were last seen')
  t.same(byId.get(open.id), { userId: open.id, online: true, lastSeenAt: null }, 'a direct peer who shows everyone')
  t.same(byId.get(peer.id), { userId: peer.id, ...HIDDEN }, 'a direct peer who shows friends only: hidden')
  t.same(byId.get(shy.id), { userId: shy.id, ...HIDDEN }, 'a friend under nobody: hidden')
  t.same(byId.get(blocker.id), { userId: blocker.id, ...HIDDEN }, 'everyone, but across a block: hidden')
  t.notOk(byId.has(member.id), 'sharing a group does not count')
  t.notOk(byId.has(stranger.id), 'a stranger is not named')
  t.notOk(byId.has(me.id), 'not myself')
  t.equal(snapshot.users.length, 6, 'exactly those six')
  t.equal(s.of('presence:snapshot').length, 1, 'once per socket')
})

t.test('the snapshot comes before the events after it: two friends connecting at once always end up seeing each other online', async (t) => {
  const { app, url } = await listen(t)
  const [a, b] = await makeUsers(app, 2) as [User, User]
  await makeFriends(app, a, b)
  const ROUNDS = 20
  let wrong = 0
  for (let round = 0; round < ROUNDS; round++) {
    const [sa, sb] = await Promise.all([connect(t, url, a), connect(t, url, b)])
    await Promise.all([sa.waitFor('presence:snapshot'), sb.waitFor('presence:snapshot')])
    // Whatever each side got last about the other: settled once both announcements went out.
    await until(async () => [...(await app.presence.status([a.id, b.id])).values()].every((p) => p.online), 5000, 'both online')
    await until(() => presenceSeen(sa).get(b.id)?.online === true && presenceSeen(sb).get(a.id)?.online === true, 2000, 'each to see the other').catch(() => { wrong++ })
    await Promise.all([sa.close(), sb.close()])
    await until(async () => [...(await app.presence.status([a.id, b.id])).values()].every((p) => !p.online), 5000, 'both offline')
  }
  t.equal(wrong, 0, `each saw the other online in all ${ROUNDS} rounds`)
})

t.test('a user with no friends and no direct chats gets an empty snapshot', async (t) => {
  const { app, url } = await listen(t)
  const [loner] = await makeUsers(app, 1) as [User]
  const s = await connect(t, url, loner)
  t.same((await s.waitFor('presence:snapshot'))[0], { users: [] })
})
