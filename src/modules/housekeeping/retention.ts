import type { Config } from '../../config.js'
import type { SqlClient } from '../../db/drivers.js'
import { removeUploadFiles } from './files.js'
import { RETENTION_DUE_SQL, RETENTION_PURGE_SQL, RETENTION_PUSH_ARCHIVE_SQL, RETENTION_PUSH_JOBS_SQL, RETENTION_START_SQL, RETENTION_UPLOADS_SQL } from './sql.js'

/** Messages one purge statement deletes at most: each batch is its own short transaction. */
export const RETENTION_BATCH = 500
/** Conversations looked at per statement while walking them in id order. */
const CONVERSATIONS_PER_READ = 200

export interface RetentionContext { sql: SqlClient, config: Pick<Config, 'RETENTION_DAYS' | 'UPLOAD_DIR'> }

/**
 * The retention purge (housekeeping task `retention`; docs/protocol.md, "Retention"). For each
 * conversation whose oldest message is older than its policy: first its history start moves up
 * (one short UPDATE of the conversation row, the lock a send takes for a moment), so history
 * and sync say where history starts before anything goes; then the messages below it are
 * deleted oldest first in batches of RETENTION_BATCH (no conversation lock: a send meanwhile
 * only adds a higher seq), then its queued pushes, then the uploads those messages named that
 * nothing references any more (row, then file). Seqs are never renumbered. Returns how many
 * messages went.
 */
export async function purgeExpired (ctx: RetentionContext): Promise<number> {
  let total = 0
  let after = '00000000-0000-0000-0000-000000000000'
  for (;;) {
    const due = await ctx.sql.query<{ id: string, days: number }>(RETENTION_DUE_SQL, [ctx.config.RETENTION_DAYS, CONVERSATIONS_PER_READ, after], 'retention_due')
    for (const c of due) total += await purgeConversation(ctx, c.id, c.days)
    const last = due.at(-1)
    if (last === undefined || due.length < CONVERSATIONS_PER_READ) return total
    after = last.id
  }
}

async function purgeConversation (ctx: RetentionContext, conversationId: string, days: number): Promise<number> {
  const [start] = await ctx.sql.query<{ history_start_seq: number }>(RETENTION_START_SQL, [conversationId, days], 'retention_start')
  if (start === undefined) return 0
  const below = start.history_start_seq
  let removed = 0
  const urls = new Set<string>()
  for (;;) {
    const [batch] = await ctx.sql.query<{ n: number, urls: string[] }>(RETENTION_PURGE_SQL, [conversationId, below, RETENTION_BATCH], 'retention_purge')
    const n = batch?.n ?? 0
    for (const url of batch?.urls ?? []) urls.add(url)
    removed += n
    if (n < RETENTION_BATCH) break
  }
  await ctx.sql.query(RETENTION_PUSH_JOBS_SQL, [conversationId, below], 'retention_push_jobs')
  await ctx.sql.query(RETENTION_PUSH_ARCHIVE_SQL, [conversationId, below], 'retention_push_archive')
  if (urls.size > 0) {
    const gone = await ctx.sql.query<{ storage_key: string }>(RETENTION_UPLOADS_SQL, [[...urls]], 'retention_uploads')
    await removeUploadFiles(ctx.config.UPLOAD_DIR, gone)
  }
  return removed
}
