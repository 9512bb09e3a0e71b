/**
 * Databases that start migrated, made once per schema instead of once per test.
 *
 * A new in-memory PGlite spends about 1.8 s in initdb and a new PostgreSQL database about
 * 0.4 s in the migration chain and pg-boss's schema; the default suite opens one PGlite per
 * test file and the services suite one database per app, so that was most of the suites' time.
 * Both are now copies of a store that the real code migrated once:
 *   - PGlite: a data-directory dump (`dumpDataDir`, taken after a checkpoint) under
 *     node_modules/.cache, loaded by each test process;
 *   - PostgreSQL: a template database, copied by `CREATE DATABASE … TEMPLATE` (about 50 ms).
 * Both are named by a hash of the migrations and the PGlite version, so a new migration makes
 * a new one and a stale copy is never used. `test/setup.ts` (tap's `before`) makes them before
 * the files start; a file run on its own makes what is missing. The copies still go through
 * the app's migrator at start, which finds nothing pending.
 */
import { createHash, randomUUID } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, mkdtempSync, linkSync, openAsBlob, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { RawConfig } from '../src/config.js'
import type { Database } from '../src/db/drivers.js'
import { readMigrations } from '../src/db/migrator.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'

const pgliteVersion = (): string => JSON.parse(readFileSync(join(ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')).version as string

/**
 * How the PGlite dumps are made (below); a change here makes new ones. 2: checkpointed
 * before the dump.
 */
const DUMP_FORMAT = 2

/** What a prepared store depends on: the migrations and the PGlite build that wrote it. */
function schemaKey (): string {
  const hash = createHash('sha256').update(`pglite ${pgliteVersion()} dump ${DUMP_FORMAT}\n`)
  for (const m of readMigrations()) hash.update(`${m.name} ${m.checksum}\n`)
  return hash.digest('hex').slice(0, 16)
}

/** Starts an app once on `database` and closes it: the job queue installs its schema. */
async function startOnce (database: Database | undefined, overrides: Partial<RawConfig>): Promise<void> {
  // Imported here: the `before` script mostly finds the stores made, and the app takes a second to load.
  const [{ buildApp }, { loadConfig }] = await Promise.all([import('../src/app.js'), import('../src/config.js')])
  const dataDir = mkdtempSync(join(tmpdir(), 'relay-prepare-'))
  const config = loadConfig({}, {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    JWT_SECRET: 'test-secret-that-is-at-least-32-characters-long',
    LOG_LEVEL: 'silent',
    JOBS_WORKER: false,
    ...overrides
  })
  try {
    const app = await buildApp(config, { database })
    await app.ready()
    await app.close()
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const cacheDir = join(ROOT, 'node_modules', '.cache', 'relay-test')

/**
 * Run before a dump: a dump is taken from a running cluster, so every process that loads it
 * starts with crash recovery from the last checkpoint. Without this that was replaying the
 * migrations' WAL (about 3 MB, 0.1-0.15 s of CPU) in every test process.
 */
const CHECKPOINT = 'CHECKPOINT'

/** The dump at `path`, written first with `make` if it is missing (whole or not at all: concurrent makers are harmless). */
async function ensureDump (path: string, make: () => Promise<Blob>): Promise<string> {
  if (!existsSync(path)) {
    const dump = await make()
    mkdirSync(dirname(path), { recursive: true })
    const partial = `${path}.${process.pid}.${randomUUID()}`
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()))
    // The first maker's file stays: a loaded dump is read from its file (read, below), which
    // must not be replaced under a reader.
    try {
      linkSync(partial, path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    } finally {
      rmSync(partial, { force: true })
    }
  }
  return path
}

// Backed by the file: PGlite reads it once, instead of a copy made here and another there.
const read = async (path: string): Promise<Blob> => await openAsBlob(path)

/** The migrated PGlite data directory as a tar file (the app started on it once). */
export async function preparedPgliteDump (): Promise<Blob> {
  return await read(await ensurePreparedPgliteDump())
}

export async function ensurePreparedPgliteDump (): Promise<string> {
  return await ensureDump(join(cacheDir, `pglite-${schemaKey()}.tar`), async () => {
    const { openDatabase } = await import('../src/db/drivers.js')
    const db = await openDatabase({ pgliteDir: 'memory://', poolMax: 1 })
    try {
      await startOnce(db, {})
      await db.sql.query(CHECKPOINT, [])
      return await db.dumpDataDir!()
    } finally {
      await db.close()
    }
  })
}

/**
 * The migrated PGlite data directory itself, for the servers the tests start as processes
 * (test/faults/support.ts copies it into a new DATA_DIR): such a server opens it as a
 * restart instead of running initdb and the migration chain, 4 s of CPU instead of 9.5 on the
 * 2-core machine. Made from the dump above and closed cleanly; renamed into place when whole.
 */
export async function ensurePreparedPgliteDir (): Promise<string> {
  const dir = join(cacheDir, `pglite-dir-${schemaKey()}`)
  if (existsSync(dir)) return dir
  const making = `${dir}.${process.pid}.${randomUUID()}`
  const { openDatabase } = await import('../src/db/drivers.js')
  const db = await openDatabase({ pgliteDir: making, poolMax: 1, pgliteLoad: await preparedPgliteDump() })
  await db.close()
  try {
    renameSync(making, dir)
  } catch (err) {
    // Another process made it first: theirs stays (a server may be copying it).
    if (!existsSync(dir)) throw err
    rmSync(making, { recursive: true, force: true })
  }
  return dir
}

/** Copies the migrated PGlite data directory to `target` (a new embedded store for a server or a CLI). */
export async function copyPreparedPgliteDir (target: string): Promise<string> {
  cpSync(await ensurePreparedPgliteDir(), target, { recursive: true })
  return target
}

/** A new, empty PGlite cluster (initdb only, no migration), for the tests of the migrator. */
export async function emptyPgliteDump (): Promise<Blob> {
  return await read(await ensureEmptyPgliteDump())
}

export async function ensureEmptyPgliteDump (): Promise<string> {
  return await ensureDump(join(cacheDir, `pglite-empty-${pgliteVersion()}-${DUMP_FORMAT}.tar`), async () => {
    const { PGlite } = await import('@electric-sql/pglite')
    const client = await PGlite.create('memory://')
    try {
      await client.exec(CHECKPOINT)
      return await client.dumpDataDir('none')
    } finally {
      await client.close()
    }
  })
}

export const templateName = (): string => `relay_template_${schemaKey()}`

/** Advisory lock key for making the template (any constant; the admin database's lock space). */
const TEMPLATE_LOCK = 72_716_110_416

/**
 * The migrated template database on the test PostgreSQL, made now if missing. Made under
 * another name and renamed when complete, under an advisory lock, so concurrent test
 * processes wait for one maker and never copy a half-made template.
 */
export async function preparedTemplate (): Promise<string> {
  const name = templateName()
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  try {
    const exists = async (): Promise<boolean> => (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1
    if (await exists()) return name
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK])
    try {
      if (await exists()) return name
      const making = `${name}_making`
      await admin.query(`DROP DATABASE IF EXISTS ${making} WITH (FORCE)`)
      await admin.query(`CREATE DATABASE ${making}`)
      const url = new URL(PG_ADMIN_URL)
      url.pathname = `/${making}`
      // The app migrates it and installs the job queue's schema, as a first production start does.
      await startOnce(undefined, { DATABASE_URL: url.toString() })
      // The app's pools are closed; the server may take a moment to end their sessions.
      for (let attempt = 0; ; attempt++) {
        try {
          await admin.query(`ALTER DATABASE ${making} RENAME TO ${name}`)
          break
        } catch (err) {
          if (attempt >= 50) throw err
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      }
      return name
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK])
    }
  } finally {
    await admin.end()
  }
}
