// Over 20 s (about 30 s on PGlite): every command runs the CLI as its own process, as an admin
// would, and each one opens the embedded store from its files (WebAssembly start and recovery).
import t, { type Test } from 'tap'
import { writeFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { openDatabase } from '../../src/db/drivers.js'
import { createTestDatabase, servicesMode } from '../helper.js'
import { admin, migratedPgliteDir } from './ops-support.js'


// Each CLI run is a process that starts PGlite's WebAssembly: on a busy machine (CI with other
// work beside it) the file took over tap's 120 s default, so it gets 300 s.
t.setTimeout(300_000)


/** A migrated database with users alice and bob; returns the env that points the script at it, and a reader. */
type Db = Awaited<ReturnType<typeof openDatabase>>

async function setup (t: Test): Promise<{ env: Record<string, string>, roles: () => Promise<Record<string, string>>, audit: () => Promise<number>, read: <T>(fn: (db: Db) => Promise<T>) => Promise<T> }> {
  const opts = servicesMode
    ? { databaseUrl: await createTestDatabase(t), pgliteDir: '', poolMax: 2 }
    : { pgliteDir: await migratedPgliteDir(t), poolMax: 1 }
  const open = async () => await openDatabase(opts)
  const db = await open()
  for (const name of ['alice', 'bob']) await db.prisma.user.create({ data: { id: randomUUID(), username: name, displayName: name, passwordHash: 'x' } })
  await db.close()
  const read = async <T>(fn: (db: Awaited<ReturnType<typeof open>>) => Promise<T>): Promise<T> => {
    const d = await open()
    try { return await fn(d) } finally { await d.close() }
  }
  return {
    env: servicesMode ? { DATABASE_URL: opts.databaseUrl! } : { PGLITE_DIR: opts.pgliteDir },
    roles: async () => await read(async (d) => Object.fromEntries((await d.prisma.user.findMany()).map((u) => [u.username, u.role]))),
    audit: async () => await read(async (d) => await d.prisma.auditLog.count({ where: { actorId: null } })),
    read
  }
}

t.test('npm run admin promote/demote', async (t) => {
  const { env, roles, audit } = await setup(t)
  t.equal((await admin(env)).code, 2, 'usage')
  t.equal((await admin(env, 'promote', 'nobody')).code, 3, 'unknown user')
  const p = await admin(env, 'promote', ' Alice ')
  t.equal(p.code, 0, p.out)
  t.same(await roles(), { alice: 'admin', bob: 'user' })
  t.equal((await admin(env, 'promote', 'alice')).code, 0, 'idempotent')
  const last = await admin(env, 'demote', 'alice')
  t.equal(last.code, 4, 'the last admin is not demoted')
  t.match(last.out, /last active admin/)
  t.equal((await admin(env, 'promote', 'bob')).code, 0)
  t.equal((await admin(env, 'demote', 'alice')).code, 0, 'with another admin it is allowed')
  t.same(await roles(), { alice: 'user', bob: 'admin' })
  t.equal(await audit(), 3, 'each change audited (no actor: the command line)')
})

t.test('a suspended admin is not the other admin: demoting the only active one is refused (exit 4)', async (t) => {
  const { env, roles, read } = await setup(t)
  t.equal((await admin(env, 'promote', 'alice')).code, 0)
  t.equal((await admin(env, 'promote', 'bob')).code, 0)
  await read(async (d) => await d.prisma.user.update({ where: { username: 'alice' }, data: { suspendedAt: new Date() } }))
  const r = await admin(env, 'demote', 'bob')
  t.equal(r.code, 4, r.out)
  t.match(r.out, /last active admin/)
  t.same(await roles(), { alice: 'admin', bob: 'admin' }, 'nothing changed')
  t.equal((await admin(env, 'demote', 'alice')).code, 0, 'the suspended one may be demoted')
})

t.test('a bot cannot be promoted (exit 5)', async (t) => {
  const { env, roles, read, audit } = await setup(t)
  await read(async (d) => await d.prisma.user.create({ data: { id: randomUUID(), username: 'robot', displayName: 'robot', passwordHash: '!', isBot: true } }))
  const r = await admin(env, 'promote', 'robot')
  t.equal(r.code, 5, r.out)
  t.match(r.out, /bots cannot be platform admins/)
  t.equal((await roles()).robot, 'user')
  t.equal(await audit(), 0, 'nothing audited')
})

t.test('two demotions at once (two admins): exactly one wins', { skip: servicesMode ? false : 'needs PostgreSQL (PGlite is one process\'s files)' }, async (t) => {
  const { env, roles } = await setup(t)
  t.equal((await admin(env, 'promote', 'alice')).code, 0)
  t.equal((await admin(env, 'promote', 'bob')).code, 0)
  for (let round = 0; round < 3; round++) {
    const codes = (await Promise.all([admin(env, 'demote', 'alice'), admin(env, 'demote', 'bob')])).map((r) => r.code).sort()
    t.same(codes, [0, 4], `round ${round}: one demoted, one refused`)
    t.equal(Object.values(await roles()).filter((r) => r === 'admin').length, 1, 'one admin left')
    await admin(env, 'promote', 'alice')
    await admin(env, 'promote', 'bob')
  }
})

t.test('PGlite: refuses while the server holds the directory', { skip: servicesMode ? 'PGlite only' : false }, async (t) => {
  const { env, roles } = await setup(t)
  const pid = join(env.PGLITE_DIR!, 'postmaster.pid')
  writeFileSync(pid, '-42\n')
  const busy = await admin(env, 'promote', 'alice')
  t.equal(busy.code, 1)
  t.match(busy.out, /in use.*Stop the server/s)
  t.same(await (async () => { rmSync(pid); return await roles() })(), { alice: 'user', bob: 'user' }, 'nothing changed')
  writeFileSync(pid, '-42\n')
  t.equal((await admin(env, 'promote', 'alice', '--force')).code, 0, '--force after a crash')
})
