// Over 20 s on PGlite: each CLI run is its own process that opens the embedded store from its files.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { openDatabase } from '../../src/db/drivers.js'
import { serverKeyHash } from '../../src/modules/server-api/index.js'
import { createTestDatabase, servicesMode } from '../helper.js'
import { admin, migratedPgliteDir } from './ops-support.js'

t.setTimeout(300_000)


t.test('npm run admin server-key create / revoke: shown once, stored hashed, audited', async (t) => {
  const opts = servicesMode
    ? { databaseUrl: await createTestDatabase(t), pgliteDir: '', poolMax: 2 }
    : { pgliteDir: await migratedPgliteDir(t), poolMax: 1 }
  await (await openDatabase(opts)).close() // migrated
  const env: Record<string, string> = servicesMode ? { DATABASE_URL: opts.databaseUrl! } : { PGLITE_DIR: opts.pgliteDir }
  const read = async <T>(fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> => {
    const d = await openDatabase(opts)
    try { return await fn(d) } finally { await d.close() }
  }

  t.equal((await admin(env, 'server-key', 'create', 'app', 'users,root')).code, 2, 'an unknown scope')
  t.equal((await admin(env, 'server-key', 'create')).code, 2, 'usage')
  const created = await admin(env, 'server-key', 'create', 'my app', 'users,messages,users')
  t.equal(created.code, 0, created.out)
  const key = /rsk_[A-Za-z0-9_-]{43}/.exec(created.out)?.[0]
  const id = /server key ([0-9a-f-]{36})/.exec(created.out)?.[1]
  t.ok(key !== undefined && id !== undefined, created.out)
  const row = await read(async (d) => await d.prisma.serverKey.findUniqueOrThrow({ where: { id: id! } }))
  t.equal(row.keyHash, serverKeyHash(key!))
  t.same(row.scopes, ['users', 'messages'])

  t.equal((await admin(env, 'server-key', 'revoke', randomUUID())).code, 3, 'an unknown key')
  t.equal((await admin(env, 'server-key', 'revoke', id!)).code, 0)
  t.equal((await admin(env, 'server-key', 'revoke', id!)).code, 0, 'again: nothing to do')
  const after = await read(async (d) => ({
    revoked: (await d.prisma.serverKey.findUniqueOrThrow({ where: { id: id! } })).revokedAt !== null,
    audit: (await d.prisma.auditLog.findMany({ where: { targetId: id! }, orderBy: { createdAt: 'asc' } })).map((a) => [a.action, a.actorId])
  }))
  t.ok(after.revoked)
  t.same(after.audit, [['server_key.create', null], ['server_key.revoke', null]])
})
