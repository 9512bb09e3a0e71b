// Over 20 s (about 40 s on PGlite, 2 min on PostgreSQL beside other suites): several messages wait
// for their time on the job queue, and 120 schedules race for the per-user cap.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { listen } from '../../helper.js'
import { loadConfig } from '../../../src/config.js'
import { connect, makeGroup, makeUsers, directPair } from '../conversations/helpers.js'
import { refused } from '../conversations/refusals.js'
import { cancel, copies, edit, inMs, listScheduled, rowOf, schedule, scheduled, waitStatus } from './helpers.js'

t.setTimeout(600_000)

// SCHEDULED_MIN_AHEAD_S is lowered (0: any future time) so a message's time comes within the test; this app works the queue.
const FAST = { SCHEDULED_MIN_AHEAD_S: 0, JOBS_WORKER: true }

t.test('the default minimum is 10 s', async (t) => {
  t.equal(loadConfig({ NODE_ENV: 'test' } as never).SCHEDULED_MIN_AHEAD_S, 10)
})

t.test('a scheduled message is sent once at its time, as an ordinary message with its clientMsgId; the author is told', async (t) => {
  const { app, url } = await listen(t, FAST)
  const [a, b] = await makeUsers(app, 2)
  const g = await makeGroup(app, a!, [b!])
  const sa = await connect(t, url, a!)
  const sb = await connect(t, url, b!)
  const clientMsgId = randomUUID()
  const events = sa.waitFor('scheduled:updated', 2, 20_000)
  const arrived = sb.waitFor('message:new', 1, 20_000)
  const s = await scheduled(app, a!, g, { clientMsgId, content: 'see you at noon', sendAt: inMs(1500) })
  t.match(s, { conversationId: g, clientMsgId, type: 'text', content: 'see you at noon', status: 'scheduled', messageId: null, error: null, replyTo: null, mentions: null })
  t.same((await listScheduled(app, a!, g)).map((x) => x.id), [s.id], 'listed while it waits')
  t.same(await listScheduled(app, b!, g), [], 'nobody else sees it')

  const [message] = await arrived
  t.match(message, { conversationId: g, senderId: a!.id, clientMsgId, type: 'text', content: 'see you at noon' })
  t.ok(Date.parse(message.createdAt) >= Date.parse(s.sendAt), 'not before its time')
  const [created, sent] = await events
  t.equal(created.status, 'scheduled')
  t.match(sent, { id: s.id, status: 'sent', messageId: message.id })
  t.equal(await copies(app, a!.id, clientMsgId), 1)
  t.same(await listScheduled(app, a!, g), [], 'a sent one leaves the list')

  // The same clientMsgId again: the scheduled one back (200), nothing new.
  const again = await schedule(app, a!, g, { clientMsgId, sendAt: inMs(60_000) })
  t.equal(again.statusCode, 200)
  t.match(again.json(), { id: s.id, status: 'sent', messageId: message.id })
  // A send with that clientMsgId returns the original.
  const send = await app.inject({ method: 'POST', url: `/api/conversations/${g}/messages`, headers: a!.auth, payload: { clientMsgId, type: 'text', content: 'dup' } })
  t.equal(send.statusCode, 200)
  t.equal(send.json().id, message.id)
  t.equal(await copies(app, a!.id, clientMsgId), 1)
})

t.test('a clientMsgId already sent by hand before the time: the scheduled one finds it and sends nothing more', async (t) => {
  const { app } = await listen(t, FAST)
  const [a, b] = await makeUsers(app, 2)
  const g = await makeGroup(app, a!, [b!])
  const clientMsgId = randomUUID()
  const s = await scheduled(app, a!, g, { clientMsgId, sendAt: inMs(3600_000) })
  const manual = await app.inject({ method: 'POST', url: `/api/conversations/${g}/messages`, headers: a!.auth, payload: { clientMsgId, type: 'text', content: 'now instead' } })
  t.equal(manual.statusCode, 201)
  // Its time comes (as the clock would bring it).
  await app.prisma.scheduledMessage.update({ where: { id: s.id }, data: { sendAt: new Date() } })
  await waitStatus(app, s.id, 'sent')
  t.equal((await rowOf(app, s.id))!.messageId, manual.json().id, 'recorded as the message already there')
  t.equal(await copies(app, a!.id, clientMsgId), 1)
})

