import t from 'tap'
import { build, createTestDatabase, listen, servicesMode } from '../../helper.js'
import { connect, makeFriends, makeUsers, settle, until, type User } from './helpers.js'

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

t.test('online with the first device, offline with the last; friends are told, others are not', async (t) => {
  const { app, url } = await listen(t)
  const [a, friend, stranger] = await makeUsers(app, 3) as [User, User, User]
  await makeFriends(app, a, friend)
  const f = await connect(t, url, friend)
  const s = await connect(t, url, stranger)
  t.same(Object.fromEntries(await app.presence.status([a.id])), { [a.id]: { online: false, lastSeenAt: null } }, 'offline, never seen')

  const phone = await connect(t, url, a)
  const [online] = await f.waitFor('presence')
  t.same(online, { userId: a.id, online: true, lastSeenAt: null })
  t.same((await app.presence.status([a.id])).get(a.id), { online: true, lastSeenAt: null })

  const laptop = await connect(t, url, a)
  await phone.close()
  await until(() => app.realtime.localSocketCount(a.id) === 1, 5000, 'the phone to leave')
  await settle()
  t.equal(f.of('presence').length, 1, 'a second device and one leaving change nothing')
  t.equal((await app.presence.status([a.id])).get(a.id)?.online, true, 'still online on the laptop')

  const before = Date.now()
  await laptop.close()
  const [, offline] = await f.waitFor('presence', 2)
  t.equal(offline.userId, a.id)
  t.equal(offline.online, false)
  t.match(offline.lastSeenAt, ISO)
  const seen = Date.parse(offline.lastSeenAt)
  t.ok(seen >= before - 1000 && seen <= Date.now(), 'lastSeenAt is the moment the last device left')
  const row = await app.prisma.user.findUniqueOrThrow({ where: { id: a.id } })
  t.equal(row.lastSeenAt?.toISOString(), offline.lastSeenAt, 'stored in users.last_seen_at')
  t.same((await app.presence.status([a.id])).get(a.id), { online: false, lastSeenAt: offline.lastSeenAt })

  t.same(s.of('presence'), [], 'a non-friend hears nothing')
  t.same(f.of('presence').filter((p) => p.userId !== a.id), [], 'the friend hears only about a')

  // Back online: lastSeenAt still tells when the previous session ended.
  await connect(t, url, a)
  const [, , again] = await f.waitFor('presence', 3)
  t.same(again, { userId: a.id, online: true, lastSeenAt: offline.lastSeenAt })
})

t.test('each friend hears it on every device; the user\'s own devices do not', async (t) => {
  const { app, url } = await listen(t)
  const [a, b, c] = await makeUsers(app, 3) as [User, User, User]
  await makeFriends(app, a, b)
  await makeFriends(app, a, c)
  const b1 = await connect(t, url, b)
  const b2 = await connect(t, url, b)
  const c1 = await connect(t, url, c)
  const a1 = await connect(t, url, a)
  for (const client of [b1, b2, c1]) t.same(await client.waitFor('presence'), [{ userId: a.id, online: true, lastSeenAt: null }])
  await connect(t, url, a)
  await settle()
  t.same(a1.of('presence').filter((p) => p.userId === a.id), [], 'no presence about oneself')
})

t.test('status(): real online state, stored lastSeenAt, unknown ids left out; GET /api/users/:id uses it', async (t) => {
  const { app, url } = await listen(t)
  const [a, b, viewer] = await makeUsers(app, 3) as [User, User, User]
  const seen = new Date('2026-01-02T03:04:05.678Z')
  await app.prisma.user.update({ where: { id: b.id }, data: { lastSeenAt: seen } })
  await connect(t, url, a)
  await until(async () => (await app.presence.status([a.id])).get(a.id)?.online === true, 5000, 'a online')

  const status = await app.presence.status([a.id, b.id, '00000000-0000-4000-8000-000000000000', 'not-a-uuid'])
  t.same(Object.fromEntries(status), {
    [a.id]: { online: true, lastSeenAt: null },
    [b.id]: { online: false, lastSeenAt: seen.toISOString() }
  })
  t.same(Object.fromEntries(await app.presence.status([])), {})

  // GET /users/:id shows it to friends (presence/visibility.ts; strangers: test/modules/presence/visibility.test.ts)
  await makeFriends(app, viewer, a)
  await makeFriends(app, viewer, b)
  const res = await app.inject({ method: 'GET', url: `/api/users/${a.id}`, headers: viewer.auth })
  t.equal(res.statusCode, 200)
  t.same(res.json().presence, { online: true, lastSeenAt: null })
  const resB = await app.inject({ method: 'GET', url: `/api/users/${b.id}`, headers: viewer.auth })
  t.same(resB.json().presence, { online: false, lastSeenAt: seen.toISOString() })
})

t.test('many devices connecting and leaving at once: exactly one online and one offline', async (t) => {
  const { app, url } = await listen(t)
  const [a, friend] = await makeUsers(app, 2) as [User, User]
  await makeFriends(app, a, friend)
  const f = await connect(t, url, friend)
  const devices = await Promise.all(Array.from({ length: 6 }, async () => await connect(t, url, a)))
  await f.waitFor('presence')
  await Promise.all(devices.map(async (d) => { await d.close() }))
  await f.waitFor('presence', 2)
  await settle(300)
  t.same(f.of('presence').map((p) => p.online), [true, false])
  t.same((await app.presence.status([a.id])).get(a.id)?.online, false)
})

t.test('a socket refused at the handshake does not make anyone online', async (t) => {
  const { app, url } = await listen(t)
  const [a, friend] = await makeUsers(app, 2) as [User, User]
  await makeFriends(app, a, friend)
  const f = await connect(t, url, friend)
  await t.rejects(connect(t, url, { accessToken: 'garbage' }))
  await settle()
  t.same(f.of('presence'), [])
  t.equal((await app.presence.status([a.id])).get(a.id)?.online, false)
})

t.test('a server shutdown stores its users\' lastSeenAt before close returns', async (t) => {
  // With PostgreSQL the closed app's client is gone: a second app reads the same database.
  const databaseUrl = servicesMode ? await createTestDatabase(t) : undefined
  const { app, url } = await listen(t, {}, { databaseUrl })
  const [a, friend] = await makeUsers(app, 2) as [User, User]
  await makeFriends(app, a, friend)
  const f = await connect(t, url, friend)
  const c = await connect(t, url, a)
  await f.waitFor('presence')
  await app.close()
  t.equal(await c.disconnected, 'transport close', 'a shutdown is not a kick: clients reconnect')
  const reader = servicesMode ? await build(t, {}, { databaseUrl }) : app
  const row = await reader.prisma.user.findUniqueOrThrow({ where: { id: a.id } })
  t.type(row.lastSeenAt, Date, 'lastSeenAt written before close returned')
})
