// App events (docs/protocol.md "App events"): the outbox triggers, signed delivery in order per
// stream, retries after the receiver fails, and nothing recorded when APP_EVENTS_URL is unset.
// The ordering test sends 40 messages to a receiver that takes 15 ms per answer (about 2 s).
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { build, ownDatabase, listen, registerUser } from '../../helper.js'
import { connect, sleep, until } from '../../socket-client.js'
import type { App } from '../../../src/app.js'
import { appUser, makeAdmin, makeKey, signedReceiver, type SignedAnswer, type SignedCall } from './helpers.js'

// Some apps here run queue workers, others are built before them (helper.ts, ownDatabase).
ownDatabase()

const SECRET = 'an-app-events-secret'

type Received = SignedCall

/** The app's receiver: answers 200 with nothing unless the test sets otherwise. */
async function receiver (t: Test): Promise<{ url: string, host: string, got: Received[], answer: { fn: SignedAnswer } }> {
  const r = await signedReceiver(t, SECRET, '/events', (_c, res) => { res.end() })
  return { url: r.url, host: r.host, got: r.calls, answer: r.answer }
}

async function world (t: Test, config: Record<string, unknown> = {}) {
  const rx = await receiver(t)
  const app = await build(t, { APP_EVENTS_URL: rx.url, APP_EVENTS_SECRET: SECRET, OUTBOUND_ALLOWED_HOSTS: rx.host, WEBHOOK_RETRY_BASE_MS: 20, JOBS_WORKER: true, ...config })
  // One PGlite per test file: what earlier tests left pending is not this test's.
  await app.sql.query('DELETE FROM app_events', [])
  const key = await makeKey(app, await makeAdmin(app))
  return { app, rx, key }
}

/** Delivered events (first delivery of each id), optionally of one type. */
const events = (rx: { got: Received[] }, type?: string): any[] => {
  const seen = new Set<string>()
  return rx.got.map((c) => c.json).filter((e) => !seen.has(e.id) && seen.add(e.id) !== undefined && (type === undefined || e.type === type))
}

const drain = async (app: App, until: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 15_000
  while (!until()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
    await app.appEvents.idle()
    await sleep(30)
  }
}

t.test('not configured: the triggers record nothing and no worker exists', async (t) => {
  const app = await build(t)
  t.equal(app.appEvents.enabled, false)
  const [a, b] = [await registerUser(app), await registerUser(app)]
  const g = await app.inject({ method: 'POST', url: '/api/groups', headers: a.auth, payload: { name: 'quiet', memberIds: [b.id] } })
  await app.inject({ method: 'POST', url: `/api/conversations/${g.json().id as string}/messages`, headers: a.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: 'hi' } })
  const rows = await app.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM app_events WHERE data->'message'->>'conversationId' = $1 OR data->>'conversationId' = $1 OR stream = $2", [g.json().id, `user:${a.id}`])
  t.equal(rows[0]?.n, 0, 'no event rows for any of it')
})

t.test('configuration: a secret is required, and the URL follows the outbound rules', async (t) => {
  await t.rejects(build(t, { APP_EVENTS_URL: 'https://app.example/events' }), /APP_EVENTS_SECRET/)
  await t.rejects(build(t, { APP_EVENTS_URL: 'https://app.example/events', APP_EVENTS_SECRET: 'short' }))
  await t.rejects(build(t, { APP_EVENTS_URL: 'http://10.0.0.1/events', APP_EVENTS_SECRET: SECRET }), /APP_EVENTS_URL: URL must be https/)
  await t.rejects(build(t, { APP_EVENTS_URL: 'https://user:pw@app.example/events', APP_EVENTS_SECRET: SECRET }), /credentials/)
})

