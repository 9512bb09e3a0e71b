import { homedir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { HEADLINES } from './scenarios.js'

export interface CompareArgs {
  before: string
  /** A revision, or undefined for the working checkout as it is (uncommitted changes included). */
  after: string | undefined
  scenarios: string[]
  rounds: number
  durationS: number
  /** Overrides every scenario's rate (a quick check, not a headline figure). */
  rate: number | undefined
  quick: boolean
  baseline: boolean
  updateBenchmarks: boolean
  cacheDir: string
  /** Where each run's JSON and log go. */
  outDir: string | undefined
}

export const COMPARE_USAGE = `usage: npm run bench:compare -- <before-rev> [<after-rev>|--worktree] [options]
  Builds each revision in a cached checkout and runs the headline scenarios on both builds,
  alternating (before, after, before, after ...), then prints a markdown table.
  <after-rev>       default: this working checkout as it is (--worktree), uncommitted changes included
  --scenarios a,b   headline scenarios (default all): ${HEADLINES.map((h) => h.name).join(', ')}
  --rounds N        runs of each build per scenario (default 2)
  --duration S      measured seconds of each run (default 20)
  --rate N          every scenario at this rate instead of its own (a quick check)
  --quick           smaller seeds for channel (1,000 members) and history (100,000 messages); the table says so
  --no-baseline     skip the bare-relay run (by default once, with the first PostgreSQL one-to-one run)
  --update-benchmarks  rewrite BENCHMARKS.md between <!-- bench:compare:begin --> and <!-- bench:compare:end -->
  --out DIR         keep each run's JSON and log there (default: a new directory under the cache)
  --cache-dir DIR   checkouts of the revisions (default $BENCH_CACHE_DIR or ~/.cache/relay-im-bench)`

export function parseCompare (argv: string[]): CompareArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      worktree: { type: 'boolean', default: false },
      scenarios: { type: 'string' },
      rounds: { type: 'string', default: '2' },
      duration: { type: 'string', default: '20' },
      rate: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'no-baseline': { type: 'boolean', default: false },
      'update-benchmarks': { type: 'boolean', default: false },
      out: { type: 'string' },
      'cache-dir': { type: 'string' },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help || positionals.length < 1 || positionals.length > 2) throw new Error(COMPARE_USAGE)
  if (values.worktree && positionals.length === 2) throw new Error(`give an after-rev or --worktree, not both\n${COMPARE_USAGE}`)
  const positive = (v: string, name: string): number => {
    const n = Number(v)
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a number > 0\n${COMPARE_USAGE}`)
    return n
  }
  const scenarios = values.scenarios === undefined ? HEADLINES.map((h) => h.name) : values.scenarios.split(',').map((s) => s.trim()).filter((s) => s !== '')
  for (const s of scenarios) {
    if (!HEADLINES.some((h) => h.name === s)) throw new Error(`unknown scenario ${s}\n${COMPARE_USAGE}`)
  }
  return {
    before: positionals[0]!,
    after: positionals[1],
    scenarios,
    rounds: Math.floor(positive(values.rounds, 'rounds')),
    durationS: positive(values.duration, 'duration'),
    rate: values.rate === undefined ? undefined : positive(values.rate, 'rate'),
    quick: values.quick,
    baseline: !values['no-baseline'],
    updateBenchmarks: values['update-benchmarks'],
    cacheDir: values['cache-dir'] ?? process.env.BENCH_CACHE_DIR ?? join(homedir(), '.cache', 'relay-im-bench'),
    outDir: values.out
  }
}
