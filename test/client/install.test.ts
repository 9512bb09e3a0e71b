// suite: default only — the SDK's own behaviour; the server paths it drives run on both engines in test/modules
import t from 'tap'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { befriend, listen, registerUser } from '../helper.js'
import { ensureClientDist } from './fixtures.js'

const ROOT = join(import.meta.dirname, '..', '..')
const PKG = join(ROOT, 'packages', 'client')

const run = (cmd: string, args: string[], cwd: string): Promise<{ code: number | null, out: string }> => new Promise((resolve) => {
  // Not spawnSync: the server under test answers from this process.
  const child = spawn(cmd, args, { cwd, timeout: 120_000 })
  let out = ''
  child.stdout.on('data', (b: Buffer) => { out += b.toString() })
  child.stderr.on('data', (b: Buffer) => { out += b.toString() })
  child.on('close', (code) => { resolve({ code, out }) })
})

t.test('the packed SDK installs into an empty folder, type-checks there, and chats with a real server on plain node', async (t) => {
  ensureClientDist()
  const dir = mkdtempSync(join(tmpdir(), 'relay-install-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const [pack] = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: PKG, encoding: 'utf8' })) as Array<{ filename: string }>
  const app = join(dir, 'app')
  execFileSync('mkdir', [app])
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
  // socket.io-client comes from npm's cache when the repository's own install put it there.
  const installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, pack!.filename)], app)
  t.equal(installed.code, 0, `npm install of the tarball: ${installed.out}`)

  // The declarations work for a browser app on TypeScript (strict, NodeNext, no skipLibCheck).
  writeFileSync(join(app, 'check.ts'), [
    "import { createClient, ClientError, type Message } from '@relay-im/client'",
    "import { PROTOCOL_VERSION, type ServerToClientEvents } from '@relay-im/client/protocol'",
    "const client = createClient({ url: 'http://localhost:3000' })",
    "const onNew = (m: Message): number => m.seq",
    "const e: ServerToClientEvents['message:new'] | undefined = undefined",
    'export const used = [client, ClientError, onNew, e, PROTOCOL_VERSION]',
    ''
  ].join('\n'))
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2022', 'DOM'], types: [], noEmit: true },
    files: ['check.ts']
  }))
  const tsc = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], app)
  t.equal(tsc.code, 0, `the installed declarations type-check: ${tsc.out}`)

  const srv = await listen(t)
  const alice = await registerUser(srv.app)
  const bob = await registerUser(srv.app)
  await befriend(srv.app, alice, bob)
  writeFileSync(join(app, 'chat.mjs'), `
import { createClient } from '@relay-im/client'
const client = createClient({ url: ${JSON.stringify(srv.url)}, credentials: { username: ${JSON.stringify(alice.username)}, password: 'correct horse battery' } })
await client.connect()
const ack = await client.send({ toUserId: ${JSON.stringify(bob.id)}, type: 'text', content: 'from an installed package' })
console.log('seq', ack.seq)
client.close()
`)
  const chat = await run(process.execPath, ['chat.mjs'], app)
  t.equal(chat.code, 0, `the app ran: ${chat.out}`)
  t.match(chat.out, 'seq 1')
})
