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
  let updated = await snapshot(app)
  t.not(updated.users, inserted.users, 'an update of one column is seen')
  t.equal(updated.users?.split(' ')[0], inserted.users?.split(' ')[0], '(same row count)')
  // A digest that leaves columns out does not see a write to them alone (the clock moved, so it is made again), and the full one does.
  const ignoring = ['display_name', 'updated_at']
  const leftOut = await snapshot(app, { ignoreColumns: ignoring })
  await app.prisma.user.update({ where: { id }, data: { displayName: 'b2' } })
  t.same(await snapshot(app, { ignoreColumns: ignoring }), leftOut, 'an update of left-out columns only: the same without them')
  const updatedAgain = await snapshot(app)
  t.not(updatedAgain.users, updated.users, 'and seen with them')
  await app.prisma.user.update({ where: { id }, data: { displayName: 'b3', username: `snap2_${id.slice(0, 8)}` } })
  t.not((await snapshot(app, { ignoreColumns: ignoring })).users, leftOut.users, 'a write to another column of the row: seen without them too')
  // A table without the left-out columns is digested whole, as in the full snapshot.
  const full = await snapshot(app)
  const partial = await snapshot(app, { ignoreColumns: ignoring })
  t.equal(partial.blocks, full.blocks, 'a table without those columns: the same digest either way')
  t.not(partial.users, full.users, 'a table with them: another digest')
  const other = randomUUID()
  await app.prisma.user.create({ data: { id: other, username: `snap3_${other.slice(0, 8)}`, displayName: 'o', passwordHash: 'x' } })
  await app.prisma.block.create({ data: { blockerId: id, blockedId: other } })
  t.not((await snapshot(app, { ignoreColumns: ignoring })).blocks, partial.blocks, 'a write to a table without those columns: seen')
  await app.prisma.block.deleteMany({ where: { blockerId: id } })
  await app.prisma.user.delete({ where: { id: other } })
  updated = await snapshot(app)

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
