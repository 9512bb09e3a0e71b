/**
 * Prints the BENCHMARKS.md tables from the JSON lines of `bench/run-all.sh`: every run, then
 * the median of the runs.  npx tsx bench/summarize.ts [results-dir=bench/results]
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

type Row = Record<string, any>
const dir = process.argv[2] ?? 'bench/results'

const cache = new Map<string, Row[]>()
function load (name: string): Row[] {
  const file = join(dir, `${name}.jsonl`)
  if (!cache.has(name)) {
    const rows = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Row) : []
    for (const r of rows) r.load1 = (r.loadAvg as number[] | undefined)?.[0]
    cache.set(name, rows)
  }
  return cache.get(name)!
}

const get = (r: Row | undefined, path: string): unknown => path.split('.').reduce<any>((o, k) => o?.[k], r)

function median (values: unknown[]): number | undefined {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b)
  if (xs.length === 0) return undefined
  const mid = Math.floor(xs.length / 2)
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1]! + xs[mid]!) / 2
}

const fmt = (v: unknown): string => {
  if (v === undefined || v === null) return '–'
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(2)
  if (typeof v === 'object') return Object.keys(v).length === 0 ? '0' : JSON.stringify(v)
  return String(v)
}

/** One table: a row per run and a median row, for the given columns (header, path). */
function table (title: string, rows: Row[], columns: Array<[string, string]>): void {
  if (rows.length === 0) return
  console.log(`\n#### ${title} (${rows.length} run${rows.length === 1 ? '' : 's'})\n`)
  console.log(`| run | ${columns.map(([h]) => h).join(' | ')} |`)
  console.log(`|---|${columns.map(() => '---').join('|')}|`)
  rows.forEach((r, i) => { console.log(`| ${i + 1} | ${columns.map(([, p]) => fmt(get(r, p))).join(' | ')} |`) })
  console.log(`| **median** | ${columns.map(([, p]) => { const m = median(rows.map((r) => get(r, p))); return m === undefined ? '' : `**${fmt(m)}**` }).join(' | ')} |`)
}

table('one-to-one, find-max (ours and the relay in the same run)', load('one-to-one-max'), [
  ['load 1m', 'load1'], ['ours max msg/s', 'maxRate'], ['relay max msg/s', 'baseline.maxRate'], ['ratio', 'ratio.maxRate'],
  ['ours p99 delivery at max ms', 'deliveryP99Ms'], ['relay p99 at its max ms', 'baseline.deliveryP99Ms'],
  ['server CPU ms/msg', 'serverCpuMsPerMsg'], ['db CPU ms/msg', 'dbCpuMsPerMsg'], ['server CPU %', 'serverCpuPct'], ['db CPU %', 'dbCpuPct'], ['gen CPU %', 'generatorCpuPct']
])
const steady: Array<[string, string]> = [
  ['load 1m', 'load1'], ['sent', 'sent'], ['lost', 'lost'], ['dup', 'duplicates'], ['errors', 'ackErrors'], ['throughput /s', 'throughput'],
  ['ack p50 ms', 'ackP50Ms'], ['ack p99 ms', 'ackP99Ms'], ['delivery p50 ms', 'deliveryP50Ms'], ['delivery p99 ms', 'deliveryP99Ms'],
  ['server CPU %', 'serverCpuPct'], ['db CPU %', 'dbCpuPct'], ['server RSS MB', 'serverRssMb'], ['gen CPU %', 'generatorCpuPct']
]
table('one-to-one at 2,000 msg/s', load('one-to-one-2000'), steady)
table('group (20 groups of 50)', load('group'), [...steady, ['relay delivery p50 ms', 'baseline.deliveryP50Ms'], ['relay delivery p99 ms', 'baseline.deliveryP99Ms']])
table('connections (10,000 idle authenticated sockets)', load('connections'), [
  ['load 1m', 'load1'], ['connected', 'connected'], ['connects/s', 'connectPerS'], ['connect p50 ms', 'connectP50Ms'], ['connect p99 ms', 'connectP99Ms'],
  ['RSS before MB', 'serverRssBeforeMb'], ['RSS peak MB', 'serverRssPeakMb'], ['MB per 1,000', 'rssPer1000Mb'], ['idle CPU %', 'idleServerCpuPct'],
  ['relay connects/s', 'baseline.connectPerS'], ['relay MB per 1,000', 'baseline.rssPer1000Mb']
])
const storm: Array<[string, string]> = [
  ['load 1m', 'load1'], ['stop ms', 'stopMs'], ['start ms', 'serverStartMs'], ['online', 'online'], ['synced', 'synced'], ['outage msgs acked', 'acked'],
  ['delivered', 'delivered'], ['lost', 'lost'], ['dup', 'duplicates'], ['all online ms', 'reconnectAllMs'], ['all synced ms', 'syncedAllMs'],
  ['recovery ms (after ready)', 'recoveryMs'], ['from stop ms', 'recoveryFromStopMs'], ['send errors', 'sendErrors']
]
table('reconnect storm, SIGTERM restart (5,000 SDK clients)', load('reconnect-storm'), storm)
table('reconnect storm, SIGKILL restart (5,000 SDK clients)', load('reconnect-storm-kill'), storm)
table('history (1,000,000 messages, `before` pages of 50 at 100 req/s)', load('history'), [
  ['load 1m', 'load1'], ['pages ok', 'acked'], ['sent', 'sent'], ['errors', 'errors'], ['p50 ms', 'pageP50Ms'], ['p90 ms', 'pageP90Ms'], ['p99 ms', 'pageP99Ms'],
  ['server CPU %', 'serverCpuPct']
])
table('one-to-one on PGlite, find-max', load('one-to-one-pglite'), [
  ['load 1m', 'load1'], ['max msg/s', 'maxRate'], ['p99 delivery at max ms', 'deliveryP99Ms'], ['server CPU %', 'serverCpuPct'], ['server CPU ms/msg', 'serverCpuMsPerMsg'], ['server RSS MB', 'serverRssMb']
])
