// The table snapshot the refusal tests compare (test/security/surface.ts): it must see every
// write, also when it returns its last digest because no transaction wrote since.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build } from '../helper.js'
import { snapshot } from './surface.js'

t.test('a snapshot sees inserts, updates and deletes, and nothing else', async (t) => {
  const app = await build(t)
  const first = await snapshot(app)
  t.same(await snapshot(app), first, 'no write between: the same')
  await app.prisma.user.findMany({ take: 5 })
  t.same(await snapshot(app), first, 'a read changes nothing')

  const id = randomUUID()
  await app.prisma.user.create({ data: { id, username: `snap_${id.slice(0, 8)}`, displayName: 'a', passwordHash: 'x' } })
  const inserted = await snapshot(app)
  t.not(inserted.users, first.users, 'an insert is seen')
  await app.prisma.user.update({ where: { id }, data: { displayName: 'b' } })
  const updated = await snapshot(app)
  t.not(updated.users, inserted.users, 'an update of one column is seen')
  t.equal(updated.users?.split(' ')[0], inserted.users?.split(' ')[0], '(same row count)')
  t.same(await snapshot(app, { ignoreColumns: ['display_name'] }), await snapshot(app, { ignoreColumns: ['display_name'] }), 'columns left out: a digest of its own, stable')

  await app.prisma.$transaction(async (tx) => {
    await tx.user.update({ where: { id }, data: { displayName: 'c' } })
    throw new Error('roll back')
  }).catch(() => {})
  t.same(await snapshot(app), updated, 'a write rolled back: the clock moved, the digest made again is the same')
  await app.prisma.$executeRawUnsafe('SELECT id FROM users WHERE id = $1::uuid FOR UPDATE', id)
  t.same(await snapshot(app), updated, 'a row locked, not changed: the same')

  await app.prisma.user.delete({ where: { id } })
  t.same(await snapshot(app), first, 'deleted again: back to the first digest')
  const raw = randomUUID()
  await app.prisma.$executeRawUnsafe('INSERT INTO users (id, username, display_name, password_hash) VALUES ($1::uuid, $2, $3, $4)', raw, `raw_${raw.slice(0, 8)}`, 'r', 'x')
  t.not((await snapshot(app)).users, first.users, 'a raw insert is seen too')
})
