import { setTimeout as sleep } from 'node:timers/promises'
import type { Args } from '../lib/args.js'
import { Context, loadAverage } from '../lib/context.js'
import { seedConversationHistory, seedGroups, seedPairs, seedUsers } from '../lib/database.js'
import { Histogram, round2 } from '../lib/histogram.js'
import { directId, groupId, userId } from '../lib/ids.js'
import { log } from '../lib/log.js'
import { FIXED_CONTENT } from '../lib/chat-text.js'
import { mergeSeries, report, startTimeline } from '../lib/timeline.js'
import { join } from 'node:path'
import { memoryTimeline, rssGrowthAfter } from '../lib/memory-timeline.js'
import { Sampler, type Usage } from '../lib/proc.js'
import type { RedisTraffic } from '../lib/redis-server.js'
import type { BenchResult } from '../lib/result.js'
import type { ConnectResult, ConvSpec, LoadResult, UserSpec } from '../worker.js'

/** About what a chat line weighs; the same for server and relay. */

export interface Plan { convs: ConvSpec[], users: UserSpec[] }

/**
 * one-to-one: pairs (2k, 2k+1) in their direct conversations. group: groups of groupSize.
 * Each conversation lives wholly in one worker (round-robin), so the sender and every
 * recipient of a message share a clock. With --nodes N (`urls`), member j of conversation k
 * connects to node (k + j) mod N: the two members of a pair are always on different nodes
 * (every one-to-one delivery crosses nodes, the worst case), a group's members are spread
 * over all nodes, and each node holds 1/N of the users.
 */
function plan (ctx: Context, group: boolean, size: number, convCount: number, urls: string[] = []): Plan[] {
  const plans: Plan[] = Array.from({ length: ctx.args.workers }, () => ({ convs: [], users: [] }))
  for (let k = 0; k < convCount; k++) {
    const p = plans[k % plans.length]!
    const id = group ? groupId(k) : directId(k)
    const members: number[] = []
    for (let j = 0; j < size; j++) {
      const uid = userId(k * size + j)
      const url = urls.length > 0 ? urls[(k + j) % urls.length] : undefined
      members.push(p.users.push({ id: uid, token: ctx.token(uid), rooms: [id], ...(url !== undefined ? { url } : {}) }) - 1)
    }
    p.convs.push({ id, members })
  }
  return plans
}

export interface Measured extends BenchResult { rate: number, lost: number, pass: boolean }

/** Acked in every phase of a run (warm-up included), to compare with the rows stored. */
let ackedInRun = 0

/** GET /metrics every `everyS` seconds (the bench server has no METRICS_TOKEN), as Prometheus would. */
function scrapeMetrics (url: string, everyS: number): { stop: () => { ok: number, failed: number, bytes: number, p99Ms: number } } {
  const times = new Histogram()
  let ok = 0
  let failed = 0
  let bytes = 0
  const timer = setInterval(() => {
    const started = performance.now()
    fetch(`${url}/metrics`).then(async (res) => {
      const body = await res.text()
      if (res.status !== 200) { failed++; return }
      ok++
      bytes += body.length
      times.record(performance.now() - started)
    }).catch(() => { failed++ })
  }, everyS * 1000)
  return { stop: () => { clearInterval(timer); return { ok, failed, bytes, p99Ms: round2(times.quantile(0.99) ?? 0) ?? 0 } } }
}

