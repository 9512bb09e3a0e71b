// suite: default only — the embedded store's own start and restart (PGlite under DATA_DIR); it takes no DATABASE_URL
import t from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createClient } from '@relay-im/client'
import { befriend, listen, registerUser } from '../helper.js'
import { ensureClientDist, next, until } from '../client/fixtures.js'

const ROOT = join(import.meta.dirname, '..', '..')
const CLI = join(ROOT, 'examples', 'node-chat-cli', 'index.mjs')

t.test('examples/node-chat-cli: signs in, sends a line from stdin, prints incoming messages, quits on EOF', async (t) => {
  // The example runs on plain node, so on the package's dist (built by install/pretest).
  ensureClientDist()
  const srv = await listen(t)
  const alice = await registerUser(srv.app)
  const bob = await registerUser(srv.app)
  await befriend(srv.app, alice, bob)
  const peer = createClient({ url: srv.url, token: bob.accessToken, refreshToken: bob.refreshToken })
  t.teardown(() => { peer.close() })
  await peer.connect()

  const child = spawn(process.execPath, [CLI, bob.username], {
    cwd: join(ROOT, 'examples', 'node-chat-cli'),
    env: { ...process.env, RELAY_URL: srv.url, RELAY_USER: alice.username, RELAY_PASSWORD: 'correct horse battery' },
    stdio: ['pipe', 'pipe', 'pipe']
  })
  t.teardown(() => { child.kill() })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))

  await until(() => stderr.includes('[online]'), 15_000, 'the cli is online')
  const arrived = next(peer, 'message:new', (m) => m.content === 'hello from the terminal')
  child.stdin.write('hello from the terminal\n')
  const m = await arrived
  t.equal(m.senderId, alice.id, 'bob got the line, from alice')

  await peer.send({ toUserId: alice.id, type: 'text', content: 'hi back' })
  await until(() => stdout.includes(': hi back'), 10_000, 'the cli prints the reply')

  child.stdin.end()
  t.equal(await exited, 0, 'exits 0 on EOF')
  t.notMatch(stderr, /not sent|error/i, 'no failure reported')
  const history = await srv.app.inject({ method: 'GET', url: `/api/conversations/${m.conversationId}/messages?limit=10`, headers: alice.auth })
  t.equal(history.json().messages.filter((x: { content: unknown }) => x.content === 'hello from the terminal').length, 1, 'stored once')
})
