// suite: default only — pure logic of bench:compare (table, markers, options, linked node_modules): no database
/**
 * `npm run bench:compare` without running a benchmark: the table it prints from bench/run.ts
 * results (failed runs as rows, the relay once, medians), the BENCHMARKS.md section between
 * the markers, the options and scenario plans, and the node_modules a cached checkout gets
 * (its own SDK, not this checkout's). A real comparison is documented in BENCHMARKS.md.
 */
import t from 'tap'
import { mkdirSync, mkdtempSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseCompare } from '../../bench/compare/args.js'
import { linkNodeModules } from '../../bench/compare/checkout.js'
import { BEGIN, END, replaceBetweenMarkers } from '../../bench/compare/markers.js'
import { commandLine, formatReport } from '../../bench/compare/report.js'
import type { RunRecord } from '../../bench/compare/runner.js'
import { planScenarios, withOverrides } from '../../bench/compare/scenarios.js'
import { fmt, formatTable } from '../../bench/compare/table.js'

const messaging = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  scenario: 'one-to-one',
  sent: 40_000,
  acked: 40_000,
  delivered: 40_000,
  lost: 0,
  duplicates: 0,
  throughput: 2000,
  ackP50Ms: 1.31,
  ackP99Ms: 12.5,
  deliveryP50Ms: 1.42,
  deliveryP99Ms: 13.25,
  deliveryMaxMs: 88.1,
  serverCpuPct: 35.2,
  dbCpuPct: 20.1,
  serverCpuMsPerMsg: 0.18,
  dbCpuMsPerMsg: 0.1,
  serverRssMb: 210.4,
  pass: true,
  ...over
})

const record = (role: string, round: number, result?: Record<string, unknown>, error?: string): RunRecord => ({
  scenario: 'pg-1to1',
  build: role === 'before' ? 'aaaaaaa' : 'bbbbbbb',
  role,
  round,
  startedAt: `2026-12-06T14:0${round}:00.000Z`,
  load1Start: 1.5,
  load1End: 2.25,
  ...(result !== undefined ? { result } : {}),
  ...(error !== undefined ? { error } : {})
})

