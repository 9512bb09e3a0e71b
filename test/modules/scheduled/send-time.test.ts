// Over 20 s (about 45 s on PGlite, 80 s on PostgreSQL beside other suites): each test waits for the job queue to send.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { listen } from '../../helper.js'
import { connect, makeGroup, makeUsers, type User } from '../conversations/helpers.js'
import { createScheduledSender } from '../../../src/modules/scheduled/index.js'
import { cancel, copies, edit, inMs, rowOf, scheduled, waitStatus } from './helpers.js'

type App = Awaited<ReturnType<typeof listen>>['app']

t.setTimeout(600_000)

// Any future time is allowed (SCHEDULED_MIN_AHEAD_S=0) and this app works the queue.
const FAST = { SCHEDULED_MIN_AHEAD_S: 0, JOBS_WORKER: true }

async function ok (app: App, method: string, url: string, user: User, payload?: unknown): Promise<any> {
  const res = await app.inject({ method: method as 'POST', url: `/api${url}`, headers: user.auth, ...(payload === undefined ? {} : { payload: payload as any }) })
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
  return res.body === '' ? undefined : res.json()
}

t.test('in a channel: a member removed (banned), one who left, an admin demoted (mention all), a suspended one: each fails, the author is told', async (t) => {
  const { app, url } = await listen(t, FAST)
  const [o, banned, left, demoted, suspended] = await makeUsers(app, 5) as [User, User, User, User, User]
  const c = (await ok(app, 'POST', '/channels', o, { name: `news ${randomUUID().slice(0, 6)}` })).id as string
  for (const u of [banned, left, demoted, suspended]) await ok(app, 'POST', `/channels/${c}/join`, u)
  await ok(app, 'PUT', `/groups/${c}/members/${demoted.id}/role`, o, { role: 'admin' })
  const sockets = new Map<string, Awaited<ReturnType<typeof connect>>>()
  for (const u of [banned, left, demoted, suspended]) sockets.set(u.id, await connect(t, url, u))

  // An hour ahead while their rights change, then made due (as the clock would): no race with the changes.
  const at = inMs(3600_000)
  const s = {
    banned: await scheduled(app, banned, c, { sendAt: at }),
    left: await scheduled(app, left, c, { sendAt: at }),
    demoted: await scheduled(app, demoted, c, { sendAt: at, mentions: ['all'] }),
    suspended: await scheduled(app, suspended, c, { sendAt: at })
  }
  await ok(app, 'DELETE', `/groups/${c}/members/${banned.id}`, o)
  await ok(app, 'DELETE', `/groups/${c}/members/me`, left)
  await ok(app, 'PUT', `/groups/${c}/members/${demoted.id}/role`, o, { role: 'member' })
  await app.prisma.user.update({ where: { id: suspended.id }, data: { suspendedAt: new Date() } })
  await app.prisma.scheduledMessage.updateMany({ where: { id: { in: Object.values(s).map((x) => x.id) } }, data: { sendAt: new Date() } })

  const expected: Array<[User, any, string]> = [[banned, s.banned, 'FORBIDDEN'], [left, s.left, 'FORBIDDEN'], [demoted, s.demoted, 'FORBIDDEN'], [suspended, s.suspended, 'FORBIDDEN']]
  for (const [u, sched, code] of expected) {
    const events = await sockets.get(u.id)!.waitFor('scheduled:updated', 2, 20_000)
    t.match(events[1], { id: sched.id, status: 'failed', messageId: null, error: { code } }, `${u.username}: told`)
    t.equal(await copies(app, u.id, sched.clientMsgId), 0, 'nothing sent')
    t.match(await rowOf(app, sched.id), { status: 'failed', errorCode: code })
  }
  t.equal((await app.prisma.message.count({ where: { conversationId: c, type: { not: 'system' } } })), 0, 'no message reached the channel')
})

