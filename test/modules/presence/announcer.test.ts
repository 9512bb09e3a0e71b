import t from 'tap'
import { createAnnouncer, type PresenceEvent } from '../../../src/modules/presence/announcer.js'
import { build, counting } from '../../helper.js'
import { befriend, makeUsers } from '../conversations/helpers.js'

t.test('a burst of transitions is written and announced in one statement, each to the user\'s friends', async (t) => {
  const app = await build(t)
  const users = await makeUsers(app, 41)
  const hub = users[0]!
  for (const u of users.slice(1)) await befriend(app, hub, u)
  const sql = counting(app.sql)
  const sent: Array<{ to: readonly string[], payload: PresenceEvent }> = []
  const announcer = createAnnouncer(sql, (to, payload) => { sent.push({ to, payload }) }, (err) => { t.fail(String(err)) })

  const wentOffline = new Date('2026-01-02T03:04:05.678Z')
  await Promise.all([
    ...users.slice(1, 21).map(async (u) => { await announcer.announce(u.id, true) }),
    ...users.slice(21).map(async (u) => { await announcer.announce(u.id, false, wentOffline) })
  ])
  t.equal(sql.statements.length, 1, '40 transitions, one statement')
  t.equal(sent.length, 40, 'one presence event per user')
  t.ok(sent.every((e) => e.to.length === 1 && e.to[0] === hub.id), 'each goes to the one friend')
  const offline = sent.filter((e) => !e.payload.online)
  t.equal(offline.length, 20)
  t.ok(offline.every((e) => e.payload.lastSeenAt === wentOffline.toISOString()), 'offline events carry the moment stored')
  const stored = await app.prisma.user.findUnique({ where: { id: users[30]!.id }, select: { lastSeenAt: true } })
  t.equal(stored?.lastSeenAt?.toISOString(), wentOffline.toISOString(), 'last_seen_at stored')
})

t.test('a reconnect within one batch announces online and still stores the disconnect', async (t) => {
  const app = await build(t)
  const [a, b] = await makeUsers(app, 2)
  await befriend(app, a!, b!)
  const sent: PresenceEvent[] = []
  const announcer = createAnnouncer(app.sql, (_to, payload) => { sent.push(payload) }, (err) => { t.fail(String(err)) })
  const at = new Date('2026-03-04T05:06:07.000Z')
  await Promise.all([announcer.announce(a!.id, false, at), announcer.announce(a!.id, true)])
  t.same(sent, [{ userId: a!.id, online: true, lastSeenAt: at.toISOString() }], 'online, with the end of the session just closed')
  const stored = await app.prisma.user.findUnique({ where: { id: a!.id }, select: { lastSeenAt: true } })
  t.equal(stored?.lastSeenAt?.toISOString(), at.toISOString())
})

t.test('transitions after a batch started go in the next one, in order', async (t) => {
  const app = await build(t)
  const [a, b] = await makeUsers(app, 2)
  await befriend(app, a!, b!)
  const sent: boolean[] = []
  const announcer = createAnnouncer(app.sql, (_to, payload) => { sent.push(payload.online) }, (err) => { t.fail(String(err)) })
  const first = announcer.announce(a!.id, true)
  await new Promise((resolve) => setImmediate(resolve)) // the first batch is now running
  const second = announcer.announce(a!.id, false)
  await Promise.all([first, second])
  t.same(sent, [true, false])
})
