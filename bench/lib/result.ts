import { round2 } from './histogram.js'

/**
 * What every scenario reports (`--json` prints one of these). Fields a scenario cannot fill
 * are null; scenario-specific extras follow the common ones.
 */
export interface BenchResult {
  scenario: string
  db: string
  /** 'server' or 'relay' (the baseline). */
  target: string
  rate: number | null
  durationS: number | null
  users: number
  sent: number | null
  acked: number | null
  delivered: number | null
  lost: number | null
  duplicates: number | null
  throughput: number | null
  ackP50Ms: number | null
  ackP99Ms: number | null
  deliveryP50Ms: number | null
  deliveryP99Ms: number | null
  serverCpuPct: number | null
  serverRssMb: number | null
  generatorCpuPct: number | null
  /** 1, 5 and 15 minute load averages at the end of the measurement. */
  loadAvg: number[]
  baseline?: BenchResult
  ratio?: Record<string, number | null>
  [extra: string]: unknown
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Median of each numeric field over several runs (recursing into baseline/ratio); other fields from the first run. */
export function medianOf (runs: Array<Record<string, unknown>>): Record<string, unknown> {
  const first = runs[0]!
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(first)) {
    const values = runs.map((r) => r[key])
    if (values.every((v) => typeof v === 'number')) out[key] = round2(median(values as number[]))
    else if (value !== null && typeof value === 'object' && !Array.isArray(value) && values.every((v) => v !== null && typeof v === 'object')) {
      out[key] = medianOf(values as Array<Record<string, unknown>>)
    } else out[key] = value
  }
  return out
}
