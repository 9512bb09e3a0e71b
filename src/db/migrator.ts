import { createHash, randomUUID } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The few SQL calls the migrator needs, served by PGlite or a pg client alike. */
export interface SqlRunner {
  /** Runs one or more statements without parameters. */
  exec: (sql: string) => Promise<void>
  query: <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>
}

export interface Migration { name: string, sql: string, checksum: string }
export interface MigrateResult { applied: string[], skipped: string[] }

/** Finds prisma/migrations from src/ (tsx) or dist/src/ (built). */
export function findMigrationsDir (from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from
  for (;;) {
    const candidate = join(dir, 'prisma', 'migrations')
    if (existsSync(candidate)) return candidate
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`prisma/migrations not found above ${from}`)
    dir = parent
  }
}

/** Migrations in Prisma's layout: <stamp>_<name>/migration.sql, applied in name order. */
export function readMigrations (dir = findMigrationsDir()): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8')
      // Same checksum as Prisma Migrate, so `prisma migrate deploy` sees these as applied.
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') }
    })
}

// Prisma Migrate's own bookkeeping table, so either tool can take over from the other.
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`

/** Arbitrary constant key for pg_advisory_lock: one migrator at a time per database. */
export const MIGRATION_LOCK_KEY = 72_716_110_415

/**
 * Applies pending migrations, each in its own transaction, recording it in
 * _prisma_migrations. `lock` serialises concurrent starters (an advisory lock on
 * PostgreSQL); after taking it the applied list is read again, so a second process that
 * waited applies nothing twice. A migration whose file changed after it was applied stops
 * the start: the database and the code would disagree.
 */
export async function migrate (db: SqlRunner, migrations = readMigrations(), opts: { lock?: boolean } = {}): Promise<MigrateResult> {
  const lock = opts.lock ?? false
  if (lock) await db.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
  try {
    await db.exec(CREATE_TABLE)
    const rows = await db.query<{ migration_name: string, checksum: string }>(
      'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL'
    )
    const done = new Map(rows.map((r) => [r.migration_name, r.checksum]))
    const result: MigrateResult = { applied: [], skipped: [] }
    for (const m of migrations) {
      const seen = done.get(m.name)
      if (seen !== undefined) {
        if (seen !== m.checksum) throw new Error(`Migration ${m.name} was changed after it was applied (checksum mismatch)`)
        result.skipped.push(m.name)
        continue
      }
      await db.exec('BEGIN')
      try {
        await db.exec(m.sql)
        await db.query(
          'INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, $2, now(), $3, 1)',
          [randomUUID(), m.checksum, m.name]
        )
        await db.exec('COMMIT')
      } catch (err) {
        await db.exec('ROLLBACK')
        throw new Error(`Migration ${m.name} failed: ${(err as Error).message}`, { cause: err })
      }
      result.applied.push(m.name)
    }
    return result
  } finally {
    if (lock) await db.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
  }
}
