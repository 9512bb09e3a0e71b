import type { Config } from '../../config.js'
import type { DbKind, SqlClient } from '../../db/drivers.js'
import { removeUploadFiles } from './files.js'
import { purgeExpired } from './retention.js'
import { CHECKPOINT_SQL, PRUNE_APP_EVENT_LOG_SQL, PRUNE_INVITES_SQL, PRUNE_JOB_ARCHIVE_SQL, PRUNE_REFRESH_TOKENS_SQL, PRUNE_UPLOADS_SQL, PRUNE_WEBHOOK_LOG_SQL, VACUUM_SQL } from './sql.js'

/** Rows one statement deletes at most; a run repeats it until less comes back. */
export const BATCH = 1000

export interface TaskContext { sql: SqlClient, config: Config, dbKind: DbKind }

export interface Task {
  name: TaskName
  /** Seconds between runs (0: off), from the configuration. */
  interval: (config: Config) => number
  /** Whether the task applies to this store at all. */
  applies?: (ctx: TaskContext) => boolean
  /** Does the work; returns how many things it removed. */
  run: (ctx: TaskContext) => Promise<number>
}

export type TaskName = 'vacuum' | 'webhook-log' | 'job-archive' | 'tokens' | 'uploads' | 'retention'

/** Runs a deleting statement in batches until it finds less than a batch. */
async function drain<R> (ctx: TaskContext, text: string, name: string, arg: number, each?: (rows: R[]) => Promise<void>): Promise<number> {
  let total = 0
  for (;;) {
    const rows = await ctx.sql.query<R>(text, [BATCH, arg], name)
    if (each !== undefined) await each(rows)
    total += rows.length
    if (rows.length < BATCH) return total
  }
}

export const TASKS: readonly Task[] = [
  {
    name: 'vacuum',
    interval: (c) => c.HOUSEKEEPING_VACUUM_INTERVAL_S,
    applies: (ctx) => ctx.dbKind === 'pglite',
    run: async (ctx) => {
      await ctx.sql.query(VACUUM_SQL, [])
      await ctx.sql.query(CHECKPOINT_SQL, [])
      return 0
    }
  },
  {
    name: 'webhook-log',
    interval: (c) => c.HOUSEKEEPING_WEBHOOK_LOG_INTERVAL_S,
    // Both outbound delivery logs: bot webhooks' and app events'.
    run: async (ctx) => await drain(ctx, PRUNE_WEBHOOK_LOG_SQL, 'housekeeping_webhook_log', ctx.config.WEBHOOK_LOG_KEEP_DAYS) +
      await drain(ctx, PRUNE_APP_EVENT_LOG_SQL, 'housekeeping_app_event_log', ctx.config.WEBHOOK_LOG_KEEP_DAYS)
  },
  {
    name: 'job-archive',
    interval: (c) => c.HOUSEKEEPING_JOB_ARCHIVE_INTERVAL_S,
    run: async (ctx) => await drain(ctx, PRUNE_JOB_ARCHIVE_SQL, 'housekeeping_job_archive', ctx.config.JOBS_ARCHIVE_KEEP_DAYS)
  },
  {
    name: 'tokens',
    interval: (c) => c.HOUSEKEEPING_TOKENS_INTERVAL_S,
    run: async (ctx) => await drain(ctx, PRUNE_REFRESH_TOKENS_SQL, 'housekeeping_refresh_tokens', 0) +
      await drain(ctx, PRUNE_INVITES_SQL, 'housekeeping_invites', ctx.config.INVITE_KEEP_DAYS)
  },
  {
    name: 'uploads',
    interval: (c) => c.HOUSEKEEPING_UPLOADS_INTERVAL_S,
    // The row goes first (in its statement), then the file: a download in between finds no row (404), never a row without a file.
    run: async (ctx) => await drain<{ storage_key: string }>(ctx, PRUNE_UPLOADS_SQL, 'housekeeping_uploads', ctx.config.UPLOAD_ORPHAN_AFTER_S,
      async (rows) => { await removeUploadFiles(ctx.config.UPLOAD_DIR, rows) })
  },
  {
    // Messages older than their conversation's policy (retention.ts); checks every conversation with a policy.
    name: 'retention',
    interval: (c) => c.HOUSEKEEPING_RETENTION_INTERVAL_S,
    run: async (ctx) => await purgeExpired(ctx)
  }
]