/** `trackAcks`: the worker keeps acked ids for an outbound receiver (push and webhook scenarios). */
export async function measure (ctx: Context, plans: Plan[], rate: number, durationS: number, label: string, trackAcks = false): Promise<Measured> {
  const workers = ctx.workers!
  const server = ctx.server!
  const nodes = ctx.servers
  const serverUsage = new Sampler(() => nodes.length > 0 ? nodes.map((n) => n.pid) : [server.pid])
  const nodeUsage = nodes.map((n) => new Sampler(() => [n.pid]))
  const redisUsage = ctx.redis === undefined ? undefined : new Sampler(() => [ctx.redis!.pid])
  const redisBefore = await ctx.redis?.traffic()
  const genUsage = new Sampler(() => workers.pids())
  // The server's pooled PostgreSQL backends (PGlite runs inside the server process). The pool
  // opens connections as load grows, so the list is refreshed during the run.
  let backends: number[] = []
  const refreshBackends = async (): Promise<void> => {
    if (server.kind === 'server') backends = await ctx.db.backendPids().catch(() => backends)
  }
  await refreshBackends()
  const refresher = setInterval(() => { void refreshBackends() }, 1000)
  const dbUsage = new Sampler(() => backends)
  const startAt = Date.now() + 500
  const scraper = ctx.args.scrapeMetricsS > 0 ? scrapeMetrics(server.url, ctx.args.scrapeMetricsS) : undefined
  serverUsage.start()
  genUsage.start()
  dbUsage.start()
  for (const u of nodeUsage) u.start()
  redisUsage?.start()
  const memory = memoryTimeline(server.pid, server.kind === 'server' ? `${server.url}/metrics` : undefined)
  const timeline = ctx.args.timeline && label === 'measured'
    ? startTimeline({ metricsUrl: server.kind === 'server' ? `${server.url}/metrics` : undefined, databaseUrl: ctx.db.kind === 'postgres' ? ctx.db.serverEnv.DATABASE_URL : undefined, startAt })
    : undefined
  const parts = await workers.all<LoadResult>((i) => ({
    cmd: 'load',
    convs: plans[i]!.convs,
    rate: rate / workers.size,
    durationMs: durationS * 1000,
    startAt,
    drainMs: ctx.args.drainS * 1000,
    content: ctx.args.content === 'fixed' ? FIXED_CONTENT : { seed: ctx.args.seed * 1000 + i },
    trackAcks
  }))
  const scrapes = scraper?.stop()
  const samples = await timeline?.stop()
  if (samples !== undefined) log(`${label} ${server.kind}\n${report(mergeSeries(parts.map((p) => p.series)), samples, join(ctx.dir, `timeline-${server.kind}.json`))}`)
  if (scrapes !== undefined) log(`${label}: /metrics scraped ${scrapes.ok} times (${scrapes.failed} failed), ${Math.round(scrapes.bytes / Math.max(1, scrapes.ok))} bytes each, p99 ${scrapes.p99Ms} ms`)
  const srv = serverUsage.stop()
  const gen = genUsage.stop()
  const dbCpu = dbUsage.stop()
  const nodeCpu = nodeUsage.map((u) => u.stop())
  const redisCpu = redisUsage?.stop()
  const redisAfter = await ctx.redis?.traffic()
  const memTimeline = await memory.stop()
  clearInterval(refresher)
  const ack = new Histogram()
  const delivery = new Histogram()
  const lag = new Histogram()
  const errors: Record<string, number> = {}
  let sent = 0
  let acked = 0
  let expected = 0
  let delivered = 0
  let duplicates = 0
  let stray = 0
  for (const r of parts) {
    sent += r.sent
    acked += r.acked
    expected += r.expected
    delivered += r.delivered
    duplicates += r.duplicates
    stray += r.stray
    ack.merge(r.ack)
    delivery.merge(r.delivery)
    lag.merge(r.lag)
    for (const [k, v] of Object.entries(r.ackErrors)) errors[k] = (errors[k] ?? 0) + v
  }
  const lost = expected - delivered
  ackedInRun += acked
  const deliveryP99 = delivery.quantile(0.99)
  const pass = lost === 0 && duplicates === 0 && acked === sent && deliveryP99 !== undefined && deliveryP99 <= ctx.args.maxP99Ms
  const result: Measured = {
    scenario: ctx.args.scenario,
    db: ctx.args.db,
    target: server.kind,
    content: ctx.args.content,
    rate,
    durationS,
    users: plans.reduce((n, p) => n + p.users.length, 0),
    sent,
    acked,
    delivered,
    lost,
    duplicates,
    throughput: round2(delivered / durationS),
    ackP50Ms: round2(ack.quantile(0.5)),
    ackP99Ms: round2(ack.quantile(0.99)),
    ackMaxMs: round2(ack.max),
    deliveryP50Ms: round2(delivery.quantile(0.5)),
    deliveryP99Ms: round2(deliveryP99),
    deliveryMaxMs: round2(delivery.max),
    serverCpuPct: round2(srv.cpuPct),
    serverRssMb: round2(srv.rssMaxMb),
    /** RSS (MB) at the end of the run, and its growth from the first minute's end to then. */
    serverRssLastMb: round2(srv.rssLastMb),
    serverRssGrowthAfter60sMb: rssGrowthAfter(memTimeline, 60),
    /** The server's memory every 10 s: RSS, anonymous part, V8 heap, external (PGlite's WASM memory). */
    serverMemTimeline: memTimeline,
    generatorCpuPct: round2(gen.cpuPct),
    /** PostgreSQL backends of the server's pool (0 with PGlite, which is inside the server). */
    dbCpuPct: round2(dbCpu.cpuPct),
    /** CPU ms per message sent (drain included): the server process, and its database backends. */
    serverCpuMsPerMsg: sent > 0 ? round2((srv.cpuS * 1000) / sent) : null,
    dbCpuMsPerMsg: sent > 0 ? round2((dbCpu.cpuS * 1000) / sent) : null,
    serverRunqWaitPct: round2(srv.runqWaitPct),
    generatorRunqWaitPct: round2(gen.runqWaitPct),
    expectedDeliveries: expected,
    ackErrors: errors,
    sendLagP99Ms: round2(lag.quantile(0.99)),
    strayDeliveries: stray,
    loadAvg: loadAverage(),
    pass
  }
  if (nodes.length > 0) Object.assign(result, clusterCost(ctx, plans, delivered, nodeCpu, redisCpu, redisBefore, redisAfter))
  log(`${label} ${server.kind} rate ${rate}/s: sent ${sent} acked ${acked} delivered ${delivered}/${expected} lost ${lost} dup ${duplicates}` +
    ` ack p50/p99 ${result.ackP50Ms}/${result.ackP99Ms} ms delivery p50/p99 ${result.deliveryP50Ms}/${result.deliveryP99Ms} ms` +
    ` server cpu ${result.serverCpuPct}% db cpu ${result.dbCpuPct}% rss ${result.serverRssMb} MB (last ${result.serverRssLastMb}, external ${memTimeline.at(-1)?.externalMb ?? '-'}, heap ${memTimeline.at(-1)?.heapUsedMb ?? '-'}) gen cpu ${result.generatorCpuPct}% run-queue wait server/gen ${result.serverRunqWaitPct}/${result.generatorRunqWaitPct}% lag p99 ${result.sendLagP99Ms} ms` +
    `${Object.keys(errors).length > 0 ? ' errors ' + JSON.stringify(errors) : ''} load ${result.loadAvg.join(' ')} ${pass ? 'PASS' : 'FAIL'}`)
  if (nodes.length > 0) {
    const c = result as unknown as ClusterCost
    log(`${label} ${nodes.length} node(s), REDIS_ADAPTER=${c.redisAdapter}: per node cpu ms/delivered msg (cluster) ${c.perNode.map((n) => n.cpuMsPerMsg).join(' / ')}` +
      `, per own delivery ${c.perNode.map((n) => n.cpuMsPerOwnDelivery).join(' / ')}, rss MB ${c.perNode.map((n) => n.rssMaxMb).join(' / ')}` +
      `; redis cpu ms/msg ${c.redis.cpuMsPerMsg} bytes in/out per msg ${c.redis.inBytesPerMsg}/${c.redis.outBytesPerMsg}`)
  }
  if (durationS >= 60) log(`${label} server memory every 10 s (s: rss/external/heap MB, send queue): ${memTimeline.map((p) => `${p.tS}: ${p.rssMb}/${p.externalMb ?? '-'}/${p.heapUsedMb ?? '-'} q${p.sendQueue ?? '-'}`).join(', ')}`)
  return result
}

