/**
 * npm run bench:compare -- <before-rev> [<after-rev>|--worktree] [options]   (see compare/args.ts)
 * Runs the headline scenarios against two builds in one session, alternating between them, and
 * prints the before/after table (with --update-benchmarks, also into BENCHMARKS.md's top).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { parseCompare, type CompareArgs } from './compare/args.js'
import { buildWorktree, prepareCheckout, worktreeBuild, type Build } from './compare/checkout.js'
import { replaceBetweenMarkers } from './compare/markers.js'
import { commandLine, formatReport } from './compare/report.js'
import { runOnce, stopCurrentRun, type RunRecord } from './compare/runner.js'
import { planScenarios, type PlannedScenario } from './compare/scenarios.js'
import { formatTable } from './compare/table.js'
import { log } from './lib/log.js'

const ROOT = resolve(import.meta.dirname, '..')
const loads = (): number[] => loadavg().map((v) => Math.round(v * 100) / 100)

interface Session {
  args: CompareArgs
  before: Build
  after: Build
  scenarios: PlannedScenario[]
  records: RunRecord[]
  /** The run going on, reported as interrupted on Ctrl-C. */
  inProgress?: RunRecord
  outDir: string
  startedAt: string
  loadStart: number[]
}

function finish (s: Session): string {
  const report = formatReport({
    before: s.before,
    after: s.after,
    startedAt: s.startedAt,
    endedAt: new Date().toISOString(),
    nproc: availableParallelism(),
    loadStart: s.loadStart,
    loadEnd: loads(),
    command: commandLine(process.argv.slice(2)),
    rounds: s.args.rounds,
    outDir: s.outDir,
    table: formatTable({ scenarios: s.scenarios, records: s.records })
  })
  writeFileSync(join(s.outDir, 'report.md'), report)
  process.stdout.write(report)
  if (s.args.updateBenchmarks) {
    const file = join(ROOT, 'BENCHMARKS.md')
    writeFileSync(file, replaceBetweenMarkers(readFileSync(file, 'utf8'), report))
    log(`BENCHMARKS.md updated between the bench:compare markers`)
  }
  return report
}

async function main (): Promise<number> {
  let args: CompareArgs
  let scenarios: PlannedScenario[]
  try {
    args = parseCompare(process.argv.slice(2))
    scenarios = planScenarios(args.scenarios, { quick: args.quick, durationS: args.durationS, rate: args.rate })
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`)
    return 2
  }
  const outDir = resolve(args.outDir ?? join(args.cacheDir, 'runs', new Date().toISOString().replace(/[:.]/g, '-')))
  mkdirSync(outDir, { recursive: true })
  mkdirSync(args.cacheDir, { recursive: true })
  log(`raw results in ${outDir}`)
  const before = prepareCheckout(ROOT, args.cacheDir, 'before', args.before)
  const after = args.after !== undefined ? prepareCheckout(ROOT, args.cacheDir, 'after', args.after) : buildWorktree(ROOT, worktreeBuild(ROOT))
  // The session's time and load are the runs', not the builds' before them.
  const session: Session = { args, before, after, scenarios, records: [], outDir, startedAt: new Date().toISOString(), loadStart: loads() }

  let interrupted = false
  // `on`, not `once`: under `npm run` a Ctrl-C arrives twice (the terminal's to the process
  // group, and tsx forwarding it); the second must not end this process before the table.
  process.on('SIGINT', () => {
    if (interrupted) return
    interrupted = true
    log('Ctrl-C: stopping the run in progress (its servers and database), then the table so far')
    void stopCurrentRun().finally(() => {
      if (session.inProgress !== undefined) session.records.push({ ...session.inProgress, load1End: loads()[0]!, error: 'interrupted (Ctrl-C)' })
      finish(session)
      process.exit(130)
    })
  })

  for (const s of scenarios) {
    let baselineDone = !args.baseline || s.headline.baseline !== true
    for (let round = 1; round <= args.rounds; round++) {
      for (const build of [before, after]) {
        if (interrupted) return 130
        const withBaseline = !baselineDone && build.error === undefined
        const argv = [...s.argv, '--no-build', ...(withBaseline ? ['--baseline'] : [])]
        const name = `${s.headline.name}-${build.role}-${round}`
        log(`== ${name}: ${build.label}${build.root !== undefined ? ` (BENCH_SERVER_ROOT=${build.root})` : ''}: bench/run.ts ${argv.join(' ')}`)
        const record = { scenario: s.headline.name, build: build.label, role: build.role, round }
        session.inProgress = { ...record, startedAt: new Date().toISOString(), load1Start: loads()[0]!, load1End: 0 }
        const run = await runOnce(ROOT, build, argv, name, outDir)
        if (interrupted) return 130
        session.inProgress = undefined
        if (withBaseline && run.result?.baseline !== undefined) baselineDone = true
        session.records.push({ ...record, ...run })
      }
    }
  }
  finish(session)
  return session.records.some((r) => r.result === undefined) ? 1 : 0
}

main().then((code) => {
  if (code !== 130) process.exit(code)
}, (err: unknown) => {
  process.stderr.write(`bench:compare failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
