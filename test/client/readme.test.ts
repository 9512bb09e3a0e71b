// suite: default only — the SDK's own behaviour; the server paths it drives run on both engines in test/modules
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Client, createClient } from '@relay-im/client'
import { befriend, listen, registerUser } from '../helper.js'
import { allMessages } from './fixtures.js'

const ROOT = join(import.meta.dirname, '..', '..')
const README = join(ROOT, 'packages', 'client', 'README.md')

/** The ```ts blocks of the package README, in order. */
export function tsBlocks (markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!)
}

/**
 * One module per block: its imports on top, then the names the README promises (`url`,
 * `username`, `password`, `friendId`, `storage`, `client`) and the block's body in a nested
 * scope, so a block may declare its own `client`.
 */
function moduleOf (block: string): string {
  const lines = block.split('\n')
  const imports = lines.filter((l) => l.startsWith('import '))
  const body = lines.filter((l) => !l.startsWith('import '))
  return [
    ...imports,
    'const { url, username, password, friendId, storage, client } = (globalThis as any).__readme as {',
    '  url: string, username: string, password: string, friendId: string,',
    '  storage: { get (key: string): string | null, set (key: string, value: string): void },',
    "  client: import('@relay-im/client').Client",
    '}',
    'void url; void username; void password; void friendId; void storage; void client',
    '{',
    ...body,
    '}',
    'export {}',
    ''
  ].join('\n')
}

t.test('every ts snippet of packages/client/README.md compiles and runs against a real server', async (t) => {
  const blocks = tsBlocks(readFileSync(README, 'utf8'))
  t.ok(blocks.length >= 10, `${blocks.length} snippets`)

  const dir = mkdtempSync(join(tmpdir(), 'relay-readme-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }))
  const files = blocks.map((block, i) => {
    const file = join(dir, `snippet-${String(i + 1).padStart(2, '0')}.ts`)
    writeFileSync(file, moduleOf(block))
    return file
  })
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2022', 'DOM'],
      types: [],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      customConditions: ['@relay-im/source'],
      strict: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: true,
      noEmit: true
    },
    include: ['*.ts']
  }))
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' })
  t.equal(tsc.status, 0, 'the snippets type-check')
  if (tsc.status !== 0) t.comment(tsc.stdout + tsc.stderr)

  // The Bots snippet's webhook host: allowed, so no DNS lookup of it is needed (no network here).
  const srv = await listen(t, { OUTBOUND_ALLOWED_HOSTS: 'hooks.example.test:443' })
  const alice = await registerUser(srv.app)
  const bob = await registerUser(srv.app)
  await befriend(srv.app, alice, bob)
  // Every client a snippet connects is closed at the end (the snippets leave some open).
  const opened = new Set<Client>()
  const connect = Client.prototype.connect
  Client.prototype.connect = function (this: Client) { opened.add(this); return connect.call(this) }
  t.teardown(() => {
    Client.prototype.connect = connect
    for (const c of opened) c.close()
  })
  const shared = createClient({ url: srv.url, token: alice.accessToken, refreshToken: alice.refreshToken })
  await shared.connect()
  const store = new Map<string, string>()
  ;(globalThis as any).__readme = {
    url: srv.url,
    username: alice.username,
    password: 'correct horse battery',
    friendId: bob.id,
    storage: { get: (k: string) => store.get(k) ?? null, set: (k: string, v: string) => { store.set(k, v) } },
    client: shared
  }
  t.teardown(() => { delete (globalThis as any).__readme })

  for (const file of files) {
    await t.resolves(import(pathToFileURL(file).href), `${file.slice(dir.length + 1)} runs`)
  }
  t.ok(store.has('tokens') && store.has('cursors'), 'tokens and cursors were persisted')
  // The direct conversation with friendId (the Bots snippet makes a group after it).
  const direct = (await shared.conversations()).find((c) => c.type === 'direct')
  const messages = await allMessages(srv.app, alice, direct!.id)
  t.ok(messages.some((m) => (m.content as { name?: string } | null)?.name === 'hello.txt'), 'the uploaded file was sent')
  t.notOk(messages.some((m) => m.content === ''), 'the invalid send wrote nothing')
})