interface ClusterCost {
  redisAdapter: string
  nodes: number
  /** Each node: CPU per message delivered in the whole cluster, and per message delivered to its own users. */
  perNode: Array<{ node: number, users: number, cpuPct: number | null, cpuMsPerMsg: number | null, cpuMsPerOwnDelivery: number | null, rssMaxMb: number | null }>
  redis: { cpuPct: number | null, cpuMsPerMsg: number | null, inBytesPerMsg: number | null, outBytesPerMsg: number | null }
}

/**
 * --nodes: per-node and Redis cost per delivered message. A node's own deliveries are its
 * users' share of all deliveries (senders rotate over members, so deliveries are uniform over
 * users).
 */
function clusterCost (ctx: Context, plans: Plan[], delivered: number, nodeCpu: Usage[], redisCpu: Usage | undefined,
  before: RedisTraffic | undefined, after: RedisTraffic | undefined): ClusterCost {
  const users = plans.flatMap((p) => p.users)
  const per = (x: number): number | null => delivered > 0 ? round2(x / delivered) : null
  return {
    redisAdapter: ctx.args.env.REDIS_ADAPTER ?? 'default',
    nodes: ctx.servers.length,
    perNode: ctx.servers.map((s, i) => {
      const own = users.filter((u) => u.url === s.url).length
      const cpuMs = (nodeCpu[i]?.cpuS ?? 0) * 1000
      return {
        node: i,
        users: own,
        cpuPct: round2(nodeCpu[i]?.cpuPct),
        cpuMsPerMsg: per(cpuMs),
        cpuMsPerOwnDelivery: own > 0 && delivered > 0 ? round2(cpuMs / (delivered * own / users.length)) : null,
        rssMaxMb: round2(nodeCpu[i]?.rssMaxMb)
      }
    }),
    redis: {
      cpuPct: round2(redisCpu?.cpuPct),
      cpuMsPerMsg: per((redisCpu?.cpuS ?? 0) * 1000),
      inBytesPerMsg: before !== undefined && after !== undefined ? per(after.inBytes - before.inBytes) : null,
      outBytesPerMsg: before !== undefined && after !== undefined ? per(after.outBytes - before.outBytes) : null
    }
  }
}

