// Where the server keeps things, read from the same environment the server reads
// (src/config.ts): DATA_DIR, PGLITE_DIR, UPLOAD_DIR, DATABASE_URL. The admin commands use it.
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** A refusal the operator can act on: its message is the whole story, `code` the exit code. */
export class Refusal extends Error {
  constructor (message, code = 1) { super(message); this.code = code }
}

/** The secrets the server generates into DATA_DIR when not configured (src/config.ts). */
export const SECRET_FILES = ['jwt-secret', 'vapid-keys.json']

export function storesFromEnv (env = process.env) {
  const dataDir = resolve(env.DATA_DIR || './data')
  return {
    dataDir,
    pgliteDir: resolve(env.PGLITE_DIR || join(dataDir, 'pglite')),
    uploadDir: resolve(env.UPLOAD_DIR || join(dataDir, 'uploads')),
    databaseUrl: env.DATABASE_URL || undefined
  }
}

export const isEmptyDir = (dir) => !existsSync(dir) || readdirSync(dir).length === 0

/** PGlite writes postmaster.pid while a process holds the directory (left behind by a crash). */
export const pgliteHeld = (dir) => existsSync(join(dir, 'postmaster.pid'))

export function requirePglite (dir) {
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    throw new Refusal(`No PGlite database at ${dir}. Set DATA_DIR (or PGLITE_DIR) to the server's, or DATABASE_URL.`)
  }
}

/**
 * Opens a PGlite directory the way the server does (with pg_trgm, which the search migration
 * uses) and its 16 MB buffer cache (PostgreSQL zeroes PGlite's default 128 MB at every start).
 * `liftoffOnly`: V8's baseline compiler only, for a command that runs a few statements (a role
 * change, a backup's file dump): it ends before TurboFan's copy of PostgreSQL's hot code would
 * pay for itself. The flags (the server's, see src/db/drivers.ts) hold for the rest of the
 * process, so not before a move to PostgreSQL: its pg_dump is WebAssembly too, and works.
 */
export async function openPglite (dir, loadDataDir, { liftoffOnly = false } = {}) {
  if (liftoffOnly) {
    const { setFlagsFromString } = await import('node:v8')
    setFlagsFromString('--liftoff-only --no-wasm-tier-up --no-wasm-dynamic-tiering')
  }
  const { PGlite } = await import('@electric-sql/pglite')
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm')
  const startParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB']
  return await PGlite.create(dir, { extensions: { pg_trgm }, loadDataDir, startParams })
}

/** A pg client on `url`; the caller ends it. */
export async function connectPostgres (url) {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  return client
}

/** Relations outside PostgreSQL's own schemas: a target that has any is not empty. */
export const USER_RELATIONS_SQL = `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
  AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') ORDER BY 1 LIMIT 5`

export async function requireEmptyPostgres (client, url) {
  const { rows } = await client.query(USER_RELATIONS_SQL)
  if (rows.length > 0) {
    throw new Refusal(`The target database is not empty (it has ${rows.map((r) => r.name).join(', ')}${rows.length === 5 ? ', …' : ''}): ` +
      `give an empty database (createdb) as ${redact(url)}`, 6)
  }
}

/** The URL without its password, for messages. */
export function redact (url) {
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    return u.toString()
  } catch {
    return '(the given URL)'
  }
}
