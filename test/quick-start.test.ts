// suite: default only — the embedded store's own start and restart (PGlite under DATA_DIR); it takes no DATABASE_URL
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { listen, registerUser } from './helper.js'

const ROOT = join(import.meta.dirname, '..')

/** The README's "Quick start for app developers" section and its fenced blocks. */
function quickStart (): { sh: string, ts: string } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Quick start for app developers'), readme.indexOf('\n## API'))
  const block = (lang: string): string => {
    const m = section.match(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'm'))
    if (m === null) throw new Error(`no ${lang} block in the quick start`)
    return m[1]!
  }
  return { sh: block('sh'), ts: block('ts') }
}

/** Runs a script in bash without blocking this process (the server answers from it). */
const bash = (script: string): Promise<{ status: number | null, out: string }> => new Promise((resolve) => {
  const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { timeout: 30_000 })
  let out = ''
  child.stdout.on('data', (b: Buffer) => { out += b.toString() })
  child.stderr.on('data', (b: Buffer) => { out += b.toString() })
  child.on('close', (status) => { resolve({ status, out }) })
})

const hasTools = spawnSync('bash', ['-c', 'command -v curl && command -v jq']).status === 0

t.test('the README quick start: the curl lines and the SDK snippet work against a real server', { skip: hasTools ? false : 'needs curl and jq' }, async (t) => {
  const srv = await listen(t)
  const { sh, ts } = quickStart()
  t.equal(sh.split('\n').filter((l) => l.includes('curl ')).length, 5, 'five curl lines')
  const bob = await registerUser(srv.app, 'bob')
  const local = (s: string): string => s.replaceAll('http://localhost:3000', srv.url)

  // Steps 1-3, then bob accepts (on the page in the README), then steps 4-5 with the same shell variables.
  const [before, after] = local(sh).split(/^(?=# 4\.)/m)
  const state = join(mkdtempSync(join(tmpdir(), 'relay-quick-')), 'vars.sh')
  t.teardown(() => { rmSync(join(state, '..'), { recursive: true, force: true }) })
  const first = await bash(`${before!}\ndeclare -p API JSON TOKEN AUTH BOB > '${state}'`)
  t.equal(first.status, 0, `steps 1-3 run: ${first.out}`)
  t.match(first.out, '"username":"alice"', 'registered')
  t.match(first.out, '"status":"pending"', 'friend request sent')
  const incoming = await srv.app.inject({ method: 'GET', url: '/api/friends/requests?direction=incoming', headers: bob.auth })
  const accepted = await srv.app.inject({ method: 'POST', url: `/api/friends/requests/${incoming.json()[0].id as string}/accept`, headers: bob.auth })
  t.equal(accepted.statusCode, 200, 'bob accepts')
  const second = await bash(`source '${state}'\n${after!}`)
  t.equal(second.status, 0, `steps 4-5 run: ${second.out}`)
  // curl prints the bodies back to back; the history page is the last one.
  const history = JSON.parse(second.out.slice(second.out.lastIndexOf('{"messages"')).trim()) as { messages: Array<{ content: unknown }> }
  t.same(history.messages.map((m) => m.content), ['hello bob'], 'the history holds the message sent over REST')

  // The SDK snippet, as an app would run it (the package resolved from this repository).
  const dir = mkdtempSync(join(tmpdir(), 'relay-quick-sdk-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }))
  writeFileSync(join(dir, 'quick.ts'), local(ts) + '\nexport {}\n')
  t.ok(ts.trim().split('\n').length <= 12, 'about ten lines')
  const logs: string[] = []
  const log = console.log
  console.log = (...args: unknown[]) => { logs.push(args.map(String).join(' ')) }
  try {
    await import(pathToFileURL(join(dir, 'quick.ts')).href)
  } finally {
    console.log = log
  }
  t.ok(logs.some((l) => l.includes('hello bob') && l.includes('hello from the SDK')), `history printed: ${logs.join(' | ')}`)
})
