import fp from 'fastify-plugin'
import { join } from 'node:path'
import { openDatabase, setAppEventsSql, type Database, type DbKind, type JobsExecutor, type SqlClient } from '../db/drivers.js'
import type { PrismaClient } from '../generated/prisma/client.js'

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient
    /** Plain SQL for the hot paths (see SqlClient). */
    sql: SqlClient
    /** The send statement's connections (see Database.sendSql). */
    sendSql: SqlClient
    /** Send statements in flight at once on this node (group commit): DB_SEND_CONCURRENCY, or auto. */
    sendConcurrency: number
    /** Message-change transactions in flight at once on this node. */
    changeConcurrency: number
    dbKind: DbKind
    /** The job queue's SQL executor (src/plugins/jobs.ts). */
    jobsDb: JobsExecutor
    /** PostgreSQL pool occupancy for metrics; undefined on PGlite. */
    dbPoolStats: Database['poolStats']
    /** PGlite on a directory opened by this app: its data-directory dump (a tar); undefined otherwise (src/ops/control-socket.ts). */
    embeddedDump: Database['dumpDataDir']
  }
}

/**
 * DB_SEND_CONCURRENCY, or by default one statement in flight (PGlite: always one). Now that
 * the statement is planned once, one at a time makes the biggest batches: at 2,000 msg/s on
 * the 2-core benchmark machine, 1 / 2 / 3 in flight gave delivery p99 15 / 22 / 34-43 ms,
 * server CPU 0.23 / 0.26 / 0.27 ms and PostgreSQL CPU 0.23 / 0.31 / 0.34 ms per message, and
 * one still carried 4,883 msg/s (BENCHMARKS.md). A database with more cores may
 * take more.
 */
export function sendConcurrencyOf (config: { DB_SEND_CONCURRENCY: number }, kind: DbKind): number {
  if (kind !== 'postgres') return 1
  return config.DB_SEND_CONCURRENCY > 0 ? config.DB_SEND_CONCURRENCY : 1
}

/** Message changes (edits, reactions, pins) in flight at once: a third of DB_POOL_MAX, at most 4 (PGlite: 1). */
export function changeConcurrencyOf (config: { DB_POOL_MAX: number }, kind: DbKind): number {
  return kind !== 'postgres' ? 1 : Math.max(1, Math.min(4, Math.floor(config.DB_POOL_MAX / 3)))
}

/** Prisma on PGlite (default, under DATA_DIR) or PostgreSQL (DATABASE_URL), migrated at start. */
export default fp<{ database?: Database }>(async (app, opts) => {
  const { config } = app
  // A database handed in (tests share one PGlite per process) is the caller's to close.
  const shared = opts.database
  const db = shared ?? await openDatabase({
    databaseUrl: config.DATABASE_URL,
    pgliteDir: config.PGLITE_DIR ?? join(config.DATA_DIR, 'pglite'),
    pglite: { sharedBuffersMb: config.PGLITE_SHARED_BUFFERS_MB, liftoffOnly: config.PGLITE_LIFTOFF_ONLY },
    poolMax: config.DB_POOL_MAX,
    sendConnections: sendConcurrencyOf(config, 'postgres'),
    onPoolError: (err) => { app.log.warn({ err }, 'database connection lost while idle; the pool replaces it') },
    appEvents: config.APP_EVENTS_URL !== undefined
  })
  // A PGlite handed in (tests) is one session: this app's setting holds until the next app's.
  if (shared !== undefined && db.kind === 'pglite') await db.sql.query(setAppEventsSql(config.APP_EVENTS_URL !== undefined), [])
  if (db.migrations.applied.length > 0) app.log.info({ applied: db.migrations.applied }, 'database migrated')
  app.decorate('prisma', db.prisma)
  app.decorate('sql', db.sql)
  app.decorate('sendSql', db.sendSql)
  app.decorate('sendConcurrency', sendConcurrencyOf(config, db.kind))
  app.decorate('changeConcurrency', changeConcurrencyOf(config, db.kind))
  app.decorate('dbKind', db.kind)
  app.decorate('jobsDb', db.jobs)
  app.decorate('dbPoolStats', db.poolStats)
  // Only a store this app opened on a directory is this process's to dump (src/ops/control-socket.ts).
  const onDisk = shared === undefined && db.kind === 'pglite' && !(config.PGLITE_DIR ?? '').startsWith('memory://')
  app.decorate('embeddedDump', onDisk ? db.dumpDataDir : undefined)
  if (shared === undefined) app.addHook('onClose', async () => { await db.close() })
}, { name: 'db', dependencies: ['config'] })
