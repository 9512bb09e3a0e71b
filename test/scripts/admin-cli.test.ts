import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import { writeFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { promisify } from 'node:util'
import { openDatabase } from '../../src/db/drivers.js'
import { createTestDatabase, servicesMode, tempDir } from '../helper.js'

const run = promisify(execFile)
const script = join(import.meta.dirname, '..', '..', 'scripts', 'admin.mjs')

async function admin (env: Record<string, string>, ...args: string[]): Promise<{ code: number, out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, ...args], { env: { PATH: process.env.PATH ?? '', ...env } })
    return { code: 0, out: stdout + stderr }
  } catch (err) {
    const e = err as { code: number, stdout: string, stderr: string }
    return { code: e.code, out: e.stdout + e.stderr }
  }
}

/** A migrated database with users alice and bob; returns the env that points the script at it, and a reader. */
async function setup (t: Test): Promise<{ env: Record<string, string>, roles: () => Promise<Record<string, string>>, audit: () => Promise<number> }> {
  const opts = servicesMode
    ? { databaseUrl: await createTestDatabase(t), pgliteDir: '', poolMax: 2 }
    : { pgliteDir: join(tempDir(t), 'pglite'), poolMax: 1 }
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
    audit: async () => await read(async (d) => await d.prisma.auditLog.count({ where: { actorId: null } }))
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
  t.match(last.out, /last admin/)
  t.equal((await admin(env, 'promote', 'bob')).code, 0)
  t.equal((await admin(env, 'demote', 'alice')).code, 0, 'with another admin it is allowed')
  t.same(await roles(), { alice: 'user', bob: 'admin' })
  t.equal(await audit(), 3, 'each change audited (no actor: the command line)')
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
