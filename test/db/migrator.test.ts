import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { findMigrationsDir, migrate, readMigrations, type SqlRunner } from '../../src/db/migrator.js'
import { createTestDatabase, servicesMode, tempDir } from '../helper.js'
import { freshRunner, postgresRunner } from './runners.js'

const realDir = findMigrationsDir()
const realNames = readdirSync(realDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()

interface Row { migration_name: string, checksum: string, finished_at: Date | null, applied_steps_count: number }
const recorded = async (db: SqlRunner) =>
  await db.query<Row>('SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name')

const tableExists = async (db: SqlRunner, name: string) =>
  (await db.query<{ n: string | null }>('SELECT to_regclass($1)::text AS n', [name]))[0]?.n !== null

/** A copy of prisma/migrations in a temp dir, plus extra migrations, read back by the migrator. */
function migrationsDir (t: Test, extra: Record<string, string> = {}): string {
  const dir = join(tempDir(t), 'migrations')
  cpSync(realDir, dir, { recursive: true })
  for (const [name, sql] of Object.entries(extra)) {
    mkdirSync(join(dir, name))
    writeFileSync(join(dir, name, 'migration.sql'), sql)
  }
  return dir
}

t.test('applies every migration once, in order, with Prisma Migrate checksums', async (t) => {
  t.ok(realNames.length > 0, 'the project has migrations')
  const db = await freshRunner(t)
  const result = await migrate(db)
  t.same(result, { applied: realNames, skipped: [] })

  const rows = await recorded(db)
  // Prisma Migrate stores the SHA-256 of the migration.sql bytes, hex; computed here independently.
  const sha = (name: string) => createHash('sha256').update(readFileSync(join(realDir, name, 'migration.sql'))).digest('hex')
  t.same(rows.map((r) => [r.migration_name, r.checksum, r.applied_steps_count]), realNames.map((n) => [n, sha(n), 1]))
  t.ok(rows.every((r) => r.finished_at !== null), 'each row is marked finished')
  t.ok(await tableExists(db, 'users'), 'the schema was created')

  const again = await migrate(db)
  t.same(again, { applied: [], skipped: realNames }, 'a second run applies nothing')
  t.equal((await recorded(db)).length, realNames.length, 'and records nothing more')
})

t.test('a migration changed after it was applied stops the start', async (t) => {
  const db = await freshRunner(t)
  await migrate(db)
  const dir = migrationsDir(t, { '29991231000000_later': 'CREATE TABLE "later_marker" (id int);' })
  const first = realNames[0]!
  writeFileSync(join(dir, first, 'migration.sql'), readFileSync(join(dir, first, 'migration.sql'), 'utf8') + '\n-- edited\n')

  await t.rejects(migrate(db, readMigrations(dir)), { message: `Migration ${first} was changed after it was applied (checksum mismatch)` })
  t.notOk(await tableExists(db, 'later_marker'), 'nothing after the mismatch ran')
  t.equal((await recorded(db)).length, realNames.length, 'nothing new recorded')
})

t.test('a failing migration is rolled back and not recorded; fixed, it applies', async (t) => {
  const db = await freshRunner(t)
  const bad = '29991231000000_bad'
  const failing = 'CREATE TABLE "half_done" (id int);\nINSERT INTO "no_such_table" VALUES (1);'
  await t.rejects(migrate(db, readMigrations(migrationsDir(t, { [bad]: failing }))), {
    message: new RegExp(`^Migration ${bad} failed: .*no_such_table`)
  })
  t.notOk(await tableExists(db, 'half_done'), 'its first statement was rolled back')
  const rows = await recorded(db)
  t.same(rows.map((r) => r.migration_name), realNames, 'the good migrations before it stay applied; it is not recorded')

  const fixed = await migrate(db, readMigrations(migrationsDir(t, { [bad]: 'CREATE TABLE "half_done" (id int);' })))
  t.same(fixed, { applied: [bad], skipped: realNames })
  t.ok(await tableExists(db, 'half_done'))
})

t.test('two migrators started at once on one PostgreSQL database apply each migration exactly once', {
  skip: servicesMode ? false : 'needs PostgreSQL (advisory lock across connections): run with TEST_SERVICES=1'
}, async (t) => {
  // A slow first migration keeps the race window open: both start while it runs.
  const slow = '00000000000000_slow'
  const migrations = readMigrations(migrationsDir(t, { [slow]: 'SELECT pg_sleep(1);' }))
  const names = migrations.map((m) => m.name)

  const url = await createTestDatabase(t, { empty: true })
  const [a, b] = [await postgresRunner(t, url), await postgresRunner(t, url)]
  const results = await Promise.all([migrate(a, migrations, { lock: true }), migrate(b, migrations, { lock: true })])
  t.same([...results[0].applied, ...results[1].applied].sort(), names, 'every migration applied by exactly one of them')
  t.same(results.map((r) => r.applied.length + r.skipped.length), [names.length, names.length], 'each saw every migration')
  t.same((await recorded(a)).map((r) => r.migration_name), names, 'one row each')

  // Control: without the lock the same race is caught (an error or a double-recorded migration),
  // so the assertions above can fail.
  const url2 = await createTestDatabase(t, { empty: true })
  const [c, d] = [await postgresRunner(t, url2), await postgresRunner(t, url2)]
  const unlocked = await Promise.allSettled([migrate(c, migrations), migrate(d, migrations)])
  const rows = await recorded(c).catch(() => [])
  const raced = unlocked.some((r) => r.status === 'rejected') || rows.length !== names.length
  t.ok(raced, 'without the advisory lock the race shows')
})
