import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { PrismaPGlite } from 'pglite-prisma-adapter'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { mkdirSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { PrismaClient } from '../generated/prisma/client.js'
import { migrate, type MigrateResult, type SqlRunner } from './migrator.js'
import { pgliteStatements } from './pglite-statements.js'

export type DbKind = 'pglite' | 'postgres'

/**
 * Plain SQL beside Prisma, for the hot paths (sending, history) where Prisma's per-query
 * overhead and unnamed statements cost more than the query itself. Rows come back as the
 * driver parses them (uuid and text as strings, int4 as numbers, timestamptz as Date).
 */
export interface SqlClient {
  /** `name` makes it a prepared statement, parsed once per connection (on PGlite, once per instance). */
  query: <R>(text: string, values: unknown[], name?: string) => Promise<R[]>
}

/**
 * What the job queue (pg-boss, src/plugins/jobs.ts) runs its SQL through: statements with
 * parameters, and, without parameters, scripts of several statements (its migrations).
 */
export interface JobsExecutor {
  executeSql: (text: string, values?: unknown[]) => Promise<{ rows: any[] }>
}

export interface Database {
  kind: DbKind
  prisma: PrismaClient
  sql: SqlClient
  /**
   * The connections of the message-send statement (src/modules/messages/send-statement.ts):
   * on PostgreSQL a pool of its own whose sessions plan every prepared statement once
   * (`plan_cache_mode = force_generic_plan`, see openPostgres); on PGlite the one connection
   * (src/db/pglite-statements.ts says why its plans are PostgreSQL's choice).
   */
  sendSql: SqlClient
  jobs: JobsExecutor
  migrations: MigrateResult
  /** PostgreSQL pool occupancy (metrics); absent on PGlite, which is one connection. */
  poolStats?: () => { total: number, idle: number, waiting: number }
  /** PGlite only: the whole data directory as one tar file (PGlite's dumpDataDir), loadable with `pgliteLoad`. */
  dumpDataDir?: () => Promise<Blob>
  close: () => Promise<void>
}

export interface DbOptions {
  databaseUrl?: string
  /** Directory for PGlite files, or `memory://` */
  pgliteDir: string
  /** PGlite memory settings (PGLITE_SHARED_BUFFERS_MB, PGLITE_LIFTOFF_ONLY); absent: PGlite's defaults. */
  pglite?: PgliteTuning
  /**
   * PGlite only: start from this data-directory dump (a `dumpDataDir` result) instead of an
   * empty cluster. Skips initdb, which is most of a new PGlite's start-up; pending migrations
   * still run.
   */
  pgliteLoad?: Blob
  poolMax: number
  /** Connections of the send statement's own pool (PostgreSQL): its statements in flight at once (default 4). */
  sendConnections?: number
  /** Where errors that reach no caller go (an idle pooled connection losing its server). */
  onPoolError?: (err: Error) => void
  /** Every session records app events (relay.app_events = on: the app_event_* triggers fire). */
  appEvents?: boolean
}

/**
 * The session setting the app-event triggers test (migration 20261207050000_app_events):
 * 'on' while APP_EVENTS_URL is configured. Set on every connection at its start (PostgreSQL)
 * or on the one session (PGlite), so a write outside it pays only the trigger's WHEN test.
 */
export const APP_EVENTS_SETTING = 'relay.app_events'
export const setAppEventsSql = (on: boolean): string => `SELECT set_config('${APP_EVENTS_SETTING}', '${on ? 'on' : 'off'}', false)`

export interface PgliteTuning {
  /** shared_buffers in MB (PGlite's default is 128). */
  sharedBuffersMb?: number
  /** V8 compiles WebAssembly with Liftoff only, for the rest of the process. */
  liftoffOnly?: boolean
  /** More PostgreSQL settings (`name` → value), after ours. The server sets none. */
  settings?: Record<string, string>
}

/**
 * PGlite's own start parameters plus ours. Its WebAssembly memory only grows, and PostgreSQL
 * initialises the whole buffer cache at start, so shared_buffers is paid in full from the
 * first second whatever the load; the operating system's page cache serves the rest (PGlite
 * reads its files through ordinary system calls).
 */
export function pgliteStartParams (tuning: PgliteTuning = {}): string[] {
  const extra = tuning.sharedBuffersMb === undefined ? [] : ['-c', `shared_buffers=${tuning.sharedBuffersMb}MB`]
  const settings = Object.entries(tuning.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`])
  return [...PGlite.defaultStartParams, ...extra, ...settings]
}

/**
 * Opens the configured store, migrates it, and returns a Prisma client on the matching
 * driver adapter. The only place in the code base that constructs Prisma.
 */
export async function openDatabase (opts: DbOptions): Promise<Database> {
  const appEvents = opts.appEvents === true
  return opts.databaseUrl !== undefined ? await openPostgres(opts.databaseUrl, opts.poolMax, opts.sendConnections ?? 4, opts.onPoolError, appEvents) : await openPglite(opts.pgliteDir, opts.pglite, opts.pgliteLoad, appEvents)
}

async function openPglite (dir: string, tuning: PgliteTuning = {}, load?: Blob, appEvents = false): Promise<Database> {
  if (!dir.startsWith('memory://')) mkdirSync(dir, { recursive: true })
  // Before PGlite compiles its module (in create): TurboFan's optimised copy of PostgreSQL's
  // hot code costs about 80 MB of RSS and seconds of start-up CPU. V8 reads the flags when it
  // compiles a module, so modules compiled earlier (none of PGlite's) keep their tiering.
  // `--liftoff-only` turns tier-up off only through implications V8 applies at its start: set
  // after it (Node 24), it alone left dynamic tiering on (4.6 s of CPU to start the server
  // instead of 3.4, 460 MB RSS instead of 370 for a bare PGlite), so the implied flags are set too.
  if (tuning.liftoffOnly === true) setFlagsFromString('--liftoff-only --no-wasm-tier-up --no-wasm-dynamic-tiering')
  // pg_trgm: the message search migration creates the extension (substring search).
  const client = await PGlite.create(dir, { extensions: { pg_trgm }, startParams: pgliteStartParams(tuning), loadDataDir: load })
  const runner: SqlRunner = {
    exec: async (sql) => { await client.exec(sql) },
    query: async (sql, params) => (await client.query<any>(sql, params)).rows
  }
  try {
    const migrations = await migrate(runner)
    if (appEvents) await client.query(setAppEventsSql(true))
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(client) })
    // PGlite runs one query at a time and waits for an open transaction to end first.
    const sql = pgliteStatements(client)
    return {
      kind: 'pglite',
      prisma,
      sql,
      sendSql: sql,
      jobs: {
        // PGlite takes several statements only through exec (one call, so nothing interleaves).
        executeSql: async (text, values) => {
          if (values === undefined || values.length === 0) {
            const results = await client.exec(text)
            return { rows: results.at(-1)?.rows ?? [] }
          }
          return { rows: (await client.query<any>(text, values)).rows }
        }
      },
      migrations,
      dumpDataDir: async () => await client.dumpDataDir('none'),
      close: async () => { await prisma.$disconnect(); await client.close() }
    }
  } catch (err) {
    await client.close()
    throw err
  }
}

/**
 * The send statement is one fixed text with array parameters. Left to choose, PostgreSQL
 * re-plans it at every execution: a custom plan for the actual array sizes looks cheaper on
 * paper than the generic plan, which assumes ten elements per array, and planning this
 * statement costs more CPU than running it (measured with bench/send-statement.ts: 0 generic
 * plans in 2,325 executions; forcing the generic plan saved about 0.9 ms of backend CPU per
 * statement). So it runs on connections of its own where every plan is generic: made at the
 * first execution, kept until a schema change or an ANALYZE (autovacuum's too) invalidates
 * it. Other statements keep PostgreSQL's choice on the main pool.
 */
/** A SqlClient on a pool: `name` makes the statement prepared on each connection. */
const sqlOn = (pool: pg.Pool): SqlClient => ({
  query: async <R>(text: string, values: unknown[], name?: string) =>
    (await pool.query<R & pg.QueryResultRow>({ text, values, name })).rows
})

export const SEND_SESSION_OPTIONS = '-c plan_cache_mode=force_generic_plan'

async function openPostgres (url: string, max: number, sendConnections: number, onPoolError: (err: Error) => void = () => {}, appEvents = false): Promise<Database> {
  const events = appEvents ? `-c ${APP_EVENTS_SETTING}=on` : undefined
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5000, options: events })
  const sendPool = new pg.Pool({ connectionString: url, max: Math.max(1, sendConnections), connectionTimeoutMillis: 5000, options: [SEND_SESSION_OPTIONS, events].filter((o) => o !== undefined).join(' ') })
  // An idle client losing its server (restart, failover) must not crash the process; the pool
  // drops that client and the next query opens a new one, so a log line is all it takes.
  pool.on('error', onPoolError)
  sendPool.on('error', onPoolError)
  try {
    const conn = await pool.connect()
    try {
      const runner: SqlRunner = {
        exec: async (sql) => { await conn.query(sql) },
        query: async (sql, params) => (await conn.query(sql, params as unknown[])).rows
      }
      const migrations = await migrate(runner, undefined, { lock: true })
      const prisma = new PrismaClient({ adapter: new PrismaPg(pool) })
      return {
        kind: 'postgres',
        prisma,
        sql: sqlOn(pool),
        sendSql: sqlOn(sendPool),
        jobs: { executeSql: async (text, values) => await pool.query(text, values) },
        migrations,
        poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
        close: async () => { await prisma.$disconnect(); await Promise.all([pool.end(), sendPool.end()]) }
      }
    } finally {
      conn.release()
    }
  } catch (err) {
    await Promise.all([pool.end(), sendPool.end()])
    throw err
  }
}
