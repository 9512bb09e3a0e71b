import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { build, listen, registerUser } from '../../helper.js'
import { connect } from '../../socket-client.js'
import type { App } from '../../../src/app.js'
import { makeBot } from '../bots/helpers.js'
import { appUser, makeAdmin, makeKey, signedReceiver, type SignedAnswer, type SignedCall } from './helpers.js'

const SECRET = 'a-before-send-secret'
const code = (res: { json: () => any }): string => res.json().error?.code

type Call = SignedCall

/** The app's hook: allows unless the test sets otherwise. */
async function hook (t: Test): Promise<{ url: string, host: string, calls: Call[], answer: { fn: SignedAnswer } }> {
  return await signedReceiver(t, SECRET, '/before-send', (_c, res) => { res.end(JSON.stringify({ action: 'allow' })) })
}

async function world (t: Test, app: App) {
  const [alice, bob] = [await registerUser(app), await registerUser(app)]
  const g = await app.inject({ method: 'POST', url: '/api/groups', headers: alice.auth, payload: { name: 'hooked', memberIds: [bob.id] } })
  return { alice, bob, group: g.json().id as string }
}

const restSend = async (app: App, auth: Record<string, string>, group: string, content: unknown, type = 'text') =>
  await app.inject({ method: 'POST', url: `/api/conversations/${group}/messages`, headers: auth, payload: { clientMsgId: randomUUID(), type, content } })

t.test('not configured: no hook object, nothing called', async (t) => {
  const app = await build(t)
  t.equal(app.beforeSend, undefined)
})

t.test('BEFORE_SEND_URL without a secret is a configuration error', async (t) => {
  await t.rejects(build(t, { BEFORE_SEND_URL: 'https://hook.example/x' }), /BEFORE_SEND_SECRET/)
})

