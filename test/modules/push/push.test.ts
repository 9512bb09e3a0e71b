import t from 'tap'
import { randomUUID } from 'node:crypto'
import { befriend, listen, registerUser, type TestUser } from '../../helper.js'
import { connect } from '../../socket-client.js'
import { startPushService, type Device, type PushService } from './push-service.js'
import type { App } from '../../../src/app.js'

/**
 * Web Push end to end against a local RFC 8030 push service that checks the VAPID JWT and
 * decrypts each payload with the subscription's private key, as a browser would.
 */

let push: PushService
let app: App
let url: string

t.before(async () => {
  push = await startPushService()
  const started = await listen(t, { OUTBOUND_ALLOWED_HOSTS: new URL(push.origin).host, JOBS_WORKER: true, PUSH_RETRY_LIMIT: 3 })
  app = started.app
  url = started.url
})
t.teardown(async () => { await push.close() })

async function subscribe (user: TestUser, device: Device): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/push/subscriptions', headers: user.auth, payload: device.subscription })
  if (res.statusCode !== 201) throw new Error(`subscribe: ${res.statusCode} ${res.body}`)
  return res.json().id
}

async function direct (a: TestUser, b: TestUser): Promise<string> {
  await befriend(app, a, b)
  const res = await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: a.auth, payload: { userId: b.id } })
  return res.json().id
}

async function send (user: TestUser, conversationId: string, content: string, extra: Record<string, unknown> = {}): Promise<{ id: string, seq: number }> {
  const res = await app.inject({
    method: 'POST',
    url: `/api/conversations/${conversationId}/messages`,
    headers: user.auth,
    payload: { clientMsgId: randomUUID(), type: 'text', content, ...extra }
  })
  if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`send: ${res.statusCode} ${res.body}`)
  return res.json()
}

