import fp from 'fastify-plugin'
import { join } from 'node:path'
import { openDatabase, type Database, type DbKind, type JobsExecutor, type SqlClient } from '../db/drivers.js'
import type { PrismaClient } from '../generated/prisma/client.js'

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient
    /** Plain SQL for the hot paths (see SqlClient). */
    sql: SqlClient
    dbKind: DbKind
    /** The job queue's SQL executor (src/plugins/jobs.ts). */
    jobsDb: JobsExecutor
    /** PostgreSQL pool occupancy for metrics; undefined on PGlite. */
    dbPoolStats: Database['poolStats']
  }
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
    onPoolError: (err) => { app.log.warn({ err }, 'database connection lost while idle; the pool replaces it') }
  })
  if (db.migrations.applied.length > 0) app.log.info({ applied: db.migrations.applied }, 'database migrated')
  app.decorate('prisma', db.prisma)
  app.decorate('sql', db.sql)
  app.decorate('dbKind', db.kind)
  app.decorate('jobsDb', db.jobs)
  app.decorate('dbPoolStats', db.poolStats)
  if (shared === undefined) app.addHook('onClose', async () => { await db.close() })
}, { name: 'db', dependencies: ['config'] })
