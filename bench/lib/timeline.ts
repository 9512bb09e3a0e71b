import pg from 'pg'
import { writeFileSync } from 'node:fs'
import type { Series } from '../worker.js'

/**
 * `--timeline`: what the server and its database were doing during each 100 ms of a measured
 * run, lined up with the deliveries due in it, so that a tail has a name. Every 100 ms it takes:
 * - from the server's /metrics: the event loop's worst delay since the last scrape (prom-client
 *   resets its monitorEventLoopDelay histogram at each collect), GC time by kind, the group
 *   commit's queue depth, the search index merges;
 * - on PostgreSQL: the bench database's active backends (wait event, statement, running for how
 *   long), checkpoints, and the search indexes' GIN pending pages (pgstattuple), whose drop
 *   between two samples is a merge.
 * The generator's deliveries come per 100 ms of due time (worker.ts `series`).
 */

export interface Sample {
  /** ms since the run's start (due time of its first message). */
  t: number
  eldMaxMs?: number
  gcMs?: Record<string, number>
  queueDepth?: number
  merges?: number
  /** ms spent merging the search indexes' pending lists, cumulative (relay_search_index_merge_seconds_total). */
  mergeMs?: number
  active?: Array<{ what: string, wait: string, ms: number }>
  checkpoints?: number
  pending?: number[]
}

const STATEMENTS: Array<[RegExp, string]> = [
  [/unnest\(\$1::uuid\[\]/, 'send'],
  [/gin_clean_pending_list/, 'search-merge'],
  [/pgboss\./i, 'job-queue'],
  [/push_outbox|outbox/i, 'outbox'],
  [/presence|last_seen/i, 'presence'],
  [/VACUUM|ANALYZE/i, 'vacuum'],
  [/^COMMIT|^BEGIN/i, 'tx'],
  [/conversation_members/i, 'members'],
  [/messages/i, 'messages']
]
const label = (q: string): string => STATEMENTS.find(([re]) => re.test(q))?.[1] ?? q.slice(0, 40)

const metric = (body: string, name: string): number | undefined => {
  const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(body)
  return m === null ? undefined : Number(m[1])
}

export function startTimeline (opts: { metricsUrl?: string, databaseUrl?: string, startAt: number }): { stop: () => Promise<Sample[]> } {
  const samples: Sample[] = []
  let stopped = false
  let gcBefore: Record<string, number> | undefined
  let client: pg.Client | undefined
  const ready = (async () => {
    if (opts.databaseUrl === undefined) return
    client = new pg.Client({ connectionString: opts.databaseUrl })
    client.on('error', () => {})
    await client.connect()
    await client.query('CREATE EXTENSION IF NOT EXISTS pgstattuple')
  })()

  const once = async (): Promise<void> => {
    const s: Sample = { t: Date.now() - opts.startAt }
    const jobs: Array<Promise<void>> = []
    if (opts.metricsUrl !== undefined) {
      jobs.push(fetch(opts.metricsUrl).then(async (res) => {
        const body = await res.text()
        const eld = metric(body, 'nodejs_eventloop_lag_max_seconds')
        if (eld !== undefined) s.eldMaxMs = Math.round(eld * 10_000) / 10
        s.queueDepth = metric(body, 'relay_group_commit_queue_depth')
        s.merges = metric(body, 'relay_search_index_merges_total')
        const mergeS = metric(body, 'relay_search_index_merge_seconds_total')
        if (mergeS !== undefined) s.mergeMs = Math.round(mergeS * 10_000) / 10
        const gc: Record<string, number> = {}
        for (const m of body.matchAll(/^nodejs_gc_duration_seconds_sum\{kind="(\w+)"\} ([0-9.e+-]+)$/gm)) gc[m[1]!] = Number(m[2])
        if (gcBefore !== undefined) {
          s.gcMs = {}
          for (const [k, v] of Object.entries(gc)) {
            const d = (v - (gcBefore[k] ?? 0)) * 1000
            if (d > 0.05) s.gcMs[k] = Math.round(d * 10) / 10
          }
        }
        gcBefore = gc
      }).catch(() => {}))
    }
    if (client !== undefined) {
      jobs.push(client.query<{ active: Array<{ q: string, w: string, ms: number }> | null, checkpoints: number, pending: number[] }>(`SELECT
          (SELECT json_agg(json_build_object('q', left(regexp_replace(query, '\\s+', ' ', 'g'), 120), 'w', coalesce(wait_event_type || ':' || wait_event, 'cpu'),
            'ms', round(extract(epoch FROM clock_timestamp() - query_start) * 1000)))
           FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()) AS active,
          (SELECT (checkpoints_timed + checkpoints_req)::int FROM pg_stat_bgwriter) AS checkpoints,
          ARRAY[(SELECT pending_pages FROM pgstatginindex('messages_search_en_idx')), (SELECT pending_pages FROM pgstatginindex('messages_search_trgm_idx'))] AS pending`)
        .then((r) => {
          const row = r.rows[0]!
          s.active = (row.active ?? []).map((a) => ({ what: label(a.q), wait: a.w, ms: a.ms }))
          s.checkpoints = row.checkpoints
          s.pending = row.pending
        }).catch(() => {}))
    }
    await Promise.all(jobs)
    samples.push(s)
  }
  const loop = (async () => {
    await ready.catch(() => { client = undefined })
    while (!stopped) {
      const next = Date.now() + 100
      await once()
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())))
    }
  })()
  return {
    stop: async () => {
      stopped = true
      await loop
      await client?.end().catch(() => {})
      return samples
    }
  }
}

