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

/** A free port on 127.0.0.1 (the example's, known before relay-im starts so its hook URL can name it). */
async function freePort (): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as { port: number }
  await new Promise((resolve) => s.close(resolve))
  return port
}

t.test('examples/app-backend: sessions for its users, a room with a welcome, and the before-send hook', async (t) => {
  const port = await freePort()
  const backend = `http://127.0.0.1:${port}`
  const srv = await listen(t, { BEFORE_SEND_URL: `${backend}/before-send`, BEFORE_SEND_SECRET: HOOK_SECRET, OUTBOUND_ALLOWED_HOSTS: `127.0.0.1:${port}`, BEFORE_SEND_ON_FAILURE: 'reject' })
  const key = await makeKey(srv.app, await makeAdmin(srv.app), ['users', 'conversations', 'messages'])

  const child = spawn(process.execPath, [SERVER], {
    cwd: join(ROOT, 'examples', 'app-backend'),
    env: { PATH: process.env.PATH ?? '', RELAY_URL: srv.url, RELAY_SERVER_KEY: key.key, HOOK_SECRET, PORT: String(port), HOST: '127.0.0.1' },
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
})
