/**
 * Rolling upgrade (README, "Operations", "Upgrades"): a node of the previous release keeps
 * serving on the schema of the new one while the new release rolls out, for the migrations of
 * issue 28 (prisma/migrations/20261207*: expand-only). The previous release is the code at the
 * parent of the first commit that added one of them (or UPGRADE_FROM=<commit>), taken out of
 * git with `git archive` into a temporary directory that reuses this checkout's node_modules
 * (symlinks; its own SDK package), with its own Prisma client generated there, and run from
 * source. Then, on one PostgreSQL database: the old node migrates and serves; a new node starts
 * (applying the new migrations); the old node keeps sending, reading history and making groups
 * while the new one sets a retention policy and purges; the old node restarts on the new schema.
 *
 * Services suite only: two nodes on one database need PostgreSQL (skipped in the default suite).
 * Over 20 s (about 50 s on the 2-core machine at load 15): it unpacks and generates the previous
 * release's Prisma client, and starts that node twice from source.
 */
import t, { type Test } from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { build, createTestDatabase, registerUser, servicesMode } from '../helper.js'
import { api, register, startServer, type ServerProc, type User } from '../faults/support.js'

t.setTimeout(600_000)

const ROOT = resolve(import.meta.dirname, '..', '..')
/** Issue 28's migrations: every migration at or after this stamp. */
const ISSUE_FROM = '20261207000000'
const JWT_SECRET = 'upgrade-test-secret-that-is-at-least-32-characters'

const git = (...args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim()

/** The previous release: the parent of the oldest commit that added one of the issue's migrations. */
function previousRelease (): { commit: string, migrations: string[] } | string {
  const migrations = readdirSync(join(ROOT, 'prisma', 'migrations')).filter((name) => /^\d{14}_/.test(name) && name >= ISSUE_FROM).sort()
  if (migrations.length === 0) return 'no migration of issue 28 here'
  if (process.env.UPGRADE_FROM !== undefined) return { commit: git('rev-parse', process.env.UPGRADE_FROM), migrations }
  let first: { commit: string, at: number } | undefined
  try {
    for (const name of migrations) {
      const lines = git('log', '--diff-filter=A', '--format=%H %ct', '--', `prisma/migrations/${name}/migration.sql`).split('\n').filter(Boolean)
      const added = lines.at(-1)
      if (added === undefined) continue // not committed yet: the working tree's
      const [commit, at] = added.split(' ') as [string, string]
      if (first === undefined || Number(at) < first.at) first = { commit, at: Number(at) }
    }
  } catch (err) {
    return `no git history (${(err as Error).message.split('\n')[0]})`
  }
  if (first === undefined) return 'the issue\'s migrations are not committed yet'
  return { commit: git('rev-parse', `${first.commit}^`), migrations }
}

/** The previous release's sources in a temporary directory, runnable with this checkout's dependencies. */
function unpack (t: Test, commit: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-upgrade-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const archive = spawnSync('git', ['archive', '--format=tar', commit, 'src', 'prisma', 'packages/client', 'package.json', 'tsconfig.json', 'prisma.config.ts', 'scripts', 'test/typescript-loader.mjs'], { cwd: ROOT, maxBuffer: 256 * 1024 * 1024 })
  if (archive.status !== 0) throw new Error(`git archive: ${archive.stderr.toString()}`)
  execFileSync('tar', ['-x', '-C', dir], { input: archive.stdout })
  // node_modules: a link to each of ours, except the SDK, which is the old release's own.
  mkdirSync(join(dir, 'node_modules', '@relay-im'), { recursive: true })
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name === '@relay-im' || name === '.cache') continue
    symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name))
  }
  symlinkSync(join(dir, 'packages', 'client'), join(dir, 'node_modules', '@relay-im', 'client'))
  const generated = spawnSync(process.execPath, ['scripts/prisma.mjs', 'generate'], { cwd: dir, encoding: 'utf8' })
  if (generated.status !== 0 || !existsSync(join(dir, 'src', 'generated'))) throw new Error(`prisma generate (previous release): ${generated.stdout}${generated.stderr}`)
  return dir
}

interface Node extends ServerProc { stop: () => Promise<void> }

/** The previous release's server, from source (Node's type stripping, as its tests run it). */
async function startOld (t: Test, dir: string, databaseUrl: string): Promise<Node> {
  const srv = await startServer(t, { JWT_SECRET, DATABASE_URL: databaseUrl, DATA_DIR: join(dir, 'data') }, {
    cwd: dir,
    args: ['--conditions=@relay-im/source', '--import', './test/typescript-loader.mjs', 'src/server.ts'],
    timeoutMs: 180_000
  })
  const stop = async (): Promise<void> => {
    if (!srv.alive()) return
    srv.proc.kill('SIGTERM')
    await srv.exited
  }
  return { ...srv, stop }
}