/** Merges the workers' series (same 100 ms buckets). */
export function mergeSeries (parts: Series[]): Series {
  const out: Series = { count: [], maxMs: [], over10: [] }
  for (const p of parts) {
    for (let b = 0; b < p.count.length; b++) {
      out.count[b] = (out.count[b] ?? 0) + p.count[b]!
      out.maxMs[b] = Math.max(out.maxMs[b] ?? 0, p.maxMs[b]!)
      out.over10[b] = (out.over10[b] ?? 0) + p.over10[b]!
    }
  }
  for (let b = 0; b < out.count.length; b++) { out.count[b] ??= 0; out.maxMs[b] ??= 0; out.over10[b] ??= 0 }
  return out
}

/**
 * The worst windows with what went on in them, and how often each suspect is present in a
 * slow window (its delivery max over `slowMs`) against in a calm one. A sample at time t covers
 * the 100 ms before it, so window b (due times b*100..b*100+100) is explained by the samples
 * taken up to 300 ms after it (a stall delays deliveries due before it started).
 */
export function report (series: Series, samples: Sample[], file: string, slowMs = 10): string {
  writeFileSync(file, JSON.stringify({ series, samples }))
  const windowOf = (b: number): Sample[] => samples.filter((s) => s.t > b * 100 && s.t <= b * 100 + 300)
  const suspects = (ss: Sample[], prev: Sample | undefined): string[] => {
    const out = new Set<string>()
    let last = prev
    for (const s of ss) {
      // prom-client samples the loop every 20 ms (eventLoopMonitoringPrecision) and the histogram
      // holds whole intervals: a calm loop reads 20-21 ms, so the delay is what lies beyond 20.
      if ((s.eldMaxMs ?? 0) - 20 > 10) out.add('event-loop>10ms')
      for (const [k, v] of Object.entries(s.gcMs ?? {})) if (v > 5) out.add(`gc-${k}>5ms`)
      for (const a of s.active ?? []) {
        if (a.what !== 'send' && a.what !== 'tx') out.add(`pg:${a.what}`)
        if (a.wait.startsWith('Lock:') || a.wait.startsWith('LWLock:')) out.add(`wait:${a.wait}`)
        if (a.what === 'send' && a.ms > 10) out.add('send-statement>10ms')
      }
      if (last?.pending !== undefined && s.pending !== undefined && s.pending.some((p, i) => p < (last!.pending![i] ?? 0) - 2)) out.add('gin-merge')
      if (last?.checkpoints !== undefined && s.checkpoints !== undefined && s.checkpoints > last.checkpoints) out.add('checkpoint')
      if (last?.merges !== undefined && s.merges !== undefined && s.merges > last.merges) out.add('search-merger')
      last = s
    }
    return [...out]
  }
  const lines: string[] = []
  const n = series.count.length
  const slow = new Map<string, number>()
  const calm = new Map<string, number>()
  let slowWindows = 0
  for (let b = 0; b < n; b++) {
    const ss = windowOf(b)
    const prev = samples.filter((s) => s.t <= b * 100).at(-1)
    const names = suspects(ss, prev)
    const isSlow = series.maxMs[b]! > slowMs
    if (isSlow) slowWindows++
    for (const x of names) (isSlow ? slow : calm).set(x, ((isSlow ? slow : calm).get(x) ?? 0) + 1)
  }
  lines.push(`timeline: ${n} windows of 100 ms, ${slowWindows} with a delivery over ${slowMs} ms; suspects present in slow windows / in the ${n - slowWindows} others:`)
  for (const x of new Set([...slow.keys(), ...calm.keys()])) lines.push(`  ${x.padEnd(28)} ${String(slow.get(x) ?? 0).padStart(4)} / ${calm.get(x) ?? 0}`)
  const withMerges = samples.filter((x) => x.merges !== undefined)
  if (withMerges.length > 1) {
    const first = withMerges[0]!
    const last = withMerges.at(-1)!
    const n = last.merges! - first.merges!
    lines.push(`search index merges: ${n} in ${((last.t - first.t) / 1000).toFixed(1)} s, ${n > 0 ? ((last.mergeMs! - first.mergeMs!) / n).toFixed(1) : '-'} ms each on average`)
  }
  lines.push('worst windows (due time s, deliveries, max ms, over 10 ms, then what the samples saw):')
  const worst = [...series.maxMs.keys()].sort((a, b) => series.maxMs[b]! - series.maxMs[a]!).slice(0, 12)
  for (const b of worst) {
    const ss = windowOf(b)
    const detail = ss.map((s) => `[eld ${s.eldMaxMs ?? '-'}${Object.keys(s.gcMs ?? {}).length > 0 ? ` gc ${JSON.stringify(s.gcMs)}` : ''} q ${s.queueDepth ?? '-'}` +
      `${s.pending !== undefined ? ` gin ${s.pending.join('/')}` : ''}${(s.active ?? []).filter((a) => a.what !== 'send').map((a) => ` ${a.what}(${a.wait},${a.ms}ms)`).join('')}]`).join(' ')
    lines.push(`  ${(b / 10).toFixed(1).padStart(6)} ${String(series.count[b]).padStart(4)} ${series.maxMs[b]!.toFixed(1).padStart(7)} ${String(series.over10[b]).padStart(4)}  ${suspects(ss, samples.filter((s) => s.t <= b * 100).at(-1)).join(' ')}  ${detail}`)
  }
  return lines.join('\n')
}
