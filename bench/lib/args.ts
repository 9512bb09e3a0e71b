import { parseArgs } from 'node:util'
import type { DbKind } from './database.js'
import type { ContentKind } from './chat-text.js'

export const SCENARIOS = ['one-to-one', 'group', 'connections', 'reconnect-storm', 'history', 'reactions', 'search', 'channel', 'push', 'webhook'] as const
export type Scenario = typeof SCENARIOS[number]

export interface Args {
  scenario: Scenario
  db: DbKind
  /** Messages (or requests) per second, over all workers. */
  rate: number
  durationS: number
  users: number
  json: boolean
  baseline: boolean
  findMax: boolean
  workers: number
  runs: number
  groupSize: number
  warmupS: number
  drainS: number
  build: boolean
  keepDb: boolean
  messages: number
  limit: number
  outageMsgs: number
  restart: 'term' | 'kill'
  concurrency: number
  maxP99Ms: number
  step: number
  cpuProf: boolean
  /** Scheduling priority (nice) of the server, relay and generators; 0 = unchanged. */
  nice: number
  env: Record<string, string>
  /** SQL run on the database after seeding, before the server starts (experiments on indexes). */
  sql: string[]
  /** one-to-one/group: GET /metrics every this many seconds during the measured run (0 = off). */
  scrapeMetricsS: number
  /** one-to-one/group: earlier messages seeded in every conversation before the run (then ANALYZE). */
  historyPerConversation: number
  /** The generator's Socket.IO client (bench/lib/raw-socket.ts or socket.io-client). */
  client: 'raw' | 'socket.io'
  /** one-to-one/group: also run the load against bench/echo.ts (the generator's own ceiling). */
  ceiling: boolean
  /**
   * one-to-one/group: 0 = one server as always; N >= 1 = N server processes on one PostgreSQL
   * database and a private redis-server (REDIS_URL), the members of each conversation spread
   * over different nodes.
   */
  nodes: number
  /** --nodes: this many more server processes in the cluster with no users (what a node pays for the others' traffic). */
  idleNodes: number
  /** Message text: realistic (seeded chat-like text, the default) or fixed (one sentence: the control). */
  content: ContentKind
  /** Seed of the realistic text (the same seed sends the same messages). */
  seed: number
  /** one-to-one/group: sample the server and database every 100 ms and name what each slow window had (bench/lib/timeline.ts). */
  timeline: boolean
}

const DEFAULTS: Record<Scenario, { rate: number, durationS: number, users: number }> = {
  'one-to-one': { rate: 1000, durationS: 20, users: 1000 },
  group: { rate: 50, durationS: 20, users: 1000 },
  connections: { rate: 0, durationS: 10, users: 10_000 },
  'reconnect-storm': { rate: 0, durationS: 0, users: 5000 },
  history: { rate: 100, durationS: 20, users: 2 },
  reactions: { rate: 1000, durationS: 10, users: 200 },
  search: { rate: 200, durationS: 0, users: 1 },
  channel: { rate: 20, durationS: 20, users: 5000 },
  push: { rate: 2000, durationS: 20, users: 200 },
  webhook: { rate: 500, durationS: 20, users: 50 }
}