t.test('table: a row per run in run order, the relay once with the CPU ratio, medians per build, failures as rows', async (t) => {
  const scenarios = planScenarios(['pg-1to1'], { quick: false, durationS: 20 })
  const relay = messaging({ target: 'relay', serverCpuMsPerMsg: 0.06, dbCpuMsPerMsg: null, dbCpuPct: null, serverCpuPct: 12 })
  const records = [
    record('before', 1, { ...messaging(), baseline: relay }),
    record('after', 1, messaging({ deliveryP99Ms: 9.5, serverCpuMsPerMsg: 0.12 })),
    record('before', 2, messaging({ deliveryP99Ms: 20.25 })),
    record('after', 2, undefined, 'exit 1: bench failed: server exited (1) during start | see log')
  ]
  const table = formatTable({ scenarios, records })
  const lines = table.split('\n')
  t.match(lines[0], /^\| scenario \| build \| run \(UTC\) \| 1-min load start → end \| p50 ms \| p99 ms \| max ms \|/)
  const rows = lines.slice(2)
  t.equal(rows.length, 6, '4 runs, the relay, one median (the after build has one success)')
  t.match(rows[0], /\*\*one-to-one, PostgreSQL, 2,000 msg\/s, 100 users \(50 pairs\) \(ack \/ delivery\)\*\*/)
  t.match(rows[0], /before aaaaaaa #1 \| 14:01 \| 1.50 → 2.25 \| 1.31 \/ 1.42 \| 12.5 \/ 13.3 \| – \/ 88.1 \| 2,000 \| 35.2 \+ 20.1 db \| 0.18 \+ 0.10 db \(3.0× relay\) \| 210 \| 0 \/ 0 \| pass \|$/)
  t.match(rows[1], /^\|  \| bare Socket.IO relay \(same load\) \|/)
  t.match(rows[1], /\| 12 \| 0.06 \| 210 \|/, 'the relay row: its own CPU, no ratio to itself')
  t.match(rows[2], /after bbbbbbb #1 .*\| 0.12 \+ 0.10 db \(2.0× relay\) \|/)
  t.match(rows[4], /after bbbbbbb #2 \| 14:02 \|.*\| failed: exit 1: bench failed: server exited \(1\) during start \\\| see log \|$/, 'the error in its row, its pipe escaped')
  t.match(rows[5], /\*\*before aaaaaaa, median of 2\*\* .*\| 12.5 \/ 16.8 \| /, 'median of the two before p99s (13.25, 20.25)')
  t.match(rows[5], /2 of 2 passed \|$/)
  t.equal(table.split('\n').every((l) => l.split(/(?<!\\)\|/).length === 15), true, 'every row has the 13 columns')
})

t.test('table: FAIL says why; reactions show whether the counts match; a scenario with no runs says so', async (t) => {
  const scenarios = planScenarios(['pg-1to1', 'reactions', 'history'], { quick: true, durationS: 5 })
  const records: RunRecord[] = [
    record('before', 1, messaging({ lost: 3, pass: false })),
    record('after', 1, messaging({ deliveryP99Ms: 150, pass: false })),
    { ...record('before', 1, { acked: 100, sent: 100, ackP50Ms: 2, ackP99Ms: 80, ackMaxMs: 120, countsMatch: false, reactionsStored: 98, reactionsExpected: 100 }), scenario: 'reactions' }
  ]
  const table = formatTable({ scenarios, records })
  t.match(table, /FAIL \(lost\)/)
  t.match(table, /FAIL \(p99 over --max-p99\)/)
  t.match(table, /counts ≠ acks \(98 stored, 100 acked\) \| FAIL \(counts\)/)
  t.match(table, /\*\*history pages at 100,000 messages \(--quick; the goal is for 1M\), 100 req\/s \(page\)\*\* \| – \| – \| – \|.*not run/)
})

t.test('fmt: integers with separators, two significant decimals below 10', async (t) => {
  t.equal(fmt(undefined), '–')
  t.equal(fmt(0), '0')
  t.equal(fmt(12_345), '12,345')
  t.equal(fmt(0.1234), '0.12')
  t.equal(fmt(42.06), '42.1')
  t.equal(fmt(123.6), '124')
})

t.test('markers: the section between them is replaced, the rest kept; absent markers go after the title', async (t) => {
  const doc = `# Benchmarks\n\nintro\n\n${BEGIN}\nold table\n${END}\n\n## Older\nkept\n`
  const out = replaceBetweenMarkers(doc, 'new table\n')
  t.equal(out, `# Benchmarks\n\nintro\n\n${BEGIN}\nnew table\n${END}\n\n## Older\nkept\n`)
  t.equal(replaceBetweenMarkers(out, 'new table'), out, 'idempotent')
  t.equal(replaceBetweenMarkers('# B\nrest\n', 'x'), `# B\n\n${BEGIN}\nx\n${END}\nrest\n`)
  t.throws(() => replaceBetweenMarkers(`${END}\n${BEGIN}\n`, 'x'), /expected one/)
  t.throws(() => replaceBetweenMarkers(`${BEGIN}\n${BEGIN}\n${END}\n`, 'x'), /expected one/)
  t.throws(() => replaceBetweenMarkers(`${BEGIN}\nno end\n`, 'x'), /expected one/)
})

t.test('report: commits, date, machine, load and the exact command', async (t) => {
  const report = formatReport({
    before: { role: 'before', commit: 'a'.repeat(40), label: 'aaaaaaa', root: '/cache/a' },
    after: { role: 'after', commit: 'b'.repeat(40), label: 'bbbbbbb + changes (worktree)', root: undefined },
    startedAt: '2026-12-06T14:00:00.000Z',
    endedAt: '2026-12-06T14:20:00.000Z',
    nproc: 2,
    loadStart: [0.5, 0.4, 0.3],
    loadEnd: [2, 1.5, 1],
    command: commandLine(['HEAD~1', '--scenarios', 'pg-1to1,pglite-1to1', '--out', "it's here"]),
    rounds: 2,
    outDir: '/tmp/out',
    table: '| t |'
  })
  t.match(report, /^## Before and after \(bench:compare\), 2026-12-06: aaaaaaa → bbbbbbb \+ changes \(worktree\)/)
  t.match(report, /Before: `a{40}`; after: `b{40}` \(the working checkout, with uncommitted changes\)/)
  t.match(report, /14:00–14:20 UTC on 2 cores; load average \(1\/5\/15 min\) 0.50 0.40 0.30 at the start, 2.00 1.50 1.00 at the end/)
  t.match(report, /\n {4}npm run bench:compare -- HEAD~1 --scenarios pg-1to1,pglite-1to1 --out 'it'\\''s here'\n/)
  t.match(report, /\n\| t \|\n$/)
})

t.test('scenario plans: --duration and --rate override, --quick shrinks the slow seeds', async (t) => {
  t.same(withOverrides(['x', '--rate', '5'], ['--rate', '7', '--duration', '3']), ['x', '--rate', '7', '--duration', '3'])
  const [pg, channel, history] = planScenarios(['pg-1to1', 'channel', 'history'], { quick: true, durationS: 3, rate: 200 })
  t.same(pg!.argv, ['one-to-one', '--db', 'postgres', '--rate', '200', '--users', '100', '--duration', '3'])
  t.match(pg!.label, /200 msg\/s/)
  t.same(channel!.argv, ['channel', '--users', '1000', '--rate', '200', '--duration', '3'])
  t.same(history!.argv, ['history', '--messages', '100000', '--rate', '200', '--duration', '3'])
  t.same(planScenarios(['channel'], { quick: false, durationS: 20 })[0]!.argv, ['channel', '--users', '5000', '--rate', '20', '--duration', '20'])
  t.throws(() => planScenarios(['nope'], { quick: false, durationS: 1 }), /unknown scenario nope/)
})

t.test('options: defaults, --worktree, bad input refused with the usage', async (t) => {
  const a = parseCompare(['v1'])
  t.equal(a.before, 'v1')
  t.equal(a.after, undefined)
  t.equal(a.rounds, 2)
  t.equal(a.durationS, 20)
  t.equal(a.baseline, true)
  t.equal(a.scenarios.length, 5)
  t.equal(parseCompare(['v1', '--worktree']).after, undefined)
  t.equal(parseCompare(['v1', 'v2', '--no-baseline']).baseline, false)
  t.throws(() => parseCompare([]), /usage: npm run bench:compare/)
  t.throws(() => parseCompare(['v1', 'v2', '--worktree']), /not both/)
  t.throws(() => parseCompare(['v1', '--rounds', '0']), /--rounds must be a number > 0/)
  t.throws(() => parseCompare(['v1', '--scenarios', 'pg-1to1,evil']), /unknown scenario evil/)
  t.throws(() => parseCompare(['v1', '--bogus']), /Unknown option/)
})

t.test('linked node_modules: every package links to this checkout, the workspace packages to the checkout\'s own', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'compare-link-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const source = join(dir, 'here', 'node_modules')
  mkdirSync(join(source, 'fastify'), { recursive: true })
  mkdirSync(join(source, '@relay-im'), { recursive: true })
  mkdirSync(join(dir, 'here', 'packages', 'client'), { recursive: true })
  const checkout = join(dir, 'cached')
  mkdirSync(join(checkout, 'packages', 'client'), { recursive: true })
  writeFileSync(join(checkout, 'packages', 'client', 'package.json'), JSON.stringify({ name: '@relay-im/client' }))
  mkdirSync(join(checkout, 'packages', 'nopkg'), { recursive: true })
  linkNodeModules(source, join(checkout, 'node_modules'))
  t.equal(readlinkSync(join(checkout, 'node_modules', 'fastify')), join(source, 'fastify'))
  t.equal(realpathSync(join(checkout, 'node_modules', '@relay-im', 'client')), realpathSync(join(checkout, 'packages', 'client')))
})
