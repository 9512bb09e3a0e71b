import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { build, registerUser, servicesMode } from '../../helper.js'
import { makeBot } from '../bots/helpers.js'
import { makeAdmin, moderationCounts, PASSWORD } from './helpers.js'
import type { App } from '../../../src/app.js'

/** Active human admins now (not suspended, not deleted, not bots). */
async function activeAdmins (app: App): Promise<string[]> {
  const rows = await app.prisma.user.findMany({ where: { role: 'admin', isBot: false, deletedAt: null, suspendedAt: null }, select: { id: true } })
  return rows.map((r) => r.id).sort()
}

/** Leaves exactly `keep` as admins (the others become plain users). */
async function onlyAdmins (app: App, keep: string[]): Promise<void> {
  await app.prisma.user.updateMany({ where: { role: 'admin', id: { notIn: keep } }, data: { role: 'user' } })
}

t.test('two admins suspending each other at once: one is refused, one active admin remains', async (t) => {
  const app = await build(t)
  for (let round = 0; round < 4; round++) {
    const [a, b] = [await makeAdmin(app), await makeAdmin(app)]
    await onlyAdmins(app, [a.id, b.id])
    const [ra, rb] = await Promise.all([
      app.inject({ method: 'POST', url: `/api/admin/users/${b.id}/suspend`, headers: a.auth, payload: { reason: 'race' } }),
      app.inject({ method: 'POST', url: `/api/admin/users/${a.id}/suspend`, headers: b.auth, payload: { reason: 'race' } })
    ])
    t.same([ra.statusCode, rb.statusCode].sort(), [200, 409], `round ${round}: one suspension, one CONFLICT`)
    t.equal((ra.statusCode === 409 ? ra : rb).json().error.code, 'CONFLICT')
    t.equal((await activeAdmins(app)).length, 1, `round ${round}: one active admin left`)
    await app.prisma.user.updateMany({ where: { id: { in: [a.id, b.id] } }, data: { suspendedAt: null } })
  }
})

t.test('the database refuses any change that leaves no active human admin (hand-written SQL included)', async (t) => {
  const app = await build(t)
  const a = await makeAdmin(app)
  await onlyAdmins(app, [a.id])
  await t.rejects(app.prisma.$executeRaw`UPDATE users SET role = 'user' WHERE id = ${a.id}::uuid`, 'a demotion')
  await t.rejects(app.prisma.$executeRaw`UPDATE users SET suspended_at = now() WHERE id = ${a.id}::uuid`, 'a suspension')
  await t.rejects(app.prisma.$executeRaw`UPDATE users SET deleted_at = now() WHERE id = ${a.id}::uuid`, 'a deletion')
  await t.rejects(app.prisma.$executeRaw`DELETE FROM users WHERE id = ${a.id}::uuid`, 'a hard delete')
  t.same(await activeAdmins(app), [a.id], 'still the admin')
  // A suspension that has already ended counts as active; one in the future does not.
  const b = await makeAdmin(app)
  await app.prisma.$executeRaw`UPDATE users SET suspended_at = now() - interval '2 days', suspended_until = now() - interval '1 day' WHERE id = ${b.id}::uuid`
  await t.resolves(app.prisma.$executeRaw`UPDATE users SET role = 'user' WHERE id = ${a.id}::uuid`, 'b (suspension over) is an active admin')
})

t.test('a bot is never a platform admin: the database refuses it, and it does not count as the other admin', async (t) => {
  const app = await build(t)
  const a = await makeAdmin(app)
  await onlyAdmins(app, [a.id])
  const owner = await registerUser(app)
  const bot = await makeBot(app, owner)
  await t.rejects(app.prisma.user.update({ where: { id: bot.id }, data: { role: 'admin' } }), 'promoting a bot')
  t.equal((await app.prisma.user.findUniqueOrThrow({ where: { id: bot.id } })).role, 'user')
  const res = await app.inject({ method: 'DELETE', url: '/api/users/me', headers: a.auth, payload: { password: PASSWORD } })
  t.equal(res.statusCode, 409, 'the last human admin cannot delete their account')
  t.equal(res.json().error.code, 'CONFLICT')
  t.equal((await app.prisma.user.findUniqueOrThrow({ where: { id: a.id } })).deletedAt, null)
})

t.test('a suspended admin is not the other admin: the active one cannot delete their account; with an active one they can', async (t) => {
  const app = await build(t)
  const [a, b] = [await makeAdmin(app), await makeAdmin(app)]
  await onlyAdmins(app, [a.id, b.id])
  t.equal((await app.inject({ method: 'POST', url: `/api/admin/users/${b.id}/suspend`, headers: a.auth, payload: { reason: 'away' } })).statusCode, 200)
  const before = await moderationCounts(app)
  const res = await app.inject({ method: 'DELETE', url: '/api/users/me', headers: a.auth, payload: { password: PASSWORD } })
  t.equal(res.statusCode, 409)
  t.same(await moderationCounts(app), before)
  t.equal((await app.inject({ method: 'POST', url: `/api/admin/users/${b.id}/unsuspend`, headers: a.auth })).statusCode, 200)
  t.equal((await app.inject({ method: 'DELETE', url: '/api/users/me', headers: a.auth, payload: { password: PASSWORD } })).statusCode, 204)
  t.same(await activeAdmins(app), [b.id])
})

t.test('two transactions demoting the last two admins at once: the second waits for the first, then is refused', { skip: servicesMode ? false : 'needs PostgreSQL (two connections)' }, async (t) => {
  const app = await build(t)
  const [a, b] = [await makeAdmin(app), await makeAdmin(app)]
  await onlyAdmins(app, [a.id, b.id])
  const [c1, c2] = [new pg.Client({ connectionString: app.config.DATABASE_URL }), new pg.Client({ connectionString: app.config.DATABASE_URL })]
  await c1.connect()
  await c2.connect()
  t.teardown(async () => { await c1.end(); await c2.end() })
  await c1.query('BEGIN')
  await c1.query('UPDATE users SET role = \'user\' WHERE id = $1', [a.id])
  await c2.query('BEGIN')
  const second = c2.query('UPDATE users SET role = \'user\' WHERE id = $1', [b.id]).then(() => 'done', (err: { code?: string }) => err.code)
  t.equal(await Promise.race([second, sleep(500).then(() => 'waiting')]), 'waiting', 'the second waits for the first one\'s commit')
  await c1.query('COMMIT')
  t.equal(await second, 'RA001', 'then sees it and is refused')
  await c2.query('ROLLBACK')
  t.same(await activeAdmins(app), [b.id], 'one active admin left')
})