export const USAGE = `usage: npm run bench -- <${SCENARIOS.join('|')}> [options]
  --rate N          messages/s over all senders (history: requests/s; reactions: reactions/s; search: requests per term, one at a time)
  --duration S      measured seconds per run (one-to-one/group/history); connections: idle seconds
  --users N         users online (connections: sockets; reconnect-storm: clients; reactions: group members; channel: channel members)
  --db pglite|postgres    store (default postgres)
  --json            print one JSON object on stdout
  --baseline        also run the bare Socket.IO relay (bench/relay.ts) with the same load; report ratios
  --find-max        one-to-one/group: raise --rate by --step until p99 delivery > --max-p99 or any loss
  --runs N          repeat the scenario N times (fresh database and server each), report medians
  --workers N       load-generator processes (default 2)
  --group-size N    group members (default 50)
  --warmup S, --drain S, --concurrency N (connects in flight per worker), --step F, --max-p99 MS
  --messages N      history, search: messages seeded (default 1,000,000)   --limit N  history page size (50)
  --outage-msgs N   reconnect-storm: messages each client sends while the server is down (1)
  --restart term|kill     reconnect-storm: graceful SIGTERM (default) or SIGKILL
  --cpu-prof        run the server with node --cpu-prof (profile written to the run directory)
  --nice=N          run server, relay and generators under nice -n N (e.g. --nice=-10 on a shared machine)
  --env K=V         extra server environment (repeatable), e.g. --env DB_POOL_MAX=20
  --sql STATEMENT   run on the database after seeding, before the server starts (repeatable),
                    e.g. --sql "ALTER INDEX messages_search_trgm_idx SET (fastupdate = off)"
  --history N       one-to-one/group: N earlier messages seeded in every conversation, then
                    ANALYZE (default 100; 0 = an empty messages table, as before 2026-12-01)
  --client raw|socket.io  generator's client: raw frames over ws (default, cheap) or socket.io-client
  --ceiling         one-to-one/group: also run the load against bench/echo.ts, a bare ws echo
                    (the generator's own ceiling; with --find-max its maximum rate)
  --scrape-metrics S      one-to-one/group: scrape GET /metrics every S seconds while measuring
  --nodes N         one-to-one/group (postgres): N server processes on one database and a private
                    redis-server started for the run; the two members of every pair (every group's
                    members) are put on different nodes, so every delivery crosses nodes. Reports
                    per-node CPU and RSS, Redis CPU and bytes in/out per message. Choose the adapter
                    with --env REDIS_ADAPTER=classic|sharded
  --idle-nodes K    with --nodes: K more nodes that hold no users; their CPU per message is what a
                    node pays for traffic that is not its users'
  --content realistic|fixed  message text: seeded chat-like text (Zipf vocabulary, English and
                    Chinese, numbers, names, URLs; the default) or one fixed sentence (the control)
  --seed N          seed of the realistic text (default 1)
  --timeline        one-to-one/group: every 100 ms, the server's event-loop delay, GC, queue depth and
                    search merges (from /metrics) and PostgreSQL's active statements, waits,
                    checkpoints and GIN pending pages, lined up with the deliveries due in each
                    100 ms; prints the suspects of the slow windows (JSON in the run directory)
  push              (postgres) --users/2 pairs; each sender online, its partner subscribed to a
                    local push service (VAPID checked, payload decrypted) in the sending worker;
                    runs --rate with every recipient offline (pushed), then on the same server
                    with every recipient online; reports push latency from due time, lost/dup,
                    the push queue's depth every 1 s, send ack p99 against the online run's
  webhook           (postgres) groups of --group-size people plus a bot with a signed webhook
                    receiver in the sending worker (--users 50: one group); runs --rate with the
                    webhook set, then unset; delivery latency, lost/dup, cursor lag every 1 s
  --no-build        do not rebuild a stale dist   --keep-db   keep the database`