t.test('edit and cancel while it waits; then neither once sent', async (t) => {
  const { app, url } = await listen(t, FAST)
  const [a, b] = await makeUsers(app, 2)
  const g = await makeGroup(app, a!, [b!])
  const sa = await connect(t, url, a!)
  // The socket client counts every event since it connected: the nth scheduled:updated is index n - 1.
  const s = await scheduled(app, a!, g)
  await sa.waitFor('scheduled:updated', 1)
  const edited = await edit(app, a!, s.id, { content: 'changed', sendAt: inMs(1200) })
  t.equal(edited.statusCode, 200)
  t.match(edited.json(), { id: s.id, content: 'changed', status: 'scheduled' })
  t.match((await sa.waitFor('scheduled:updated', 2))[1], { id: s.id, content: 'changed' })
  await waitStatus(app, s.id, 'sent')
  const m = await app.prisma.message.findFirstOrThrow({ where: { senderId: a!.id, clientMsgId: s.clientMsgId } })
  t.equal(m.content, 'changed', 'the edited content was sent')
  t.match((await sa.waitFor('scheduled:updated', 3))[2], { id: s.id, status: 'sent', messageId: m.id })
  await refused(t, app, 'CONFLICT', 'edit once sent', async () => await edit(app, a!, s.id, { content: 'too late' }))
  await refused(t, app, 'CONFLICT', 'cancel once sent', async () => await cancel(app, a!, s.id))

  const c = await scheduled(app, a!, g)
  t.equal((await cancel(app, a!, c.id)).statusCode, 204)
  t.match((await sa.waitFor('scheduled:updated', 5))[4], { id: c.id, status: 'cancelled' })
  t.equal(await rowOf(app, c.id), null)
  await refused(t, app, 'NOT_FOUND', 'cancel twice', async () => await cancel(app, a!, c.id))
})

t.test('bad input: nothing stored, a clear code', async (t) => {
  const { app } = await listen(t, { SCHEDULED_MIN_AHEAD_S: 5 })
  const [a, b, x] = await makeUsers(app, 3)
  const g = await makeGroup(app, a!, [b!])
  const other = await makeGroup(app, x!, [b!])
  const m = await app.inject({ method: 'POST', url: `/api/conversations/${other}/messages`, headers: x!.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: 'elsewhere' } })
  const bad: Array<[string, string, Record<string, unknown>]> = [
    ['too soon (under the minimum)', 'VALIDATION', { sendAt: inMs(2000) }],
    ['in the past', 'VALIDATION', { sendAt: '2020-01-01T00:00:00Z' }],
    ['more than a year ahead', 'VALIDATION', { sendAt: inMs(366 * 86400_000) }],
    ['not a date-time', 'VALIDATION', { sendAt: 'tomorrow' }],
    ['no time zone', 'VALIDATION', { sendAt: '2030-01-01T10:00:00' }],
    ['a system message', 'VALIDATION', { type: 'system', content: { event: 'member_joined' } }],
    ['a forward', 'VALIDATION', { forwardOf: m.json().id }],
    ['NUL in the text', 'VALIDATION', { content: 'a\u0000b' }],
    ['blank content type mismatch', 'VALIDATION', { type: 'image', content: 'not an image' }],
    ['an extra field', 'VALIDATION', { senderId: x!.id, extra: 1 }],
    ['clientMsgId too long', 'VALIDATION', { clientMsgId: 'x'.repeat(65) }],
    ['a reply to a message of another conversation', 'VALIDATION', { replyTo: m.json().id }],
    ['a reply to no message', 'NOT_FOUND', { replyTo: randomUUID() }],
    ['"all" with others', 'VALIDATION', { mentions: ['all', b!.id] }],
    ['too long text', 'VALIDATION', { content: 'x'.repeat(app.config.TEXT_MAX_CHARS + 1) }]
  ]
  for (const [what, code, body] of bad) await refused(t, app, code, what, async () => await schedule(app, a!, g, body))
  await refused(t, app, 'NOT_FOUND', 'in a group the caller is not in', async () => await schedule(app, a!, other, { sendAt: inMs(60_000) }))
  await refused(t, app, 'NOT_FOUND', 'in no conversation', async () => await schedule(app, a!, randomUUID(), { sendAt: inMs(60_000) }))
  await refused(t, app, 'VALIDATION', 'a conversation id that is not a uuid', async () => await app.inject({ method: 'POST', url: '/api/conversations/nope/scheduled', headers: a!.auth, payload: { clientMsgId: 'c', type: 'text', content: 'x', sendAt: inMs(60_000) } }))

  const s = await scheduled(app, a!, g, { sendAt: inMs(60_000) })
  await refused(t, app, 'NOT_FOUND', 'someone else\'s: edit', async () => await edit(app, b!, s.id, { content: 'mine now' }))
  await refused(t, app, 'NOT_FOUND', 'someone else\'s: cancel', async () => await cancel(app, b!, s.id))
  t.same(await listScheduled(app, b!), [], 'someone else\'s: not listed')
  await refused(t, app, 'VALIDATION', 'edit with nothing', async () => await edit(app, a!, s.id, {}))
  await refused(t, app, 'VALIDATION', 'edit to a time too soon', async () => await edit(app, a!, s.id, { sendAt: inMs(1000) }))
  await refused(t, app, 'VALIDATION', 'edit to more than a year ahead', async () => await edit(app, a!, s.id, { sendAt: inMs(366 * 86400_000) }))
  t.equal((await edit(app, a!, s.id, { sendAt: inMs(364 * 86400_000) })).statusCode, 200, 'just under a year: moved')
  t.equal((await schedule(app, a!, g, { sendAt: inMs(364 * 86400_000) })).statusCode, 201, 'just under a year: scheduled')
  await refused(t, app, 'VALIDATION', 'edit to content of another type', async () => await edit(app, a!, s.id, { content: { url: '/x', name: 'x', size: 1, mime: 'image/png' } }))
  await refused(t, app, 'VALIDATION', 'edit with a bidi override in NUL text', async () => await edit(app, a!, s.id, { content: '\u0000' }))
  await refused(t, app, 'VALIDATION', 'edit with an extra field', async () => await edit(app, a!, s.id, { type: 'image' }))
  await refused(t, app, 'UNAUTHORIZED', 'no token', async () => await app.inject({ method: 'GET', url: '/api/scheduled' }))
  // Text that is odd but allowed (bidi, zero-width) is stored as sent, as for a send.
  const odd = await schedule(app, a!, g, { content: '\u202Eabc\u200b' })
  t.equal(odd.statusCode, 201)
})

