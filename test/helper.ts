import type { Test } from 'tap'
import pg from 'pg'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import tap from 'tap'
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { FastifyServerOptions } from 'fastify'
import { buildApp, type App } from '../src/app.js'
import { openDatabase, type Database } from '../src/db/drivers.js'
import { ConfigSchema, loadConfig, type RawConfig } from '../src/config.js'
import type { SqlClient } from '../src/db/drivers.js'
import { PG_ADMIN_URL, preparedPgliteDump, preparedTemplate } from './prepared-databases.js'
import { currentFileTest } from './pool/tap.js'

/**
 * Default suite: the apps of a test process share one migrated in-memory PGlite, each with a
 * temp DATA_DIR. `npm run test:services` (TEST_SERVICES=1): they share one database on the
 * real PostgreSQL instead, and use the real Redis. A service that is down fails the test;
 * nothing is skipped.
 */
export const servicesMode = process.env.TEST_SERVICES === '1'
export { PG_ADMIN_URL }
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
/** Services mode: the Socket.IO Redis adapter of every node a test starts (TEST_REDIS_ADAPTER=classic|sharded; unset: the server's default). */
export const REDIS_ADAPTER = process.env.TEST_REDIS_ADAPTER === 'sharded' || process.env.TEST_REDIS_ADAPTER === 'classic' ? process.env.TEST_REDIS_ADAPTER : undefined

/**
 * Creates a PostgreSQL database for this test and drops it in teardown: a copy of the migrated
 * template (test/prepared-databases.ts), or an empty one with `empty` (tests of the migrator,
 * and of nodes starting on a new database).
 */
