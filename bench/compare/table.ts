import { medianOf } from '../lib/result.js'
import type { RunRecord } from './runner.js'
import type { PlannedScenario } from './scenarios.js'

type Result = Record<string, unknown>

const get = (r: Result | undefined, path: string): unknown => path.split('.').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Result)[k] : undefined), r)
const num = (r: Result | undefined, path: string): number | undefined => {
  const v = get(r, path)
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

/** 0.123 → 0.12, 12.34 → 12.3, 1234.5 → 1,235; missing → –. */
export function fmt (v: number | undefined): string {
  if (v === undefined) return '–'
  if (Number.isInteger(v)) return v.toLocaleString('en-US')
  const a = Math.abs(v)
  if (a >= 100) return Math.round(v).toLocaleString('en-US')
  if (a >= 10) return v.toFixed(1)
  return v.toFixed(2)
}

/** A markdown cell cannot hold a pipe or a line break. */
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ')

const UTC_TIME = (iso: string): string => iso.slice(11, 16)

/** Lost / duplicates for delivery scenarios; for reactions whether the stored counts match the acks. */
function integrity (r: Result): string {
  if (typeof r.countsMatch === 'boolean') {
    return r.countsMatch ? 'counts = acks' : `counts ≠ acks (${fmt(num(r, 'reactionsStored'))} stored, ${fmt(num(r, 'reactionsExpected'))} acked)`
  }
  const lost = num(r, 'lost')
  const dup = num(r, 'duplicates')
  return lost === undefined && dup === undefined ? '–' : `${fmt(lost)} / ${fmt(dup)}`
}

function verdict (r: Result): string {
  if (r.pass === true) return 'pass'
  if (r.pass === false || r.countsMatch === false) {
    const why: string[] = []
    if ((num(r, 'lost') ?? 0) > 0) why.push('lost')
    if ((num(r, 'duplicates') ?? 0) > 0) why.push('duplicates')
    if (num(r, 'acked') !== undefined && num(r, 'acked') !== num(r, 'sent')) why.push('not all acked')
    if (r.countsMatch === false) why.push('counts')
    // messaging's pass also wants the delivery p99 within --max-p99 (100 ms by default).
    return `FAIL (${why.length > 0 ? why.join(', ') : 'p99 over --max-p99'})`
  }
  const errors = get(r, 'errors') ?? get(r, 'ackErrors')
  if (errors !== null && typeof errors === 'object' && Object.keys(errors).length > 0) return `errors ${JSON.stringify(errors)}`
  return 'ok'
}

function cpuPerMessage (r: Result, relayMs: number | undefined): string {
  const server = num(r, 'serverCpuMsPerMsg')
  if (server === undefined) return '–'
  const db = num(r, 'dbCpuMsPerMsg')
  let s = fmt(server)
  if (db !== undefined && db > 0) s += ` + ${fmt(db)} db`
  if (relayMs !== undefined && relayMs > 0) s += ` (${(server / relayMs).toFixed(1)}× relay)`
  return s
}

function cpuPct (r: Result): string {
  const server = num(r, 'serverCpuPct')
  const db = num(r, 'dbCpuPct')
  return db !== undefined && db > 0 ? `${fmt(server)} + ${fmt(db)} db` : fmt(server)
}

export interface TableInput {
  scenarios: PlannedScenario[]
  records: RunRecord[]
}

const HEADER = ['scenario', 'build', 'run (UTC)', '1-min load start → end', 'p50 ms', 'p99 ms', 'max ms', 'throughput /s', 'server CPU %', 'CPU ms / msg', 'RSS MB', 'lost / dup', 'result']

/**
 * The before/after table: per scenario a row per run (in the order they ran), the bare relay
 * once when it ran, and with several rounds the median of each build's successful runs.
 * Latency cells hold the scenario's latencies joined by " / " (named in the scenario cell).
 */
export function formatTable ({ scenarios, records }: TableInput): string {
  const lines = [`| ${HEADER.join(' | ')} |`, `|${HEADER.map(() => '---').join('|')}|`]
  const row = (cells: string[]): void => { lines.push(`| ${cells.map(cell).join(' | ')} |`) }
  for (const s of scenarios) {
    const runs = records.filter((r) => r.scenario === s.headline.name)
    const lat = s.headline.latencies
    const title = `${s.label} (${lat.map((l) => l.name).join(' / ')})`
    const relay = runs.map((r) => get(r.result, 'baseline') as Result | undefined).find((b) => b !== undefined)
    const relayMs = num(relay, 'serverCpuMsPerMsg')
    const measured = (first: string, build: string, when: string, load: string, r: Result, status: string): void => {
      row([first, build, when, load,
        lat.map((l) => fmt(num(r, l.p50))).join(' / '),
        lat.map((l) => fmt(num(r, l.p99))).join(' / '),
        lat.map((l) => fmt(num(r, l.max))).join(' / '),
        fmt(num(r, 'throughput')), cpuPct(r), cpuPerMessage(r, r === relay ? undefined : relayMs), fmt(num(r, 'serverRssMb')), integrity(r), status])
    }
    let first = true
    const scenarioCell = (): string => { const c = first ? `**${title}**` : ''; first = false; return c }
    if (runs.length === 0) row([scenarioCell(), '–', '–', '–', '', '', '', '', '', '', '', '', 'not run'])
    for (const r of runs) {
      const when = UTC_TIME(r.startedAt)
      const load = `${fmt(r.load1Start)} → ${fmt(r.load1End)}`
      const build = `${r.role} ${r.build} #${r.round}`
      if (r.result === undefined) {
        row([scenarioCell(), build, when, load, '', '', '', '', '', '', '', '', `failed: ${r.error ?? 'unknown error'}`])
        continue
      }
      measured(scenarioCell(), build, when, load, r.result, verdict(r.result))
      const base = get(r.result, 'baseline') as Result | undefined
      if (base !== undefined && base === relay) measured('', 'bare Socket.IO relay (same load)', when, '', base, verdict(base))
    }
    const roles = [...new Set(runs.map((r) => `${r.role} ${r.build}`))]
    for (const role of roles) {
      const ok = runs.filter((r) => `${r.role} ${r.build}` === role && r.result !== undefined)
      if (ok.length < 2) continue
      const med = medianOf(ok.map((r) => r.result!))
      const passed = ok.filter((r) => verdict(r.result!) === 'pass' || verdict(r.result!) === 'ok').length
      measured('', `**${role}, median of ${ok.length}**`, '', '', med, `${passed} of ${ok.length} passed`)
    }
  }
  return lines.join('\n')
}
