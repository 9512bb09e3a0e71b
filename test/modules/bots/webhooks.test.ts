import t, { type Test } from 'tap'
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build, registerUser, type TestUser } from '../../helper.js'
import { snapshot } from '../../security/surface.js'
import { backoffMs, signature } from '../../../src/modules/bots/webhooks.js'
import type { App } from '../../../src/app.js'
import { makeBot, type TestBot } from './helpers.js'

const SECRET = 'a-webhook-secret-of-some-length'

interface Received { headers: IncomingHttpHeaders, body: string, json: any, verified: boolean, answered: number }

/** The receiver a bot author would write: verifies the signature, dedupes on Idempotency-Key. */
function verify (secret: string, header: string | undefined, body: string, toleranceS = 300): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((kv) => kv.split('=') as [string, string]))
  const t = Number(parts.t)
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceS || parts.v1 === undefined) return false
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest()
  const given = Buffer.from(parts.v1, 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** A real local HTTP receiver; `answer` decides the status of each request (default 200). */
async function receiver (t: Test, answer: (n: number, r: Received) => number = () => 200) {
  const got: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const r: Received = { headers: req.headers, body, json: JSON.parse(body), verified: verify(SECRET, req.headers['x-relay-signature'] as string | undefined, body), answered: 0 }
      r.answered = answer(got.length, r)
      got.push(r)
      res.statusCode = r.answered
      if (r.answered >= 300 && r.answered < 400) res.setHeader('location', 'http://169.254.169.254/')
      res.end(r.answered >= 300 && r.answered < 400 ? '' : 'ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const port = (server.address() as { port: number }).port
  return { got, url: `http://127.0.0.1:${port}/hook`, host: `127.0.0.1:${port}`, delivered: () => got.filter((r) => r.answered < 300) }
}

async function until (what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

interface World { app: App, owner: TestUser, other: TestUser, bot: TestBot, group: string }

async function world (t: Test, rx: { url: string, host: string }, config: Record<string, unknown> = {}): Promise<World> {
  const app = await build(t, { OUTBOUND_ALLOWED_HOSTS: rx.host, WEBHOOK_RETRY_BASE_MS: 20, JOBS_WORKER: true, ...config })
  const [owner, other] = [await registerUser(app), await registerUser(app)]
  const bot = await makeBot(app, owner)
  const res = await app.inject({ method: 'POST', url: '/api/groups', headers: owner.auth, payload: { name: 'bots', memberIds: [other.id, bot.id] } })
  if (res.statusCode !== 201) throw new Error(res.body)
  const set = await app.inject({ method: 'PUT', url: `/api/bots/${bot.id}/webhook`, headers: owner.auth, payload: { url: rx.url, secret: SECRET } })
  if (set.statusCode !== 200) throw new Error(set.body)
  return { app, owner, other, bot, group: res.json().id }
}

async function send (app: App, who: { auth: Record<string, string> }, conversationId: string, content: string): Promise<{ id: string, seq: number }> {
  const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: who.auth, payload: { clientMsgId: randomUUID(), type: 'text', content } })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json()
}

t.test('signature and backoff helpers', async (t) => {
  t.equal(signature('s', 'body', 1700000000), `t=1700000000,v1=${createHmac('sha256', 's').update('1700000000.body').digest('hex')}`)
  t.equal(backoffMs(1000, 1, () => 0), 500, 'half of the base at least')
  t.equal(backoffMs(1000, 1, () => 1), 1000)
  t.equal(backoffMs(1000, 4, () => 1), 8000, 'doubles')
  t.equal(backoffMs(1000, 60, () => 1), 3_600_000, 'capped at an hour')
})

t.test('every new message in the bot\'s conversations is POSTed, signed, with Idempotency-Key = message id, in seq order', async (t) => {
  const rx = await receiver(t)
  const w = await world(t, rx)
  const sent = [await send(w.app, w.owner, w.group, 'one'), await send(w.app, w.other, w.group, 'two')]
  await send(w.app, w.bot, w.group, 'my own: not delivered to myself')
  sent.push(await send(w.app, w.owner, w.group, 'three'))
  await until('3 deliveries', () => rx.got.length >= 3)
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(rx.got.length, 3, 'three, the bot\'s own message excluded')
  t.same(rx.got.map((r) => r.json.data.id), sent.map((m) => m.id), 'in seq order')
  t.same(rx.got.map((r) => r.headers['idempotency-key']), sent.map((m) => m.id), 'Idempotency-Key is the message id')
  t.ok(rx.got.every((r) => r.verified), 'every signature verifies with the secret')
  t.notOk(verify('another secret of some length', rx.got[0]!.headers['x-relay-signature'] as string, rx.got[0]!.body), 'and not with another secret')
  t.match(rx.got[0]!.json, { event: 'message:new', botId: w.bot.id, data: { conversationId: w.group, seq: sent[0]!.seq, content: 'one', type: 'text' } })
  t.equal(rx.got[0]!.headers['content-type'], 'application/json')

  const log = await w.app.inject({ method: 'GET', url: `/api/bots/${w.bot.id}/deliveries`, headers: w.owner.auth })
  t.equal(log.statusCode, 200)
  t.same(log.json().map((d: any) => [d.messageId, d.status, d.attempt, d.responseCode]).reverse(), sent.map((m) => [m.id, 'delivered', 1, 200]))
  const list = await w.app.inject({ method: 'GET', url: '/api/bots', headers: w.owner.auth })
  t.equal(list.json()[0].webhook.url, rx.url)
  t.notOk(list.body.includes(SECRET), 'the secret is never shown')
  const jobs = await w.app.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'webhook' AND singleton_key = $1`, [`${w.bot.id}:${w.group}`])
  t.ok(jobs[0]!.n >= 1, 'the deliveries were worked as jobs of the pg-boss queue, keyed by (bot, conversation)')
})

t.test('the README\'s verification snippet accepts a real delivery and refuses a tampered one', async (t) => {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8')
  const block = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]!).find((b) => b.includes('verifyRelaySignature'))
  t.ok(block, 'the README has the snippet')
  const dir = mkdtempSync(join(tmpdir(), 'relay-readme-sig-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  writeFileSync(join(dir, 'verify.mjs'), block!)
  const { verifyRelaySignature } = await import(pathToFileURL(join(dir, 'verify.mjs')).href) as { verifyRelaySignature: (secret: string, header: string, body: string) => boolean }
  const rx = await receiver(t)
  const w = await world(t, rx)
  await send(w.app, w.owner, w.group, 'check me')
  await until('a delivery', () => rx.got.length >= 1)
  const r = rx.got[0]!
  t.equal(verifyRelaySignature(SECRET, r.headers['x-relay-signature'] as string, r.body), true, 'accepted')
  t.equal(verifyRelaySignature(SECRET, r.headers['x-relay-signature'] as string, r.body.replace('check me', 'check us')), false, 'a changed body is refused')
  t.equal(verifyRelaySignature('wrong-secret-of-some-length', r.headers['x-relay-signature'] as string, r.body), false, 'another secret is refused')
  t.equal(verifyRelaySignature(SECRET, signature(SECRET, r.body, Math.floor(Date.now() / 1000) - 3600), r.body), false, 'an hour-old signature is refused')
})

t.test('no history replay: only messages sent after the webhook was set', async (t) => {
  const rx = await receiver(t)
  const app = await build(t, { OUTBOUND_ALLOWED_HOSTS: rx.host, JOBS_WORKER: true })
  const owner = await registerUser(app)
  const bot = await makeBot(app, owner)
  const group = (await app.inject({ method: 'POST', url: '/api/groups', headers: owner.auth, payload: { name: 'g', memberIds: [bot.id] } })).json().id as string
  await send(app, owner, group, 'before')
  await app.inject({ method: 'PUT', url: `/api/bots/${bot.id}/webhook`, headers: owner.auth, payload: { url: rx.url, secret: SECRET } })
  const after = await send(app, owner, group, 'after')
  await until('one delivery', () => rx.got.length >= 1)
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.same(rx.got.map((r) => r.json.data.id), [after.id])
})

t.test('order under failures: the receiver fails the first 3 attempts; retries with backoff, still in seq order, logged', async (t) => {
  let failures = 3
  const rx = await receiver(t, () => failures-- > 0 ? 500 : 200)
  const w = await world(t, rx)
  const sent: Array<{ id: string }> = []
  for (let i = 0; i < 5; i++) sent.push(await send(w.app, w.owner, w.group, `m${i}`))
  await until('5 delivered', () => rx.delivered().length >= 5)
  t.same(rx.got.slice(0, 4).map((r) => r.json.data.id), [sent[0]!.id, sent[0]!.id, sent[0]!.id, sent[0]!.id], 'the first message retried until it passed; nothing overtook it')
  t.same(rx.delivered().map((r) => r.json.data.id), sent.map((m) => m.id), 'delivered in seq order')
  const log = (await w.app.inject({ method: 'GET', url: `/api/bots/${w.bot.id}/deliveries?limit=200`, headers: w.owner.auth })).json().reverse()
  t.same(log.slice(0, 4).map((d: any) => [d.status, d.attempt, d.responseCode]), [['failed', 1, 500], ['failed', 2, 500], ['failed', 3, 500], ['delivered', 4, 200]])
  t.ok(log.slice(0, 3).every((d: any) => d.error === 'ok'), 'the receiver\'s answer is kept (bounded)')
})

t.test('a redirect is not followed (a failure), and a URL that is refused when connecting is logged as failed', async (t) => {
  const rx = await receiver(t, () => 302)
  const w = await world(t, rx, { WEBHOOK_MAX_AGE_S: 60 })
  await send(w.app, w.owner, w.group, 'x')
  await until('an attempt', () => rx.got.length >= 1)
  await until('logged', async () => (await w.app.prisma.webhookDelivery.count({ where: { botId: w.bot.id } })) >= 1)
  const first = await w.app.prisma.webhookDelivery.findFirstOrThrow({ where: { botId: w.bot.id }, orderBy: { createdAt: 'asc' } })
  t.match(first, { status: 'failed', responseCode: 302, error: 'redirect not followed' })

  // A URL stored without the registration check (as if a name had resolved publicly then): refused at connect time.
  const bot2 = await makeBot(w.app, w.owner)
  await w.app.inject({ method: 'POST', url: `/api/groups/${w.group}/members`, headers: w.owner.auth, payload: { userIds: [bot2.id] } })
  await w.app.prisma.bot.update({ where: { userId: bot2.id }, data: { webhookUrl: 'https://127.0.0.1:9/hook', webhookSecret: SECRET, webhookSince: new Date() } })
  w.app.webhooks.kick()
  await send(w.app, w.owner, w.group, 'y')
  await until('refused attempt logged', async () => (await w.app.prisma.webhookDelivery.count({ where: { botId: bot2.id } })) >= 1)
  const refused = await w.app.prisma.webhookDelivery.findFirstOrThrow({ where: { botId: bot2.id } })
  t.match(refused, { status: 'failed', responseCode: null, error: /not a public address/ })
})

t.test('give-up after WEBHOOK_MAX_AGE_S: logged gave_up, and the next message goes on', async (t) => {
  let down = true
  const rx = await receiver(t, () => down ? 503 : 200)
  const w = await world(t, rx, { WEBHOOK_MAX_AGE_S: 1, WEBHOOK_RETRY_BASE_MS: 100 })
  const lost = await send(w.app, w.owner, w.group, 'lost')
  await until('gave up', async () => (await w.app.prisma.webhookDelivery.count({ where: { botId: w.bot.id, status: 'gave_up' } })) === 1, 20_000)
  down = false
  const next = await send(w.app, w.owner, w.group, 'next')
  await until('next delivered', () => rx.delivered().length >= 1)
  t.same(rx.delivered().map((r) => r.json.data.id), [next.id])
  const gaveUp = await w.app.prisma.webhookDelivery.findFirstOrThrow({ where: { botId: w.bot.id, status: 'gave_up' } })
  t.equal(gaveUp.messageId, lost.id)
  t.match(gaveUp.error, /WEBHOOK_MAX_AGE_S/)
  t.ok(rx.got.filter((r) => r.json.data.id === lost.id).length >= 1, 'it was tried before being given up')
})

t.test('derived from committed rows: messages sent while no node works the queue are delivered by the next one, once each, even with two workers', async (t) => {
  const rx = await receiver(t)
  const w = await world(t, rx, { JOBS_WORKER: false })
  const sent: Array<{ id: string }> = []
  for (let i = 0; i < 10; i++) sent.push(await send(w.app, w.owner, w.group, `queued ${i}`))
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(rx.got.length, 0, 'no worker, no delivery (and nothing was enqueued in memory)')
  // Two more nodes on the same database, both working.
  // (In services mode each app gets its own database unless told to share one.)
  const same = { databaseUrl: w.app.config.DATABASE_URL }
  const [a, b] = [await build(t, { OUTBOUND_ALLOWED_HOSTS: rx.host, JOBS_WORKER: true }, same), await build(t, { OUTBOUND_ALLOWED_HOSTS: rx.host, JOBS_WORKER: true }, same)]
  a.webhooks.kick()
  b.webhooks.kick()
  await until('10 delivered', () => rx.got.length >= 10)
  await new Promise((resolve) => setTimeout(resolve, 1500))
  t.same(rx.got.map((r) => r.json.data.id), sent.map((m) => m.id), 'each once, in order')
})

t.test('webhook bad input and SSRF refusals: 400 VALIDATION, nothing written; owner only', async (t) => {
  const app = await build(t)
  const [owner, other] = [await registerUser(app), await registerUser(app)]
  const bot = await makeBot(app, owner)
  const before = await snapshot(app)
  const urls = [
    'http://127.0.0.1/hook', 'https://127.0.0.1/hook', 'https://10.0.0.1/hook', 'https://[::1]/hook', 'https://169.254.169.254/latest/meta-data',
    'https://[::ffff:127.0.0.1]/hook', 'https://192.168.1.1/', 'https://224.0.0.1/', 'https://localhost/hook', 'http://example.com/hook',
    'not a url', 'ftp://example.com/', 'https://user:pass@8.8.8.8/', ''
  ]
  for (const url of urls) {
    const res = await app.inject({ method: 'PUT', url: `/api/bots/${bot.id}/webhook`, headers: owner.auth, payload: { url, secret: SECRET } })
    t.equal(res.json().error?.code, 'VALIDATION', `refused: ${JSON.stringify(url)} (${res.json().error?.message as string})`)
  }
  for (const [what, payload] of [
    ['secret too short', { url: 'https://8.8.8.8/hook', secret: 'short' }],
    ['no secret', { url: 'https://8.8.8.8/hook' }],
    ['extra field', { url: 'https://8.8.8.8/hook', secret: SECRET, events: ['all'] }],
    ['url not a string', { url: 42, secret: SECRET }]
  ] as const) {
    const res = await app.inject({ method: 'PUT', url: `/api/bots/${bot.id}/webhook`, headers: owner.auth, payload })
    t.equal(res.json().error?.code, 'VALIDATION', what)
  }
  const bad = await app.inject({ method: 'GET', url: `/api/bots/${bot.id}/deliveries?limit=0`, headers: owner.auth })
  t.equal(bad.json().error?.code, 'VALIDATION', 'deliveries: bad limit')
  const notMine = await app.inject({ method: 'PUT', url: `/api/bots/${bot.id}/webhook`, headers: other.auth, payload: { url: 'https://8.8.8.8/hook', secret: SECRET } })
  t.equal(notMine.json().error?.code, 'NOT_FOUND', 'another user: NOT_FOUND')
  t.same(await snapshot(app), before, 'nothing written')

  const ok = await app.inject({ method: 'PUT', url: `/api/bots/${bot.id}/webhook`, headers: owner.auth, payload: { url: 'https://8.8.8.8/hook', secret: SECRET } })
  t.equal(ok.statusCode, 200, 'a public address is accepted')
  t.equal(ok.json().webhook.url, 'https://8.8.8.8/hook')
  t.equal((await app.prisma.bot.findUniqueOrThrow({ where: { userId: bot.id } })).webhookSecret, SECRET, 'the secret is stored as given (it signs)')
  const del = await app.inject({ method: 'DELETE', url: `/api/bots/${bot.id}/webhook`, headers: owner.auth })
  t.equal(del.statusCode, 204)
  t.match(await app.prisma.bot.findUniqueOrThrow({ where: { userId: bot.id } }), { webhookUrl: null, webhookSecret: null })
})

t.test('removing the webhook stops deliveries', async (t) => {
  const rx = await receiver(t)
  const w = await world(t, rx)
  await send(w.app, w.owner, w.group, 'first')
  await until('first', () => rx.got.length >= 1)
  await w.app.inject({ method: 'DELETE', url: `/api/bots/${w.bot.id}/webhook`, headers: w.owner.auth })
  await send(w.app, w.owner, w.group, 'after removal')
  await new Promise((resolve) => setTimeout(resolve, 1500))
  t.equal(rx.got.length, 1)
})

t.test('no deliveries while the bot or its owner is suspended; they resume when it is lifted', async (t) => {
  const rx = await receiver(t)
  const w = await world(t, rx)
  await w.app.prisma.user.update({ where: { id: w.owner.id }, data: { suspendedAt: new Date() } })
  const held = await send(w.app, w.other, w.group, 'while the owner is suspended')
  await new Promise((resolve) => setTimeout(resolve, 1500))
  t.equal(rx.got.length, 0, 'held back')
  await w.app.prisma.user.update({ where: { id: w.owner.id }, data: { suspendedAt: null } })
  await until('delivered after the lift', () => rx.got.length >= 1)
  t.equal(rx.got[0]!.json.data.id, held.id)
})

t.test('a bot removed and added back gets only what is sent once it is back: not what it missed, not its own removal notice', async (t) => {
  const rx = await receiver(t)
  const w = await world(t, rx)
  const first = await send(w.app, w.owner, w.group, 'while in')
  await until('the first delivery', () => rx.got.length >= 1)
  const removed = await w.app.inject({ method: 'DELETE', url: `/api/groups/${w.group}/members/${w.bot.id}`, headers: w.owner.auth })
  t.equal(removed.statusCode, 200)
  t.equal(await w.app.prisma.webhookCursor.count({ where: { botId: w.bot.id, conversationId: w.group } }), 0, 'the removal ended its position')
  const missed = await send(w.app, w.owner, w.group, 'while out')
  await w.app.webhooks.idle()
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.same(rx.got.map((r) => r.json.data.id), [first.id], 'nothing while out')

  const added = await w.app.inject({ method: 'POST', url: `/api/groups/${w.group}/members`, headers: w.owner.auth, payload: { userIds: [w.bot.id] } })
  t.equal(added.statusCode, 200)
  const headAtReturn = added.json().lastSeq as number
  const back = await send(w.app, w.other, w.group, 'after return')
  await until('the message after the return', () => rx.got.some((r) => r.json.data.id === back.id))
  await w.app.webhooks.idle()
  await new Promise((resolve) => setTimeout(resolve, 300))
  const later = rx.got.slice(1).map((r) => r.json.data)
  t.notOk(later.some((m: any) => m.id === missed.id), 'not the message sent while it was out')
  t.notOk(later.some((m: any) => m.type === 'system' && m.content?.event === 'member_removed'), 'not its own removal notice')
  t.ok(later.every((m: any) => m.seq >= headAtReturn), `only from the head at its return (seq ${headAtReturn}) on: ${later.map((m: any) => m.seq).join(',')}`)
  t.equal(later[later.length - 1].id, back.id)
})

t.test('the visibility rule holds for bots: a message the bot deleted for itself, or cleared past, is not delivered', async (t) => {
  const rx = await receiver(t)
  const w = await world(t, rx, { JOBS_WORKER: false })
  const cleared = await send(w.app, w.owner, w.group, 'cleared by the bot')
  const hidden = await send(w.app, w.owner, w.group, 'hidden by the bot')
  const kept = await send(w.app, w.owner, w.group, 'seen by the bot')
  const botAuth = { authorization: `Bot ${w.bot.token}` }
  t.equal((await w.app.inject({ method: 'POST', url: `/api/conversations/${w.group}/clear`, headers: botAuth, payload: { uptoSeq: cleared.seq } })).statusCode, 204, 'the bot clears up to the first')
  t.equal((await w.app.inject({ method: 'DELETE', url: `/api/conversations/${w.group}/messages/${hidden.id}?for=me`, headers: botAuth })).statusCode, 204, 'and deletes the second for itself')
  // A node that works the queue (the same database), from now on.
  const worker = await build(t, { OUTBOUND_ALLOWED_HOSTS: rx.host, JOBS_WORKER: true }, { databaseUrl: w.app.config.DATABASE_URL })
  worker.webhooks.kick()
  await until('the visible message', () => rx.got.some((r) => r.json.data.id === kept.id))
  await worker.webhooks.idle()
  const ids = rx.got.map((r) => r.json.data.id)
  t.notOk(ids.includes(cleared.id), 'not the cleared one')
  t.notOk(ids.includes(hidden.id), 'not the hidden one')
})