const plan = servicesMode ? previousRelease() : 'needs PostgreSQL: two nodes on one database (TEST_SERVICES=1)'

t.test('a node of the previous release keeps serving while the new release rolls out', { skip: typeof plan === 'string' ? plan : false }, async (t) => {
  if (typeof plan === 'string') return
  t.comment(`previous release: ${plan.commit.slice(0, 10)}; the issue's migrations: ${plan.migrations.join(', ')}`)
  const dir = unpack(t, plan.commit)
  const databaseUrl = await createTestDatabase(t, { empty: true })

  // 1. The previous release alone: it migrates the empty database and serves.
  let old = await startOld(t, dir, databaseUrl)
  const owner: User = await register(old.url)
  const other: User = await register(old.url)
  const group = await api(old.url, 'POST', '/api/groups', owner.accessToken, { name: 'upgrade', memberIds: [other.id] })
  t.equal(group.status, 201, JSON.stringify(group.body))
  const g = group.body.id as string
  const sendOld = async (user: User, text: string): Promise<number> => {
    const res = await api(old.url, 'POST', `/api/conversations/${g}/messages`, user.accessToken, { clientMsgId: `${text}-${Date.now()}-${Math.random()}`, type: 'text', content: text })
    if (res.status !== 201) throw new Error(`old node send: ${res.status} ${JSON.stringify(res.body)}\n${old.log()}`)
    return res.body.seq as number
  }
  for (let i = 1; i <= 4; i++) await sendOld(i % 2 === 0 ? owner : other, `before ${i}`)

  // 2. The first node of the new release starts on the same database: it applies the issue's migrations.
  const fresh = await build(t, { JWT_SECRET }, { databaseUrl })
  const applied = await fresh.sql.query<{ migration_name: string }>('SELECT migration_name FROM _prisma_migrations WHERE migration_name >= $1 ORDER BY 1', [ISSUE_FROM])
  t.same(applied.map((r) => r.migration_name), plan.migrations, 'the new node applied the issue\'s migrations')

  // 3. Side by side: the old node sends, reads, makes groups; the new one sets retention and purges.
  t.equal(await sendOld(owner, 'after the migration'), 5, 'the old node sends on the new schema')
  const newer = await fresh.inject({ method: 'PUT', url: `/api/groups/${g}/retention`, headers: { authorization: `Bearer ${owner.accessToken}` }, payload: { days: 1 } })
  t.equal(newer.statusCode, 200, newer.body) // seq 6: its system message
  await fresh.sql.query('UPDATE messages SET created_at = now() - interval \'3 days\' WHERE conversation_id = $1::uuid AND seq <= 2', [g])
  const purge = fresh.housekeeping.run('retention')
  const during = await sendOld(other, 'during the purge')
  t.equal(await purge, 2, 'the new node purged the two old messages')
  t.equal(during, 7, 'the old node\'s send during the purge took the next seq')
  const history = await api(old.url, 'GET', `/api/conversations/${g}/messages?limit=50`, other.accessToken)
  t.equal(history.status, 200, JSON.stringify(history.body))
  t.same(history.body.messages.map((m: { seq: number }) => m.seq).sort((a: number, b: number) => a - b), [3, 4, 5, 6, 7], 'the old node reads what remains, gap-free from where it starts')
  const list = await api(old.url, 'GET', '/api/conversations', other.accessToken)
  t.equal(list.status, 200, 'the old node lists conversations (it does not know the new columns)')
  const second = await api(old.url, 'POST', '/api/groups', owner.accessToken, { name: 'made by the old node', memberIds: [] })
  t.equal(second.status, 201, 'the old node creates a conversation: the new columns take their defaults')
  const seen = await fresh.inject({ method: 'GET', url: `/api/conversations/${second.body.id as string}`, headers: { authorization: `Bearer ${owner.accessToken}` } })
  t.same({ retentionDays: seen.json().retentionDays, historyStartsAt: seen.json().historyStartsAt }, { retentionDays: null, historyStartsAt: 0 }, 'and the new node reads it')
  const viaNew = await fresh.inject({ method: 'POST', url: `/api/conversations/${g}/messages`, headers: { authorization: `Bearer ${owner.accessToken}` }, payload: { clientMsgId: `new-${Date.now()}`, type: 'text', content: 'from the new node' } })
  t.equal(viaNew.json().seq, 8, 'both nodes share one gap-free seq')

  // 4. The old node restarts on the new schema (a rolling restart before its turn to upgrade).
  await old.stop()
  old = await startOld(t, dir, databaseUrl)
  t.equal(await sendOld(other, 'after the restart'), 9, 'the old node starts on the new schema and serves')
  const u = await registerUser(fresh)
  t.ok(u.id, 'the new node serves too')
  await old.stop()
})