export function parse (argv: string[]): Args {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      rate: { type: 'string' },
      duration: { type: 'string' },
      users: { type: 'string' },
      connections: { type: 'string' },
      db: { type: 'string', default: 'postgres' },
      json: { type: 'boolean', default: false },
      baseline: { type: 'boolean', default: false },
      'find-max': { type: 'boolean', default: false },
      workers: { type: 'string', default: '2' },
      runs: { type: 'string', default: '1' },
      'group-size': { type: 'string', default: '50' },
      warmup: { type: 'string', default: '3' },
      drain: { type: 'string', default: '10' },
      'no-build': { type: 'boolean', default: false },
      'keep-db': { type: 'boolean', default: false },
      messages: { type: 'string', default: '1000000' },
      limit: { type: 'string', default: '50' },
      'outage-msgs': { type: 'string', default: '1' },
      restart: { type: 'string', default: 'term' },
      concurrency: { type: 'string', default: '200' },
      'max-p99': { type: 'string', default: '100' },
      step: { type: 'string', default: '1.25' },
      'cpu-prof': { type: 'boolean', default: false },
      nice: { type: 'string', default: '0' },
      env: { type: 'string', multiple: true, default: [] },
      sql: { type: 'string', multiple: true, default: [] },
      'scrape-metrics': { type: 'string', default: '0' },
      history: { type: 'string', default: '100' },
      client: { type: 'string', default: 'raw' },
      ceiling: { type: 'boolean', default: false },
      nodes: { type: 'string', default: '0' },
      'idle-nodes': { type: 'string', default: '0' },
      content: { type: 'string', default: 'realistic' },
      seed: { type: 'string', default: '1' },
      timeline: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false }
    }
  })
  const scenario = positionals[0] as Scenario
  if (values.help || !SCENARIOS.includes(scenario)) throw new Error(USAGE)
  const num = (v: string | undefined, name: string, fallback: number): number => {
    if (v === undefined) return fallback
    const n = Number(v)
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number ≥ 0\n${USAGE}`)
    return n
  }
  const d = DEFAULTS[scenario]
  const nodes = (n: number): number => {
    if (n === 0) return 0
    if (scenario !== 'one-to-one' && scenario !== 'group') throw new Error(`--nodes is for one-to-one and group\n${USAGE}`)
    if (values.db !== 'postgres') throw new Error(`--nodes needs --db postgres\n${USAGE}`)
    if (values.baseline === true || values['find-max'] === true) throw new Error(`--nodes does not combine with --baseline or --find-max\n${USAGE}`)
    return n
  }
  if (values.db !== 'postgres' && values.db !== 'pglite') throw new Error(`--db must be pglite or postgres\n${USAGE}`)
  if (values.client !== 'raw' && values.client !== 'socket.io') throw new Error(`--client must be raw or socket.io\n${USAGE}`)
  if (values.content !== 'realistic' && values.content !== 'fixed') throw new Error(`--content must be realistic or fixed\n${USAGE}`)
  if (values.restart !== 'term' && values.restart !== 'kill') throw new Error(`--restart must be term or kill\n${USAGE}`)
  const env: Record<string, string> = {}
  for (const kv of values.env) {
    const at = kv.indexOf('=')
    if (at < 1) throw new Error(`--env wants KEY=VALUE, got ${kv}`)
    env[kv.slice(0, at)] = kv.slice(at + 1)
  }
  return {
    scenario,
    db: values.db,
    rate: num(values.rate, 'rate', d.rate),
    durationS: num(values.duration, 'duration', d.durationS),
    users: Math.floor(num(values.users ?? values.connections, 'users', d.users)),
    json: values.json,
    baseline: values.baseline,
    findMax: values['find-max'],
    workers: Math.max(1, Math.floor(num(values.workers, 'workers', 2))),
    runs: Math.max(1, Math.floor(num(values.runs, 'runs', 1))),
    groupSize: Math.max(2, Math.floor(num(values['group-size'], 'group-size', 50))),
    warmupS: num(values.warmup, 'warmup', 3),
    drainS: num(values.drain, 'drain', 10),
    build: !values['no-build'],
    keepDb: values['keep-db'],
    messages: Math.floor(num(values.messages, 'messages', 1_000_000)),
    limit: Math.max(1, Math.floor(num(values.limit, 'limit', 50))),
    outageMsgs: Math.floor(num(values['outage-msgs'], 'outage-msgs', 1)),
    restart: values.restart,
    concurrency: Math.max(1, Math.floor(num(values.concurrency, 'concurrency', 200))),
    maxP99Ms: num(values['max-p99'], 'max-p99', 100),
    step: Math.max(1.01, num(values.step, 'step', 1.25)),
    cpuProf: values['cpu-prof'],
    nice: Math.trunc(Number(values.nice)) || 0,
    env,
    sql: values.sql,
    scrapeMetricsS: num(values['scrape-metrics'], 'scrape-metrics', 0),
    historyPerConversation: Math.floor(num(values.history, 'history', 100)),
    client: values.client,
    ceiling: values.ceiling,
    nodes: nodes(Math.floor(num(values.nodes, 'nodes', 0))),
    idleNodes: Math.floor(num(values['idle-nodes'], 'idle-nodes', 0)),
    content: values.content,
    seed: Math.floor(num(values.seed, 'seed', 1)),
    timeline: values.timeline
  }
}
