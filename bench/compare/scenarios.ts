/**
 * The headline scenarios of `npm run bench:compare` (issue 29's goals), each a `bench/run.ts`
 * command line. `quick` replaces arguments of `argv` under --quick: smaller seeds for the
 * scenarios that take minutes to seed, said so in the table's label.
 */
/** One latency the table shows: dotted paths into bench/run.ts's JSON result. */
export interface Latency { name: string, p50: string, p99: string, max: string }

const ACK: Latency = { name: 'ack', p50: 'ackP50Ms', p99: 'ackP99Ms', max: 'ackMaxMs' }
const DELIVERY: Latency = { name: 'delivery', p50: 'deliveryP50Ms', p99: 'deliveryP99Ms', max: 'deliveryMaxMs' }

export interface Headline {
  name: string
  /** The latencies of its cells, "a / b" in this order. */
  latencies: Latency[]
  /** What the table calls it ({rate}: the run's --rate); `quickLabel` under --quick. */
  label: string
  quickLabel?: string
  /** bench/run.ts arguments (the scenario first). */
  argv: string[]
  quick?: string[]
  /** Runs the bare Socket.IO relay once with the first run (--baseline) for the CPU-per-message ratio. */
  baseline?: boolean
}

export const HEADLINES: Headline[] = [
  {
    name: 'pg-1to1',
    latencies: [ACK, DELIVERY],
    label: 'one-to-one, PostgreSQL, {rate} msg/s, 100 users (50 pairs)',
    argv: ['one-to-one', '--db', 'postgres', '--rate', '2000', '--users', '100'],
    baseline: true
  },
  {
    name: 'pglite-1to1',
    latencies: [ACK, DELIVERY],
    label: 'one-to-one, PGlite, {rate} msg/s, 100 users',
    argv: ['one-to-one', '--db', 'pglite', '--rate', '1000', '--users', '100']
  },
  {
    name: 'reactions',
    latencies: [ACK],
    label: 'reactions on one message, {rate}/s, 200 members',
    argv: ['reactions', '--rate', '2000', '--users', '200']
  },
  {
    name: 'channel',
    latencies: [DELIVERY, { name: 'join', p50: 'join.p50Ms', p99: 'join.p99Ms', max: 'join.maxMs' }],
    label: 'channel of 5,000 members, {rate} msg/s (join: 200 joins one at a time)',
    quickLabel: 'channel of 1,000 members (--quick; the goal is for 5,000), {rate} msg/s (join: 200 joins one at a time)',
    argv: ['channel', '--users', '5000', '--rate', '20'],
    quick: ['--users', '1000']
  },
  {
    name: 'history',
    latencies: [{ name: 'page', p50: 'pageP50Ms', p99: 'pageP99Ms', max: 'pageMaxMs' }],
    label: 'history pages at 1,000,000 messages, {rate} req/s',
    quickLabel: 'history pages at 100,000 messages (--quick; the goal is for 1M), {rate} req/s',
    argv: ['history', '--messages', '1000000', '--rate', '100'],
    quick: ['--messages', '100000']
  }
]

/** `argv` with each `--flag value` of `overrides` replaced (or appended when absent). */
export function withOverrides (argv: string[], overrides: string[]): string[] {
  const out = [...argv]
  for (let i = 0; i < overrides.length; i += 2) {
    const flag = overrides[i]!
    const value = overrides[i + 1]!
    const at = out.indexOf(flag)
    if (at >= 0) out[at + 1] = value
    else out.push(flag, value)
  }
  return out
}

export interface PlannedScenario { headline: Headline, label: string, argv: string[] }

/** The bench/run.ts arguments of each chosen scenario under the compare options. */
export function planScenarios (names: string[], opts: { quick: boolean, durationS: number, rate?: number }): PlannedScenario[] {
  return names.map((name) => {
    const headline = HEADLINES.find((h) => h.name === name)
    if (headline === undefined) throw new Error(`unknown scenario ${name}; headline scenarios: ${HEADLINES.map((h) => h.name).join(', ')}`)
    let argv = opts.quick && headline.quick !== undefined ? withOverrides(headline.argv, headline.quick) : headline.argv
    argv = withOverrides(argv, ['--duration', String(opts.durationS), ...(opts.rate !== undefined ? ['--rate', String(opts.rate)] : [])])
    const rate = Number(argv[argv.indexOf('--rate') + 1]).toLocaleString('en-US')
    const label = (opts.quick ? headline.quickLabel ?? headline.label : headline.label).replace('{rate}', rate)
    return { headline, label, argv }
  })
}
