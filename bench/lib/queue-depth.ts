import type { BenchDb } from './database.js'

/** What is still to deliver, per source, sampled from the database (PostgreSQL only: PGlite is the server's). */
const QUERIES = {
  push: `SELECT (SELECT count(*) FROM push_outbox)::int AS outbox,
    count(*) FILTER (WHERE name = 'push-message')::int AS "messageJobs",
    count(*) FILTER (WHERE name = 'push-send')::int AS "sendJobs"
    FROM pgboss.job WHERE state IN ('created', 'retry', 'active')`,
  // Messages the bots have not been sent yet, over all their conversations.
  webhook: `SELECT coalesce(sum(c.last_seq - w.seq), 0)::int AS behind,
    (SELECT count(*) FROM pgboss.job WHERE name = 'webhook' AND state IN ('created', 'retry', 'active'))::int AS jobs
    FROM webhook_cursors w JOIN conversations c ON c.id = w.conversation_id
    JOIN bots b ON b.user_id = w.bot_id AND b.webhook_url IS NOT NULL`
} as const

export type DepthPoint = { tS: number } & Record<string, number>

/** Samples the queue every `everyMs` until stopped; returns the timeline and each column's maximum. */
export function queueDepth (db: BenchDb, kind: keyof typeof QUERIES, everyMs = 1000): { stop: () => { timeline: DepthPoint[], max: Record<string, number> } } {
  const t0 = performance.now()
  const timeline: DepthPoint[] = []
  let busy = false
  const sample = (): void => {
    if (busy) return // a slow sample is not stacked on
    busy = true
    db.query<Record<string, number>>(QUERIES[kind]).then((rows) => {
      timeline.push({ tS: Math.round((performance.now() - t0) / 100) / 10, ...rows[0] })
    }, () => {}).finally(() => { busy = false })
  }
  sample()
  const timer = setInterval(sample, everyMs)
  return {
    stop: () => {
      clearInterval(timer)
      const max: Record<string, number> = {}
      for (const p of timeline) for (const [k, v] of Object.entries(p)) if (k !== 'tS') max[k] = Math.max(max[k] ?? 0, v)
      return { timeline, max }
    }
  }
}

/** Waits (at most maxMs) until nothing is left to deliver; returns the ms waited, or null when it was not empty by then. */
export async function untilEmpty (db: BenchDb, kind: keyof typeof QUERIES, maxMs: number): Promise<number | null> {
  const t0 = performance.now()
  for (;;) {
    const row = (await db.query<Record<string, number>>(QUERIES[kind]))[0] ?? {}
    if (Object.values(row).every((v) => Number(v) === 0)) return Math.round(performance.now() - t0)
    if (performance.now() - t0 > maxMs) return null
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}
