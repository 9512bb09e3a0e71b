import fp from 'fastify-plugin'
import { observeBatches } from '../../lib/send-stats.js'

/**
 * Merges the message search indexes' GIN pending lists every SEARCH_INDEX_MERGE_MS, off the
 * send path.
 *
 * A GIN index with fastupdate (the default) takes a new row's entries into a pending list, and
 * the insert that finds the list over gin_pending_list_limit merges all of it into the index
 * inside its own statement: at 2,000 msg/s of chat text that was one send every few seconds
 * waiting 40-100 ms, with every send queued behind it (the p99 tail of BENCHMARKS.md
 * "Performance III"). Here the list is merged on a pooled connection of its own while sends go
 * on appending to it (an insert takes the metapage's buffer lock only for its append; the merge
 * holds a page lock that only other merges wait for). The migration raises the limit to 16 MB,
 * so a merge running late still leaves every send alone. Searches read the pending list too: a
 * message is found from its commit, merged or not.
 *
 * On PostgreSQL the merge runs on another backend, i.e. beside the sends, every 250 ms by
 * default (1,000 ms made bigger merges that competed for the CPU in bursts: p99 16 against
 * 11 ms at 2,000 msg/s, for 4 % less database CPU); on the embedded store (one connection) it
 * runs between two statements, so it runs every 100 ms to stay small (at 1,000 msg/s the send
 * p99 was 23 ms merging every 250 ms, 16 ms every 100 ms, 9 ms with no search index at all).
 * With several nodes, one merges per interval (a try-lock; the others skip their turn). A node
 * that stored no message since its last merge skips its turn: an idle server sends no query.
 */
const MERGE_LOCK_KEY = 7_201_208_001
export const MERGE_SQL = `SELECT CASE WHEN pg_try_advisory_xact_lock(${MERGE_LOCK_KEY})
  THEN gin_clean_pending_list('messages_search_en_idx'::regclass) + gin_clean_pending_list('messages_search_trgm_idx'::regclass)
  ELSE -1 END::int AS pages`

export interface SearchIndexMerger {
  /** Merges now (tests, benchmarks); the pages merged, or -1 when another node held the lock. */
  mergeNow: () => Promise<number>
  /** Totals since start, for /metrics. */
  stats: () => { merges: number, pages: number, seconds: number }
}

declare module 'fastify' {
  interface FastifyInstance { searchIndexMerger: SearchIndexMerger }
}

export default fp(async (app) => {
  const every = app.config.SEARCH_INDEX_MERGE_MS ?? (app.dbKind === 'postgres' ? 250 : 100)
  const totals = { merges: 0, pages: 0, seconds: 0 }
  let inFlight: Promise<number> | undefined
  // Set by every send statement this node runs (edits are rare: their entries wait for the next send's merge).
  let dirty = true
  const unobserve = observeBatches(() => { dirty = true })

  const mergeNow = async (): Promise<number> => {
    while (inFlight !== undefined) await inFlight.catch(() => 0)
    const started = performance.now()
    inFlight = (async () => {
      const rows = await app.sql.query<{ pages: number }>(MERGE_SQL, [], 'search_index_merge')
      return rows[0]?.pages ?? -1
    })()
    try {
      const pages = await inFlight
      if (pages >= 0) {
        totals.merges++
        totals.pages += pages
        totals.seconds += (performance.now() - started) / 1000
      }
      return pages
    } finally {
      inFlight = undefined
    }
  }

  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const schedule = (): void => {
    if (stopped || every <= 0) return
    timer = setTimeout(() => {
      if (!dirty) { schedule(); return }
      dirty = false
      mergeNow().then((pages) => {
        if (pages < 0) dirty = true // another node held the lock: this node's entries may still be pending
        schedule()
      }, (err: unknown) => {
        if (stopped) return
        // Not the indexes' owner (42501), a read-only standby (25006): say so once and leave the
        // merging to inserts and autovacuum. Anything else (a lost connection): try again next time.
        const code = (err as { code?: unknown }).code
        const final = code === '42501' || code === '25006'
        app.log.warn({ err }, final ? 'search index merge refused; merging is left to inserts and autovacuum' : 'search index merge failed; retrying')
        if (!final) schedule()
      })
    }, every)
    timer.unref()
  }
  app.addHook('onReady', async () => { schedule() })
  app.addHook('preClose', async () => {
    stopped = true
    unobserve()
    clearTimeout(timer)
    await inFlight?.catch(() => 0)
  })

  app.decorate('searchIndexMerger', { mergeNow, stats: () => ({ ...totals }) })
}, { name: 'search-index-merger', dependencies: ['config', 'db'] })
