import { readFileSync } from 'node:fs'
import { round2 } from './histogram.js'

/**
 * One reading of the server's memory. rss and anon come from /proc (always there); the
 * split comes from the server's own GET /metrics (prom-client's process metrics, nothing to
 * switch on): V8 heap, and external memory, which holds ArrayBuffers and WebAssembly memory,
 * so on PGlite it is mostly the WASM linear memory (which grows and never shrinks).
 */
export interface MemoryPoint {
  /** Seconds since the timeline started. */
  tS: number
  rssMb: number
  /** Anonymous (heap-like) part of the RSS; the rest is mapped files (node binary, libraries). */
  anonMb: number | null
  heapUsedMb: number | null
  heapTotalMb: number | null
  externalMb: number | null
  /** Sends waiting for the send statement (relay_group_commit_queue_depth): a backlog shows here first. */
  sendQueue: number | null
}

const MB = 1024 * 1024

function readKb (file: string, field: string): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'))
    return m === null ? null : Number(m[1])
  } catch {
    return null
  }
}

/** Prometheus text: the value of one metric without labels. */
function metric (text: string, name: string): number | null {
  const m = new RegExp(`^${name} (\\S+)`, 'm').exec(text)
  return m === null ? null : Number(m[1])
}

async function point (pid: number, metricsUrl: string | undefined, t0: number): Promise<MemoryPoint> {
  const tS = Math.round((performance.now() - t0) / 1000)
  const rssKb = readKb(`/proc/${pid}/status`, 'VmRSS') ?? 0
  const anonKb = readKb(`/proc/${pid}/smaps_rollup`, 'Anonymous')
  let text = ''
  if (metricsUrl !== undefined) {
    try {
      const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(2000) })
      if (res.ok) text = await res.text()
    } catch {}
  }
  const mb = (name: string): number | null => {
    const v = metric(text, name)
    return v === null ? null : round2(v / MB)
  }
  return {
    tS,
    rssMb: round2(rssKb / 1024) ?? 0,
    anonMb: anonKb === null ? null : round2(anonKb / 1024),
    heapUsedMb: mb('nodejs_heap_size_used_bytes'),
    heapTotalMb: mb('nodejs_heap_size_total_bytes'),
    externalMb: mb('nodejs_external_memory_bytes'),
    sendQueue: metric(text, 'relay_group_commit_queue_depth')
  }
}

/**
 * Reads the server's memory every `everyS` seconds (and at start and stop), so a long run
 * shows whether it levels off or keeps growing. `metricsUrl` (the server's /metrics; the
 * bench server has no METRICS_TOKEN) adds the V8 heap / external split; the relay has none.
 */
export function memoryTimeline (pid: number, metricsUrl: string | undefined, everyS = 10): { stop: () => Promise<MemoryPoint[]> } {
  const t0 = performance.now()
  const points: Array<Promise<MemoryPoint>> = [point(pid, metricsUrl, t0)]
  const timer = setInterval(() => { points.push(point(pid, metricsUrl, t0)) }, everyS * 1000)
  return {
    stop: async () => {
      clearInterval(timer)
      points.push(point(pid, metricsUrl, t0))
      return await Promise.all(points)
    }
  }
}

/** The growth of RSS between the first reading at or after `fromS` and the last one, in MB. */
export function rssGrowthAfter (points: MemoryPoint[], fromS: number): number | null {
  const from = points.find((p) => p.tS >= fromS)
  const last = points.at(-1)
  return from === undefined || last === undefined || last === from ? null : round2(last.rssMb - from.rssMb)
}