t.test('the hook sees every send, signed, and allows, rejects or replaces', async (t) => {
  const h = await hook(t)
  const app = await build(t, { BEFORE_SEND_URL: h.url, BEFORE_SEND_SECRET: SECRET, OUTBOUND_ALLOWED_HOSTS: h.host })
  const { alice, bob, group } = await world(t, app)

  const allowed = await restSend(app, alice.auth, group, 'hello')
  t.equal(allowed.statusCode, 201)
  const call = h.calls.at(-1)!
  t.ok(call.verified, 'signed like webhooks')
  t.match(call.json, { message: { conversationId: group, senderId: alice.id, type: 'text', content: 'hello' }, conversation: { id: group, type: 'group' } })

  h.answer.fn = (c, res) => { res.end(JSON.stringify(c.json.message.content === 'spam' ? { action: 'reject', code: 'spam_detected' } : { action: 'allow' })) }
  const before = await app.prisma.message.count({ where: { conversationId: group } })
  const rejected = await restSend(app, bob.auth, group, 'spam')
  t.equal(code(rejected), 'FORBIDDEN')
  t.match(rejected.json().error.message, /spam_detected/, 'the sender sees the app\'s code')
  t.equal(await app.prisma.message.count({ where: { conversationId: group } }), before, 'nothing stored')

  h.answer.fn = (_c, res) => { res.end(JSON.stringify({ action: 'reject', code: 'a\u202eb <script>' })) }
  t.match((await restSend(app, bob.auth, group, 'x')).json().error.message, /: rejected$/, 'a code outside [A-Za-z0-9_.-] is not echoed')

  h.answer.fn = (c, res) => { res.end(JSON.stringify({ action: 'replace', content: String(c.json.message.content).replace(/darn/g, '****') })) }
  const replaced = await restSend(app, bob.auth, group, 'darn it')
  t.equal(replaced.statusCode, 201)
  t.equal(replaced.json().content, '**** it', 'the replaced content is what is stored and served')
  const stored = await app.prisma.message.findUniqueOrThrow({ where: { id: replaced.json().id } })
  t.equal(stored.content, '**** it')

  for (const bad of ['a\u0000b', 'x'.repeat(app.config.TEXT_MAX_CHARS + 1), { not: 'text' }, null]) {
    h.answer.fn = (_c, res) => { res.end(JSON.stringify({ action: 'replace', content: bad })) }
    const res = await restSend(app, bob.auth, group, 'fine')
    t.equal(code(res), 'VALIDATION', `a replacement the kind refuses: ${JSON.stringify(bad)?.slice(0, 20)}`)
  }

  // The socket, a bot and the server API go through the same send.
  h.answer.fn = (_c, res) => { res.end(JSON.stringify({ action: 'reject', code: 'closed' })) }
  const { url } = await (async () => {
    await app.listen({ port: 0, host: '127.0.0.1' })
    return { url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` }
  })()
  const socket = await connect(t, url, alice)
  const ack = await socket.call('message:send', { conversationId: group, clientMsgId: randomUUID(), type: 'text', content: 'via socket' })
  t.match(ack, { ok: false, error: { code: 'FORBIDDEN', message: /closed/ } }, 'socket sends')
  const bot = await makeBot(app, alice)
  await app.inject({ method: 'POST', url: `/api/groups/${group}/members`, headers: alice.auth, payload: { userIds: [bot.id] } })
  t.equal(code(await restSend(app, bot.auth, group, 'bot says')), 'FORBIDDEN', 'bot sends')
  const key = await makeKey(app, await makeAdmin(app))
  const u = await appUser(app, key)
  await app.inject({ method: 'POST', url: `/api/groups/${group}/members`, headers: alice.auth, payload: { userIds: [u.id] } })
  const viaServer = await app.inject({ method: 'POST', url: `/api/server/conversations/${group}/messages`, headers: key.auth, payload: { as: u.externalId, clientMsgId: randomUUID(), type: 'text', content: 'server says' } })
  t.equal(code(viaServer), 'FORBIDDEN', 'server API sends')
  t.ok(h.calls.some((c) => c.json.message.senderId === u.id), 'the hook was asked about the server API send')
})

t.test('garbage, slow, failing and redirecting hooks take the configured policy and are counted', async (t) => {
  const h = await hook(t)
  const answers: Record<string, SignedAnswer> = {
    garbage: (_c, res) => { res.end('{{{not json') },
    'unknown action': (_c, res) => { res.end(JSON.stringify({ action: 'maybe' })) },
    'a 500': (_c, res) => { res.statusCode = 500; res.end('{"action":"allow"}') },
    'a redirect': (_c, res) => { res.statusCode = 307; res.setHeader('location', 'http://169.254.169.254/'); res.end() },
    slow: (_c, res) => { setTimeout(() => { if (!res.destroyed) res.end(JSON.stringify({ action: 'allow' })) }, 1500).unref() },
    'a hang-up': (_c, res) => { res.socket?.destroy() }
  }
  for (const policy of ['allow', 'reject'] as const) {
    t.test(`policy ${policy}`, async (t) => {
      const app = await build(t, { BEFORE_SEND_URL: h.url, BEFORE_SEND_SECRET: SECRET, OUTBOUND_ALLOWED_HOSTS: h.host, BEFORE_SEND_TIMEOUT_MS: 200, BEFORE_SEND_ON_FAILURE: policy })
      const { alice, group } = await world(t, app)
      for (const [name, fn] of Object.entries(answers)) {
        h.answer.fn = fn
        const started = Date.now()
        const res = await restSend(app, alice.auth, group, `hook ${name}`)
        if (policy === 'allow') t.equal(res.statusCode, 201, `${name}: sent`)
        else t.equal(code(res), 'FORBIDDEN', `${name}: refused`)
        t.ok(Date.now() - started < 1400, `${name}: the deadline holds (${Date.now() - started} ms)`)
      }
      t.same(app.beforeSend?.failures(), { allow: policy === 'allow' ? 6 : 0, reject: policy === 'reject' ? 6 : 0 })
      const metrics = await app.inject({ url: '/metrics' })
      t.match(metrics.body, new RegExp(`relay_before_send_failures_total\\{policy="${policy}"\\} 6`))
    })
  }
})

t.test('the hook URL goes through the outbound-address checks: loopback not allowed unless listed', async (t) => {
  const h = await hook(t)
  const app = await build(t, { BEFORE_SEND_URL: h.url, BEFORE_SEND_SECRET: SECRET, BEFORE_SEND_ON_FAILURE: 'reject' })
  const { alice, group } = await world(t, app)
  t.equal(code(await restSend(app, alice.auth, group, 'x')), 'FORBIDDEN', 'refused: the policy applies')
  t.equal(h.calls.length, 0, 'the loopback hook was never called')
})

t.test('a listening app with the hook still serves sends that the hook allows', async (t) => {
  const h = await hook(t)
  // The deadline is not this test's subject: on a loaded machine a 500 ms call can time out before
  // its body reaches the hook (the send is then allowed by the policy and the call never counted).
  const { app } = await listen(t, { BEFORE_SEND_URL: h.url, BEFORE_SEND_SECRET: SECRET, OUTBOUND_ALLOWED_HOSTS: h.host, BEFORE_SEND_TIMEOUT_MS: 10_000 })
  const { alice, group } = await world(t, app)
  const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => await restSend(app, alice.auth, group, `n${i}`)))
  t.ok(results.every((r) => r.statusCode === 201))
  t.equal(h.calls.length, 20, 'one call per send')
})