t.test('a group member removed before the time: NOT_FOUND, the author told', async (t) => {
  const { app, url } = await listen(t, FAST)
  const [o, m] = await makeUsers(app, 2) as [User, User]
  const g = await makeGroup(app, o, [m])
  const sm = await connect(t, url, m)
  const s = await scheduled(app, m, g, { sendAt: inMs(3600_000) })
  await ok(app, 'DELETE', `/groups/${g}/members/${m.id}`, o)
  await app.prisma.scheduledMessage.update({ where: { id: s.id }, data: { sendAt: new Date() } })
  const events = await sm.waitFor('scheduled:updated', 2, 20_000)
  t.match(events[1], { id: s.id, status: 'failed', error: { code: 'NOT_FOUND' } })
  t.equal(await copies(app, m.id, s.clientMsgId), 0)
})

t.test('cancel or edit racing the send: exactly one outcome each time', async (t) => {
  const { app } = await listen(t, FAST)
  const [a, b] = await makeUsers(app, 2) as [User, User]
  const g = await makeGroup(app, a, [b])
  const tries = 12
  const outcomes: string[] = []
  for (let i = 0; i < tries; i++) {
    const s = await scheduled(app, a, g, { sendAt: inMs(3600_000) })
    // Its time comes 100 ms from now (as the clock would bring it); the attempts are spread around that moment and the relay's 200 ms passes.
    await app.prisma.scheduledMessage.update({ where: { id: s.id }, data: { sendAt: new Date(Date.now() + 100) } })
    await new Promise((resolve) => setTimeout(resolve, 25 * i))
    const res = i % 2 === 0 ? await cancel(app, a, s.id) : await edit(app, a, s.id, { content: 'edited' })
    if (res.statusCode === 204 || res.statusCode === 200) {
      if (res.statusCode === 204) {
        t.equal(await rowOf(app, s.id), null, 'cancelled: the row is gone')
      } else {
        t.equal((await rowOf(app, s.id))!.content, 'edited')
      }
    } else {
      t.equal(res.statusCode, 409, 'too late: CONFLICT')
    }
    if (res.statusCode !== 204) await waitStatus(app, s.id, 'sent')
    const n = await copies(app, a.id, s.clientMsgId)
    t.equal(n, res.statusCode === 204 ? 0 : 1, 'sent exactly once unless cancelled in time')
    if (res.statusCode === 200) {
      const m = await app.prisma.message.findFirstOrThrow({ where: { senderId: a.id, clientMsgId: s.clientMsgId } })
      t.equal(m.content, 'edited', 'an edit that won is what was sent')
    }
    outcomes.push(String(res.statusCode))
  }
  t.comment(`outcomes: ${outcomes.join(' ')}`)
})

t.test('two workers on one due row (a duplicate job, two nodes): one message, one sent event', async (t) => {
  const { app, url } = await listen(t, { SCHEDULED_MIN_AHEAD_S: 0 })
  const [a, b] = await makeUsers(app, 2) as [User, User]
  const g = await makeGroup(app, a, [b])
  const sa = await connect(t, url, a)
  const s = await scheduled(app, a, g, { sendAt: inMs(3600_000) })
  // This app does not work the queue: move the row as the relay would, then race the workers.
  await app.prisma.scheduledMessage.update({ where: { id: s.id }, data: { status: 'queued', sendAt: new Date() } })
  const told: string[] = []
  const sender = createScheduledSender({ sql: app.sql, prisma: app.prisma, messages: app.messages, tell: (_u, v) => { told.push(v.status) }, log: app.log })
  await Promise.all(Array.from({ length: 5 }, async () => { await sender.sendDue(s.id) }))
  t.equal(await copies(app, a.id, s.clientMsgId), 1)
  t.match(await rowOf(app, s.id), { status: 'sent' })
  t.same(told, ['sent'], 'told once')
  // A retry of the job after a crash mid-send (row left 'sending', message stored) records it and sends nothing.
  const r = await scheduled(app, a, g, { sendAt: inMs(3600_000) })
  await app.inject({ method: 'POST', url: `/api/conversations/${g}/messages`, headers: a.auth, payload: { clientMsgId: r.clientMsgId, type: 'text', content: 'stored before the crash' } })
  await app.prisma.scheduledMessage.update({ where: { id: r.id }, data: { status: 'sending' } })
  await sender.sendDue(r.id)
  t.equal(await copies(app, a.id, r.clientMsgId), 1)
  t.match(await rowOf(app, r.id), { status: 'sent' })
  t.same(sa.of('message:new').filter((m) => m.clientMsgId === s.clientMsgId).length, 1, 'one message:new')
})