t.test('each event is signed, carries its id, and says what happened', async (t) => {
  const { app, rx, key } = await world(t)
  t.equal(app.appEvents.enabled, true)
  const ann = await appUser(app, key, `ann-${randomUUID()}`, 'Ann')
  const ben = await appUser(app, key, `ben-${randomUUID()}`, 'Ben')
  const g = await app.inject({ method: 'POST', url: '/api/server/groups', headers: key.auth, payload: { owner: ann.externalId, name: 'Team', members: [ben.externalId] } })
  const group = g.json().id as string
  const sent = await app.inject({ method: 'POST', url: `/api/server/conversations/${group}/messages`, headers: key.auth, payload: { as: ann.externalId, clientMsgId: randomUUID(), type: 'text', content: 'hello' } })
  t.equal(sent.statusCode, 201)
  await app.inject({ method: 'DELETE', url: `/api/server/groups/${group}/members/${encodeURIComponent(ben.externalId)}`, headers: key.auth })
  await drain(app, () => events(rx, 'member.left').length >= 1, 'member.left')

  t.ok(rx.got.every((c) => c.verified), 'every call verifies with the secret')
  t.ok(rx.got.every((c) => c.headers['idempotency-key'] === c.json.id && c.headers['user-agent'] === 'relay-im-app-events'))
  // Each user is a stream of its own: Ann's and Ben's user.created may arrive in either order.
  const created = events(rx, 'user.created').map((e) => e.data.user).filter((u) => u.id === ann.id || u.id === ben.id).sort((x, y) => (x.id === ann.id ? -1 : y.id === ann.id ? 1 : 0))
  t.match(created, [{ id: ann.id, externalId: ann.externalId, displayName: 'Ann', isBot: false }, { id: ben.id, externalId: ben.externalId }])
  const convo = events(rx).filter((e) => e.data.conversation?.id === group || e.data.conversationId === group || e.data.message?.conversationId === group)
  // conversation.created first, two joins, the text, then the removal (its system message and the leave), in commit order.
  t.same(convo[0].type, 'conversation.created')
  t.match(convo[0].data.conversation, { id: group, type: 'group', name: 'Team', ownerId: ann.id })
  const types = convo.map((e) => e.type)
  t.same(types.filter((x) => x === 'member.joined').length, 2)
  const text = events(rx, 'message.sent').find((e) => e.data.message.content === 'hello')
  t.match(text?.data.message, { conversationId: group, senderId: ann.id, senderExternalId: ann.externalId, type: 'text', seq: Number })
  t.match(events(rx, 'member.left')[0].data, { conversationId: group, userId: ben.id, externalId: ben.externalId, role: 'member' })
  t.ok(types.indexOf('message.sent') < types.indexOf('member.left'), 'the message before the leave')
  const ids = convo.map((e) => BigInt(e.id))
  t.same(ids, [...ids].sort((x, y) => (x < y ? -1 : 1)), 'a conversation\'s events arrive in id order')
  // Delivered events leave the outbox; each attempt is logged.
  const pending = async (): Promise<number> => (await app.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM app_events', []))[0]?.n ?? -1
  await until(async () => { await app.appEvents.idle(); return await pending() === 0 }, 15_000, 'the other streams')
  t.equal(await pending(), 0, 'the outbox is empty once delivered')
  t.equal(rx.got.length, new Set(rx.got.map((c) => c.json.id)).size, 'each event once')
  const log = await app.sql.query<{ status: string, response_code: number }>('SELECT status, response_code FROM app_event_deliveries WHERE event_id = $1::bigint', [text?.id])
  t.same(log, [{ status: 'delivered', response_code: 200 }])
})

t.test('in order per conversation: concurrent senders, a slow receiver', async (t) => {
  const { app, rx, key } = await world(t)
  rx.answer.fn = async (_c, res) => { await sleep(15); res.end() }
  const [a, b] = [await appUser(app, key), await appUser(app, key)]
  const g = await app.inject({ method: 'POST', url: '/api/server/groups', headers: key.auth, payload: { owner: a.externalId, name: 'Busy', members: [b.externalId] } })
  const group = g.json().id as string
  // Ids cross from two digits to three during the run: ordered as text, 100 would pass 96.
  await app.sql.query("SELECT setval('app_events_id_seq', 90)", [])
  const N = 40
  const sends = Array.from({ length: N }, async (_x, i) => await app.inject({ method: 'POST', url: `/api/server/conversations/${group}/messages`, headers: key.auth, payload: { as: i % 2 === 0 ? a.externalId : b.externalId, clientMsgId: randomUUID(), type: 'text', content: `m${i}` } }))
  t.ok((await Promise.all(sends)).every((r) => r.statusCode === 201))
  const mine = (): any[] => events(rx, 'message.sent').filter((e) => e.data.message.conversationId === group)
  await drain(app, () => mine().length >= N, `${N} messages`)
  const seqs = mine().map((e) => e.data.message.seq)
  t.same(seqs, [...seqs].sort((x, y) => x - y), 'seqs strictly in order as received')
  t.equal(new Set(seqs).size, N, 'each once')
  t.equal(rx.got.length, new Set(rx.got.map((c) => c.json.id)).size, 'no repeats')
})

t.test('a failing receiver: retried with backoff, nothing after it overtakes it', async (t) => {
  const { app, rx, key } = await world(t)
  let failures = 3
  rx.answer.fn = (c, res) => {
    if (c.json.type === 'message.sent' && c.json.data.message.content === 'first' && failures-- > 0) { res.statusCode = 503; res.end('busy'); return }
    res.end()
  }
  const [a, b] = [await appUser(app, key), await appUser(app, key)]
  const group = (await app.inject({ method: 'POST', url: '/api/server/groups', headers: key.auth, payload: { owner: a.externalId, name: 'Flaky', members: [b.externalId] } })).json().id as string
  for (const content of ['first', 'second', 'third']) {
    await app.inject({ method: 'POST', url: `/api/server/conversations/${group}/messages`, headers: key.auth, payload: { as: a.externalId, clientMsgId: randomUUID(), type: 'text', content } })
  }
  const mine = (): any[] => events(rx, 'message.sent').filter((e) => e.data.message.conversationId === group)
  await drain(app, () => mine().length >= 3, 'three messages')
  t.same(mine().map((e) => e.data.message.content), ['first', 'second', 'third'])
  const firstId = mine()[0].id as string
  t.equal(rx.got.filter((c) => c.json.id === firstId).length, 4, 'three failures, then delivered')
  const log = await app.sql.query<{ attempt: number, status: string, response_code: number, error: string | null }>('SELECT attempt, status, response_code, error FROM app_event_deliveries WHERE event_id = $1::bigint ORDER BY attempt', [firstId])
  t.same(log, [
    { attempt: 1, status: 'failed', response_code: 503, error: 'busy' },
    { attempt: 2, status: 'failed', response_code: 503, error: 'busy' },
    { attempt: 3, status: 'failed', response_code: 503, error: 'busy' },
    { attempt: 4, status: 'delivered', response_code: 200, error: null }
  ])
})

t.test('the outbox: a rolled-back change records nothing, a committed one is kept until delivered', async (t) => {
  const { app, rx } = await world(t)
  rx.answer.fn = (_c, res) => { res.statusCode = 500; res.end() }
  const id = randomUUID()
  await t.rejects(app.prisma.$transaction(async (tx) => {
    await tx.user.create({ data: { id, username: `rb${id.slice(0, 8)}`, displayName: 'Rolled back', passwordHash: 'x' } })
    throw new Error('roll back')
  }), /roll back/)
  const rolled = await app.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM app_events WHERE stream = $1', [`user:${id}`])
  t.equal(rolled[0]?.n, 0, 'no event for the rolled-back user')
  const kept = randomUUID()
  await app.prisma.user.create({ data: { id: kept, username: `ok${kept.slice(0, 8)}`, displayName: 'Kept', passwordHash: 'x' } })
  await drain(app, () => rx.got.some((c) => c.json.data.user?.id === kept), 'an attempt')
  const pending = await app.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM app_events WHERE stream = $1', [`user:${kept}`])
  t.equal(pending[0]?.n, 1, 'still pending while the receiver fails')
})

t.test('user.online and user.offline from presence', async (t) => {
  const rx = await receiver(t)
  const { app, url } = await listen(t, { APP_EVENTS_URL: rx.url, APP_EVENTS_SECRET: SECRET, OUTBOUND_ALLOWED_HOSTS: rx.host, JOBS_WORKER: true })
  const u = await registerUser(app)
  const c = await connect(t, url, u)
  await drain(app, () => events(rx, 'user.online').some((e) => e.data.user.id === u.id), 'online')
  await c.close()
  await until(async () => { await app.appEvents.idle(); return events(rx, 'user.offline').some((e) => e.data.user.id === u.id) }, 15_000, 'offline')
  const mine = events(rx).filter((e) => e.data.user?.id === u.id).map((e) => e.type)
  t.same(mine, ['user.created', 'user.online', 'user.offline'], 'one user\'s events in order')
})