export async function createTestDatabase (t: Test, opts: { empty?: boolean } = {}): Promise<string> {
  const name = `relay_test_${randomUUID().replaceAll('-', '')}`
  const template = opts.empty === true ? undefined : await preparedTemplate()
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  try {
    await admin.query(template === undefined ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE ${template}`)
  } finally {
    await admin.end()
  }
  t.teardown(async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL })
    await c.connect()
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    } finally {
      await c.end()
    }
  })
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  return url.toString()
}

/**
 * The server's own shared_buffers (its default in the config, 16 MB) instead of PGlite's 128,
 * which PostgreSQL zeroes at every start: about 0.25 s of CPU per test process. (Liftoff-only,
 * the server's other default, saved nothing measurable here and may slow the query-heavy files.)
 */
const serverPgliteTuning = {
  sharedBuffersMb: (ConfigSchema.properties.PGLITE_SHARED_BUFFERS_MB as { default?: number }).default,
  // The tests' PGlite lives in memory and ends with its process, so the WAL needs only what
  // crash recovery would: replica level (PGlite's default, for archives and standbys) cost this
  // PGlite a quarter of its CPU (authz matrix and send tests: 52 -> 38 s of user CPU). The
  // server keeps replica: with PGlite's fsync off, minimal level's unlogged bulk writes are
  // not crash-safe on disk. The durability tests start the server itself (test/faults).
  settings: { wal_level: 'minimal', max_wal_senders: '0' }
}

const openPrepared = async (): Promise<Database> => await openDatabase({ pgliteDir: 'memory://', poolMax: 1, pgliteLoad: await preparedPgliteDump(), pglite: serverPgliteTuning })

let pglite: Promise<Database> | undefined
/**
 * One migrated in-memory PGlite per test process, loaded from the prepared dump. The files a
 * pool worker runs (test/pool/worker.ts) share it, so each test makes its own users and never
 * assumes an empty database.
 */
export async function sharedPglite (): Promise<Database> {
  if (pglite === undefined) {
    pglite = openPrepared()
    tap.teardown(async () => { await (await pglite)?.close() })
  }
  return await pglite
}

let sharedPostgres: Promise<string> | undefined
/**
 * Services mode: one database per test process, copied from the template, as `sharedPglite`
 * is in the default suite. A new database per app cost PostgreSQL about 0.2 s of CPU to copy
 * the template (and its first connections a cold catalog cache): its backends took 219 s of
 * the suite's 620 s of machine CPU then, 85 s with this.
 */
async function sharedPostgresUrl (): Promise<string> {
  sharedPostgres ??= createTestDatabase(tap)
  return await sharedPostgres
}

/** Files that have a database of their own (`ownDatabase`), by their test; files that used the shared one. */
const ownDatabases = new WeakMap<object, Promise<Database | string>>()
const sharedUsers = new WeakSet<object>()

/**
 * Gives the apps of the running test file a database of their own instead of the shared one
 * (a PGlite, or a PostgreSQL database in services mode), closed or dropped when the file ends.
 * Needed by a file whose apps run queue workers (`JOBS_WORKER`): a worker takes every job in
 * its database, including those other files' apps queued and left, and such files wait for an
 * empty queue. `build` does it for an app with `JOBS_WORKER: true`; a file that builds other
 * apps first calls it at its top, so that all its apps share one. Run alone, a file has its
 * process's database to itself already.
 */
export function ownDatabase (): void {
  const file = currentFileTest()
  if (file === tap || ownDatabases.has(file)) return
  if (sharedUsers.has(file)) throw new Error('this file built apps on the shared database before one with JOBS_WORKER: call ownDatabase() at its top')
  if (servicesMode) {
    ownDatabases.set(file, createTestDatabase(file))
    return
  }
  const db = openPrepared()
  ownDatabases.set(file, db)
  file.teardown(async () => { await (await db).close() })
}

/** The database the running file's apps share, its own or the process's: a PGlite, or a PostgreSQL URL in services mode. */
async function databaseFor (jobsWorker: boolean): Promise<Database | string> {
  if (jobsWorker) ownDatabase()
  const file = currentFileTest()
  const own = ownDatabases.get(file)
  if (own !== undefined) return await own
  if (file !== tap) sharedUsers.add(file)
  return servicesMode ? await sharedPostgresUrl() : await sharedPglite()
}

export function tempDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-test-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

export interface BuildOptions {
  /** Reuse this database (two nodes on one PostgreSQL). Services mode only. */
  databaseUrl?: string
}

/**
 * Response serializers compiled once per schema in this process instead of once per app, and
 * only for the responses a test sends:
 * compiling them was about 100 ms of every build, and the suites build thousands of apps. The
 * compiled function depends only on the schema's JSON (the apps share their shared schemas),
 * and many routes make their response schema afresh in each build, so the key is the JSON.
 */
const buildSerializer = SerializerSelector()
const serializers = new Map<string, (data: unknown) => string>()
const schemaController: FastifyServerOptions['schemaController'] = {
  compilersFactory: {
    buildSerializer: (externalSchemas, options) => {
      const compile = buildSerializer(externalSchemas as any, options as any)
      return (route) => {
        const key = `${route.httpStatus} ${(route as { contentType?: string }).contentType ?? ''} ${JSON.stringify(route.schema)}`
        const cached = serializers.get(key)
        if (cached !== undefined) return cached
        // Compiled at the route's first response instead: a test file answers from a few of
        // the routes, and compiling all of them was about 0.3 s of each file's first build.
        // (The server compiles them all at start, as before; the tests that start it see that.)
        let compiled: ((data: unknown) => string) | undefined
        return (data) => {
          if (compiled === undefined) {
            compiled = serializers.get(key) ?? compile(route as any)
            serializers.set(key, compiled)
          }
          return compiled(data)
        }
      }
    }
  }
}

/** Test defaults: quiet logs, cheap scrypt, auth limits out of the way unless a test sets them. */
export async function build (t: Test, overrides: Partial<RawConfig> = {}, opts: BuildOptions = {}): Promise<App> {
  const base: Partial<RawConfig> = {
    NODE_ENV: 'test',
    DATA_DIR: tempDir(t),
    JWT_SECRET: 'test-secret-that-is-at-least-32-characters-long',
    LOG_LEVEL: 'silent',
    SCRYPT_LOG_N: 10,
    AUTH_RATE_LIMIT_MAX: 100_000,
    INVITE_RATE_LIMIT_MAX: 100_000,
    // Services mode counts in Redis: each app its own counters unless a test shares them.
    RATE_LIMIT_NAMESPACE: `test:${randomUUID()}:`,
    SOCKET_EVENTS_PER_S: 10_000,
    PORT: 0,
    HOST: '127.0.0.1',
    // Apps share one PGlite per test file: only the tests of outbound work run queue workers,
    // so no app works another's jobs.
    JOBS_WORKER: false
  }
  let database: Database | undefined
  if (servicesMode) {
    base.DATABASE_URL = opts.databaseUrl ?? await databaseFor(loadConfig({}, { ...base, ...overrides }).JOBS_WORKER) as string
    base.REDIS_URL = REDIS_URL
    if (REDIS_ADAPTER !== undefined) base.REDIS_ADAPTER = REDIS_ADAPTER
  }
  const config = loadConfig({}, { ...base, ...overrides })
  if (!servicesMode) database = await databaseFor(config.JOBS_WORKER) as Database
  const app = await buildApp(config, { database, schemaController })
  t.teardown(async () => { await app.close() })
  await app.ready()
  return app
}

/** Builds and listens on a random loopback port; returns the base URL. */
export async function listen (t: Test, overrides: Partial<RawConfig> = {}, opts: BuildOptions = {}): Promise<{ app: App, url: string }> {
  const app = await build(t, overrides, opts)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  return { app, url: `http://127.0.0.1:${address.port}` }
}

export interface TestUser {
  id: string
  username: string
  accessToken: string
  refreshToken: string
  auth: { authorization: string }
}

let counter = 0
/** Registers a user through the real route. */
export async function registerUser (app: App, username = `user${process.pid}_${++counter}_${Math.floor(Math.random() * 1e6)}`, password = 'correct horse battery'): Promise<TestUser> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/register', payload: { username, password } })
  if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`)
  const body = res.json()
  return {
    id: body.user.id,
    username: body.user.username,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
    auth: { authorization: `Bearer ${body.accessToken as string}` }
  }
}

/** Makes two users friends through the real routes. */
export async function befriend (app: App, a: Pick<TestUser, 'id' | 'auth'>, b: Pick<TestUser, 'id' | 'auth'>): Promise<void> {
  const sent = await app.inject({ method: 'POST', url: '/api/friends/requests', headers: a.auth, payload: { toUserId: b.id } })
  if (sent.statusCode !== 201) throw new Error(`friend request failed: ${sent.statusCode} ${sent.body}`)
  const accepted = await app.inject({ method: 'POST', url: `/api/friends/requests/${sent.json().id as string}/accept`, headers: b.auth })
  if (accepted.statusCode !== 200) throw new Error(`accept failed: ${accepted.statusCode} ${accepted.body}`)
}

/** The app's SQL client, recording each statement's batch size (the length of its first array parameter). */
export function counting (sql: SqlClient): SqlClient & { statements: number[] } {
  const statements: number[] = []
  return {
    statements,
    query: async <R>(text: string, values: unknown[], name?: string): Promise<R[]> => {
      statements.push(Array.isArray(values[0]) ? values[0].length : 1)
      return await sql.query<R>(text, values, name)
    }
  }
}