/** Waits until the outbox is empty and no push job is waiting or running. */
async function idle (): Promise<void> {
  for (let i = 0; i < 300; i++) {
    await app.jobs.flush()
    const [row] = await app.sql.query<{ n: number }>(`
      SELECT (SELECT count(*) FROM push_outbox)::int + (SELECT count(*) FROM pgboss.job
        WHERE name IN ('push-message', 'push-send') AND state IN ('created', 'retry', 'active'))::int AS n`, [])
    if (row!.n === 0) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('push queue never went idle')
}

const forSub = (d: Device) => (r: { subscription: string }) => r.subscription === d.name

t.test('an offline member gets an encrypted push with the contract payload and headers; the sender gets none', async (t) => {
  const alice = await registerUser(app, undefined)
  const bob = await registerUser(app)
  const conversationId = await direct(alice, bob)
  const bobPhone = push.device()
  const alicePhone = push.device()
  await subscribe(bob, bobPhone)
  await subscribe(alice, alicePhone)
  const displayName = (await app.inject({ method: 'GET', url: '/api/users/me', headers: alice.auth })).json().displayName

  const sent = await send(alice, conversationId, 'hello bob')
  const [got] = await push.waitFor(1, forSub(bobPhone))
  t.same(got!.payload, {
    conversationId,
    messageId: sent.id,
    seq: sent.seq,
    sender: { id: alice.id, displayName },
    preview: 'hello bob',
    unread: 1
  }, 'the decrypted payload')
  t.equal(got!.headers.topic, conversationId.replaceAll('-', ''), 'Topic: one per conversation, 32 base64url characters')
  t.equal(got!.headers.urgency, 'high', 'direct messages are urgent')
  t.equal(got!.headers.ttl, '86400')
  const key = (await app.inject({ method: 'GET', url: '/api/push/vapid-public-key', headers: bob.auth })).json().publicKey
  t.equal(got!.vapid.k, key, 'signed with the server\'s VAPID key')
  await idle()
  t.equal(push.received.filter(forSub(alicePhone)).length, 0, 'the sender is not pushed')

  await send(alice, conversationId, 'x'.repeat(300))
  const [, long] = await push.waitFor(2, forSub(bobPhone))
  t.equal([...long!.payload.preview].length, 100, 'the preview is cut to 100 characters')
  t.equal(long!.payload.unread, 2)
  // The VAPID header is signed once per push service and reused until an hour before it expires.
  t.equal(long!.headers.authorization, got!.headers.authorization, 'the same VAPID header for the same push service')
  const ttlS = got!.vapid.exp - Date.now() / 1000
  t.ok(ttlS > 11 * 3600 && ttlS <= 12 * 3600 + 5, `the JWT expires in about 12 h (${Math.round(ttlS)} s)`)
})

t.test('no subscription among the other members: the send writes no outbox row and no job exists', async (t) => {
  const alice = await registerUser(app)
  const bob = await registerUser(app)
  const conversationId = await direct(alice, bob)
  await subscribe(alice, push.device()) // the sender's own subscription does not count
  const quiet = await send(alice, conversationId, 'nobody to push')
  await idle()
  const jobs = async (messageId: string): Promise<number> => (await app.sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'push-message' AND singleton_key = $1`, [messageId]))[0]!.n
  t.equal(await jobs(quiet.id), 0, 'no job')
  await subscribe(bob, push.device())
  const loud = await send(alice, conversationId, 'now there is')
  await idle()
  t.equal(await jobs(loud.id), 1, 'one job for the message once the recipient subscribed')
})

t.test('a member with a socket connected gets no push; after disconnecting they do', async (t) => {
  const alice = await registerUser(app)
  const bob = await registerUser(app)
  const conversationId = await direct(alice, bob)
  const phone = push.device()
  await subscribe(bob, phone)
  const socket = await connect(t, url, bob)
  const online = await send(alice, conversationId, 'while online')
  await idle()
  t.equal(push.received.filter(forSub(phone)).length, 0, 'online: no push')
  await socket.close()
  // the disconnect is processed server-side asynchronously
  for (let i = 0; i < 50 && (await app.presence.status([bob.id])).get(bob.id)?.online === true; i++) await new Promise((resolve) => setTimeout(resolve, 50))
  const offline = await send(alice, conversationId, 'while offline')
  const got = await push.waitFor(1, forSub(phone))
  t.equal(got.length, 1)
  t.equal(got[0]!.payload.messageId, offline.id)
  t.not(got[0]!.payload.messageId, online.id)
})

t.test('groups: every offline member with subscriptions, each device; urgency normal', async (t) => {
  const owner = await registerUser(app)
  const m1 = await registerUser(app)
  const m2 = await registerUser(app)
  const res = await app.inject({ method: 'POST', url: '/api/groups', headers: owner.auth, payload: { name: 'pushers', memberIds: [m1.id, m2.id] } })
  t.equal(res.statusCode, 201, res.body)
  const groupId = res.json().id
  const d1 = push.device()
  const d2a = push.device()
  const d2b = push.device()
  await subscribe(m1, d1)
  await subscribe(m2, d2a)
  await subscribe(m2, d2b)
  const sent = await send(owner, groupId, 'hi all')
  for (const d of [d1, d2a, d2b]) {
    const [got] = await push.waitFor(1, forSub(d))
    t.equal(got!.payload.messageId, sent.id)
    t.equal(got!.headers.urgency, 'normal')
  }
  const mention = await send(owner, groupId, 'hey @m1', { mentions: [m1.id] })
  const [, mentioned] = await push.waitFor(2, forSub(d1))
  t.equal(mentioned!.payload.messageId, mention.id)
  t.equal(mentioned!.headers.urgency, 'high', 'a mention is urgent')
  const [, other] = await push.waitFor(2, forSub(d2a))
  t.equal(other!.headers.urgency, 'normal', 'for the others it is not')
})

t.test('settings: muted and mentions-only members, set through PATCH /conversations/:id/settings', async (t) => {
  const owner = await registerUser(app)
  const muted = await registerUser(app)
  const mentionsOnly = await registerUser(app)
  const nothing = await registerUser(app)
  const res = await app.inject({ method: 'POST', url: '/api/groups', headers: owner.auth, payload: { name: 'quiet', memberIds: [muted.id, mentionsOnly.id, nothing.id] } })
  const groupId = res.json().id
  const dm = push.device(); const dmo = push.device(); const dn = push.device()
  await subscribe(muted, dm); await subscribe(mentionsOnly, dmo); await subscribe(nothing, dn)
  const settings = async (user: TestUser, payload: object): Promise<void> => {
    const r = await app.inject({ method: 'PATCH', url: `/api/conversations/${groupId as string}/settings`, headers: user.auth, payload })
    t.equal(r.statusCode, 200, r.body)
  }
  await settings(muted, { mutedUntil: new Date(Date.now() + 3600_000).toISOString() })
  await settings(mentionsOnly, { notify: 'mentions' })
  await settings(nothing, { notify: 'none' })
  await send(owner, groupId, 'plain')
  const m = await send(owner, groupId, 'for you', { mentions: [mentionsOnly.id, muted.id, nothing.id] })
  await idle()
  t.same(push.received.filter(forSub(dm)).map((r) => r.payload.messageId), [], 'muted: nothing, not even a mention')
  t.same(push.received.filter(forSub(dmo)).map((r) => r.payload.messageId), [m.id], 'mentions only: just the mention')
  t.same(push.received.filter(forSub(dn)).map((r) => r.payload.messageId), [], 'none: nothing')
})

t.test('410 from the push service deletes the subscription; 5xx is retried until it goes through', async (t) => {
  const alice = await registerUser(app)
  const bob = await registerUser(app)
  const conversationId = await direct(alice, bob)
  const gone = push.device()
  const flaky = push.device()
  const goneId = await subscribe(bob, gone)
  const flakyId = await subscribe(bob, flaky)
  push.script(gone, [410])
  push.script(flaky, [500, 503])
  const sent = await send(alice, conversationId, 'are you there')
  const [got] = await push.waitFor(1, forSub(flaky), 30_000)
  t.equal(got!.payload.messageId, sent.id, 'delivered after two 5xx answers')
  t.equal(push.refused.filter((r) => r.subscription === flaky.name).length, 2)
  await idle()
  const list = (await app.inject({ method: 'GET', url: '/api/push/subscriptions', headers: bob.auth })).json()
  t.same(list.map((s: { id: string }) => s.id), [flakyId], 'the 410 one is gone, the flaky one stays')
  t.not(goneId, flakyId)
})

t.test('PUSH_PREVIEW=false: no preview in the payload', async (t) => {
  const service = await startPushService()
  t.teardown(service.close)
  const other = await listen(t, { OUTBOUND_ALLOWED_HOSTS: new URL(service.origin).host, JOBS_WORKER: false, PUSH_PREVIEW: false })
  const alice = await registerUser(other.app)
  const bob = await registerUser(other.app)
  await befriend(other.app, alice, bob)
  const conv = (await other.app.inject({ method: 'POST', url: '/api/conversations/direct', headers: alice.auth, payload: { userId: bob.id } })).json().id
  const d = service.device()
  await other.app.inject({ method: 'POST', url: '/api/push/subscriptions', headers: bob.auth, payload: d.subscription })
  await other.app.inject({ method: 'POST', url: `/api/conversations/${conv}/messages`, headers: alice.auth, payload: { clientMsgId: 'p1', type: 'text', content: 'secret' } })
  // This app does not work jobs (JOBS_WORKER=false); the file's app does, on the same database
  // (tests share one PGlite), and it is configured to preview. So plan with this app's settings:
  const { createDelivery } = await import('../../../src/modules/push/delivery.js')
  const [msg] = await other.app.sql.query<{ id: string }>('SELECT id FROM messages WHERE conversation_id = $1::uuid', [conv])
  const planner = createDelivery({
    sql: other.app.sql,
    boss: other.app.jobs.boss,
    online: async () => new Set(),
    vapid: other.app.config.vapid!,
    preview: other.app.config.PUSH_PREVIEW,
    ttlS: 60,
    allowedHosts: other.app.config.outboundAllowedHosts,
    agents: undefined as never,
    log: other.app.log
  })
  const jobs = await planner.plan(msg!.id)
  t.equal(jobs.length, 1)
  t.notOk('preview' in (jobs[0]!.data as { payload: object }).payload, 'no preview')
  t.equal((jobs[0]!.data as { payload: { unread: number } }).payload.unread, 1)
})

t.test('a batch of push-message jobs is planned together: each subscription gets its own message, mute and online apply per recipient', async (t) => {
  const alice = await registerUser(app)
  const bob = await registerUser(app)
  const carol = await registerUser(app)
  const dave = await registerUser(app)
  const toBob = await direct(alice, bob)
  const toCarol = await direct(alice, carol)
  const toDave = await direct(alice, dave)
  for (const [user, device] of [[bob, push.device()], [carol, push.device()], [dave, push.device()]] as const) await subscribe(user, device)
  await app.inject({ method: 'PATCH', url: `/api/conversations/${toCarol}/settings`, headers: carol.auth, payload: { notify: 'none' } })
  const m1 = await send(alice, toBob, 'one for bob')
  await send(alice, toBob, 'two for bob')
  const m2 = await send(alice, toBob, 'three for bob')
  const m3 = await send(alice, toCarol, 'muted carol')
  const m4 = await send(alice, toDave, 'dave is online')
  const { createDelivery } = await import('../../../src/modules/push/delivery.js')
  const inserted: Array<{ data: { subscriptionId: string, payload: { messageId: string, conversationId: string, unread: number, preview?: string } } }> = []
  const planner = createDelivery({
    sql: app.sql,
    boss: { insert: async (jobs: typeof inserted) => { inserted.push(...jobs) } } as never,
    online: async (ids) => new Set(ids.filter((id) => id === dave.id)),
    vapid: app.config.vapid!,
    preview: true,
    ttlS: 60,
    allowedHosts: app.config.outboundAllowedHosts,
    agents: undefined as never,
    log: app.log
  })
  await planner.workMessages([m1, m2, m1, m3, m4].map((m, i) => ({ id: String(i), name: 'push-message', data: { messageId: m.id } })) as never)
  const got = inserted.map((j) => j.data.payload).sort((a, b) => a.unread - b.unread)
  t.same(got.map((p) => [p.conversationId, p.messageId, p.unread, p.preview]), [
    [toBob, m1.id, 1, 'one for bob'],
    [toBob, m2.id, 3, 'three for bob']
  ], 'bob gets each of his messages once (a repeated id is planned once); carol muted and dave online get none')
})