t.test('at most SCHEDULED_MAX_PENDING wait per user, also under concurrent requests', async (t) => {
  const { app } = await listen(t, FAST)
  const [a, b] = await makeUsers(app, 2)
  const g = await makeGroup(app, a!, [b!])
  const { SCHEDULED_MAX_PENDING } = await import('@relay-im/client/protocol')
  const results = await Promise.all(Array.from({ length: SCHEDULED_MAX_PENDING + 20 }, async () => (await schedule(app, a!, g)).statusCode))
  t.equal(results.filter((c) => c === 201).length, SCHEDULED_MAX_PENDING)
  t.equal(results.filter((c) => c === 409).length, 20)
  t.equal(await app.prisma.scheduledMessage.count({ where: { senderId: a!.id } }), SCHEDULED_MAX_PENDING)
})

t.test('a direct conversation: a block after scheduling makes it fail with FORBIDDEN; a failed one is scheduled again or cancelled', async (t) => {
  const { app, url } = await listen(t, FAST)
  const { a, b, conversationId } = await directPair(app)
  const sa = await connect(t, url, a)
  const events = sa.waitFor('scheduled:updated', 2, 20_000)
  const s = await scheduled(app, a, conversationId, { sendAt: inMs(3600_000) })
  await app.inject({ method: 'POST', url: `/api/blocks/${a.id}`, headers: b.auth })
  await app.prisma.scheduledMessage.update({ where: { id: s.id }, data: { sendAt: new Date() } })
  const [, view] = await events
  t.match(view, { id: s.id, status: 'failed', messageId: null, error: { code: 'FORBIDDEN' } })
  t.equal(await copies(app, a.id, s.clientMsgId), 0)
  t.match((await listScheduled(app, a, conversationId))[0], { id: s.id, status: 'failed', error: { code: 'FORBIDDEN', message: 'Blocked' } })
  // A failed one can be tried again with a new time (the block is still there: it fails again), or cancelled.
  await refused(t, app, 'VALIDATION', 'retry without a new time', async () => await edit(app, a, s.id, { content: 'again' }))
  const retry = await edit(app, a, s.id, { sendAt: inMs(3600_000) })
  t.equal(retry.statusCode, 200)
  t.match(retry.json(), { status: 'scheduled', error: null })
  t.equal((await cancel(app, a, s.id)).statusCode, 204)
})