/** Steps the rate up by `step` until a run fails, then bisects once between the last pass and the failure. */
async function findMax (ctx: Context, plans: Plan[]): Promise<BenchResult> {
  const { args } = ctx
  const steps: Array<{ rate: number, pass: boolean, deliveryP99Ms: number | null, lost: number, serverCpuPct: number | null }> = []
  let best: Measured | undefined
  let failedAt: number | undefined
  const tryRate = async (rate: number): Promise<boolean> => {
    const r = await measure(ctx, plans, rate, args.durationS, 'find-max')
    steps.push({ rate, pass: r.pass, deliveryP99Ms: r.deliveryP99Ms, lost: r.lost, serverCpuPct: r.serverCpuPct })
    if (r.pass) best = best === undefined || r.rate >= best.rate ? r : best
    else failedAt = rate
    // Let a backlog left by a failed step drain before the next one.
    await sleep(2000)
    return r.pass
  }
  // A step must fail twice in a row: one transient (a pooled connection opening, a neighbour's
  // burst on a shared machine) should not end the search.
  const passes = async (rate: number): Promise<boolean> => await tryRate(rate) || await tryRate(rate)
  for (let rate = args.rate; rate <= 200_000; rate = Math.round(rate * args.step)) {
    if (!await passes(rate)) break
  }
  if (best !== undefined && failedAt !== undefined) {
    const mid = Math.round((best.rate + failedAt) / 2)
    if (mid > best.rate && mid < failedAt) await passes(mid)
  }
  const base = best ?? { ...(await measure(ctx, plans, args.rate, args.durationS, 'find-max (nothing passed; at start rate)')) }
  return { ...base, maxRate: best?.rate ?? 0, findMaxSteps: steps }
}

