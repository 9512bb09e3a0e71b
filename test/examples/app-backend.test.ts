import t from 'tap'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { listen } from '../helper.js'
import { until } from '../socket-client.js'
import { makeAdmin, makeKey } from '../modules/server-api/helpers.js'

const ROOT = join(import.meta.dirname, '..', '..')
const SERVER = join(ROOT, 'examples', 'app-backend', 'server.mjs')
const HOOK_SECRET = 'the-example-hook-secret'
const EVENTS_SECRET = 'the-example-events-secret'

/** A free port on 127.0.0.1 (the example's, known before relay-im starts so its hook URL can name it). */
async function freePort (): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as { port: number }
  await new Promise((resolve) => s.close(resolve))
  return port
}

t.test('examples/app-backend: sessions for its users, a room with a welcome, the before-send hook and app events', async (t) => {
  const port = await freePort()
  const backend = `http://127.0.0.1:${port}`
  // The hook's deadline is raised from 500 ms: the example also takes app events now, and on a
  // loaded machine one answer in 500 ms is not what this test is about (the deadline's own
  // tests: test/modules/server-api/before-send.test.ts).
  const srv = await listen(t, { BEFORE_SEND_URL: `${backend}/before-send`, BEFORE_SEND_SECRET: HOOK_SECRET, OUTBOUND_ALLOWED_HOSTS: `127.0.0.1:${port}`, BEFORE_SEND_ON_FAILURE: 'reject', BEFORE_SEND_TIMEOUT_MS: 5000, APP_EVENTS_URL: `${backend}/app-events`, APP_EVENTS_SECRET: EVENTS_SECRET, JOBS_WORKER: true })
  const key = await makeKey(srv.app, await makeAdmin(srv.app), ['users', 'conversations', 'messages'])

  const child = spawn(process.execPath, [SERVER], {
    cwd: join(ROOT, 'examples', 'app-backend'),
    env: { PATH: process.env.PATH ?? '', RELAY_URL: srv.url, RELAY_SERVER_KEY: key.key, HOOK_SECRET, EVENTS_SECRET, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { child.kill() })
  let output = ''
  child.stdout.on('data', (b: Buffer) => { output += b.toString() })
  child.stderr.on('data', (b: Buffer) => { output += b.toString() })
  await until(() => output.includes('app backend on'), 15_000, 'the example listens')

  const post = async (path: string, body: unknown): Promise<any> => {
    const res = await fetch(`${backend}${path}`, { method: 'POST', body: JSON.stringify(body) })
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
    return await res.json()
  }
  const [ada, bob] = [`ada-${randomUUID()}`, `bob-${randomUUID()}`]
  const adaSession = await post('/session', { userId: ada, name: 'Ada' })
  const bobSession = await post('/session', { userId: bob, name: 'Bob' })
  const me = await srv.app.inject({ url: '/api/users/me', headers: { authorization: `Bearer ${adaSession.accessToken as string}` } })
  t.equal(me.json().displayName, 'Ada', 'the token from the app\'s backend signs Ada in')

  const room = await post('/rooms', { owner: ada, name: 'Team', members: [bob] })
  const bobAuth = { authorization: `Bearer ${bobSession.accessToken as string}` }
  const history = await srv.app.inject({ url: `/api/conversations/${room.conversationId as string}/messages`, headers: bobAuth })
  t.match(history.json().messages.map((m: any) => m.content), ['Welcome to Team!'], 'the welcome, which passed the example\'s own hook')

  const send = async (content: string) => await srv.app.inject({ method: 'POST', url: `/api/conversations/${room.conversationId as string}/messages`, headers: bobAuth, payload: { clientMsgId: randomUUID(), type: 'text', content } })
  t.equal((await send('hello')).statusCode, 201)
  const spam = await send('buy spam now')
  t.equal(spam.json().error.code, 'FORBIDDEN')
  t.match(spam.json().error.message, /spam/)
  t.equal((await send('darn it')).json().content, '**** it', 'replaced by the hook')

  // App events: the example verified each signature (it refuses a forged one) and kept them in order.
  t.equal((await send('/help')).statusCode, 201)
  const kept = async (): Promise<any[]> => await (await fetch(`${backend}/app-events`)).json()
  await until(async () => { await srv.app.appEvents.idle(); return (await kept()).some((e) => e.type === 'message.sent' && e.data.message.content?.event === 'app_notice') }, 15_000, 'the example answers /help')
  const events = (await kept()).filter((e) => e.data.conversationId === room.conversationId || e.data.message?.conversationId === room.conversationId || e.data.conversation?.id === room.conversationId)
  t.equal(events[0]?.type, 'conversation.created')
  const texts = events.filter((e) => e.type === 'message.sent').map((e) => e.data.message.type === 'text' ? e.data.message.content : e.data.message.content.event)
  t.same(texts, ['Welcome to Team!', 'hello', '**** it', '/help', 'app_notice'], 'what was sent, in order: the refused one never was')
  t.ok((await kept()).some((e) => e.type === 'user.created' && e.data.user.externalId === ada), 'user.created by the app\'s id')
  const forged = await fetch(`${backend}/app-events`, { method: 'POST', headers: { 'x-relay-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` }, body: JSON.stringify({ id: '1', type: 'user.created', data: {} }) })
  t.equal(forged.status, 401, 'a forged event is refused')
})