async function runAgainst (ctx: Context, plans: Plan[], relay: boolean): Promise<BenchResult> {
  const { args } = ctx
  const workers = ctx.startWorkers()
  const server = ctx.server!
  const conn = await workers.all<ConnectResult>((i) => ({ cmd: 'connect', url: server.url, users: plans[i]!.users, relay, concurrency: args.concurrency, client: args.client }))
  const failed = conn.reduce((n, c) => n + c.failed, 0)
  if (failed > 0) throw new Error(`${failed} sockets failed to connect: ${JSON.stringify(conn.map((c) => c.errors))}`)
  log(`${conn.reduce((n, c) => n + c.connected, 0)} sockets connected to the ${server.kind}`)
  if (args.warmupS > 0) {
    // Long enough for a message in every conversation: first sends pay for cold caches.
    const warmRate = Math.min(args.rate, 500)
    const convs = plans.reduce((n, p) => n + p.convs.length, 0)
    await measure(ctx, plans, warmRate, Math.max(args.warmupS, Math.ceil(convs / warmRate) + 1), 'warm-up')
    await sleep(1000)
  }
  const result = args.findMax ? await findMax(ctx, plans) : await measure(ctx, plans, args.rate, args.durationS, 'measured')
  await workers.all(() => ({ cmd: 'disconnect' }))
  return result
}

export async function messaging (args: Args): Promise<BenchResult> {
  const group = args.scenario === 'group'
  const size = group ? args.groupSize : 2
  const convCount = Math.floor(args.users / size)
  if (convCount < args.workers) throw new Error(`--users ${args.users} gives ${convCount} conversations, fewer than --workers ${args.workers}`)
  const ctx = await Context.create(args, async (db) => {
    await seedUsers(db, convCount * size)
    if (group) await seedGroups(db, convCount, size)
    else await seedPairs(db, convCount)
    await seedConversationHistory(db, convCount, group, size, args.historyPerConversation, args.content)
  })
  try {
    const urls = args.nodes > 0 ? (await ctx.startNodes(args.nodes + args.idleNodes)).slice(0, args.nodes).map((n) => n.url) : []
    const plans = plan(ctx, group, size, convCount, urls)
    if (args.nodes === 0) await ctx.startServer()
    ackedInRun = 0
    const ours = await runAgainst(ctx, plans, false)
    await ctx.stopServer()
    // Every acked message must be stored (the count includes warm-up and find-max steps).
    if (ctx.db.kind === 'pglite') await ctx.db.reopen()
    const rows = await ctx.db.query<{ n: string | number }>('SELECT count(*) AS n FROM messages')
    ours.persisted = Number(rows[0]?.n ?? 0)
    ours.ackedInRun = ackedInRun
    if (args.ceiling) {
      // The same load against the bare echo: what the generator itself can drive.
      await ctx.startEcho()
      ours.ceiling = await runAgainst(ctx, plans, true)
      await ctx.stopServer()
    }
    if (!args.baseline) return ours
    await ctx.startRelay()
    const base = await runAgainst(ctx, plans, true)
    const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
      typeof a === 'number' && typeof b === 'number' && b > 0 ? round2(a / b) : null
    return {
      ...ours,
      baseline: base,
      ratio: {
        throughput: ratio(ours.throughput, base.throughput),
        ackP50: ratio(ours.ackP50Ms, base.ackP50Ms),
        ackP99: ratio(ours.ackP99Ms, base.ackP99Ms),
        deliveryP50: ratio(ours.deliveryP50Ms, base.deliveryP50Ms),
        deliveryP99: ratio(ours.deliveryP99Ms, base.deliveryP99Ms),
        ...(args.findMax ? { maxRate: ratio(ours.maxRate as number, base.maxRate as number) } : {})
      }
    }
  } finally {
    await ctx.close()
  }
}
