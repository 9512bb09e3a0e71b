import type { Args } from '../lib/args.js'
import { Context, loadAverage } from '../lib/context.js'
import { seedHistory, seedPairs, seedUsers } from '../lib/database.js'
import { Histogram, round2, type HistogramData } from '../lib/histogram.js'
import { directId, userId } from '../lib/ids.js'
import { log } from '../lib/log.js'
import { Sampler } from '../lib/proc.js'
import type { BenchResult } from '../lib/result.js'

interface HttpResult { sent: number, ok: number, errors: Record<string, number>, latency: HistogramData, lag: HistogramData }

/**
 * `--messages` messages (default 1,000,000) in one direct conversation, seeded with
 * generate_series (`--content`: realistic chat text by default, or the fixed sentence); GET /api/conversations/:id/messages?before=<random seq>&limit=50 at an
 * open-loop rate, timed from each request's due time.
 */
export async function history (args: Args): Promise<BenchResult> {
  const ctx = await Context.create(args, async (db) => {
    await seedUsers(db, 2)
    await seedPairs(db, 1)
    await seedHistory(db, args.messages, args.content, args.seed)
  })
  try {
    const server = await ctx.startServer()
    const workers = ctx.startWorkers()
    const token = ctx.token(userId(0))
    const run = async (rate: number, durationS: number): Promise<HttpResult[]> => await workers.all<HttpResult>(() => ({
      cmd: 'http',
      url: server.url,
      token,
      conversationId: directId(0),
      maxSeq: args.messages,
      limit: args.limit,
      rate: rate / workers.size,
      durationMs: durationS * 1000,
      startAt: Date.now() + 300
    }))
    if (args.warmupS > 0) await run(Math.min(args.rate, 100), args.warmupS)
    const serverUsage = new Sampler(() => [server.pid])
    const genUsage = new Sampler(() => workers.pids())
    serverUsage.start()
    genUsage.start()
    const parts = await run(args.rate, args.durationS)
    const srv = serverUsage.stop()
    const gen = genUsage.stop()
    const latency = new Histogram()
    const errors: Record<string, number> = {}
    let sent = 0
    let ok = 0
    for (const p of parts) {
      sent += p.sent
      ok += p.ok
      latency.merge(p.latency)
      for (const [k, v] of Object.entries(p.errors)) errors[k] = (errors[k] ?? 0) + v
    }
    const result: BenchResult = {
      scenario: args.scenario,
      db: args.db,
      target: 'server',
      rate: args.rate,
      durationS: args.durationS,
      users: 1,
      sent,
      acked: ok,
      delivered: null,
      lost: null,
      duplicates: null,
      throughput: round2(ok / args.durationS),
      ackP50Ms: null,
      ackP99Ms: null,
      deliveryP50Ms: null,
      deliveryP99Ms: null,
      serverCpuPct: round2(srv.cpuPct),
      serverRssMb: round2(srv.rssMaxMb),
      generatorCpuPct: round2(gen.cpuPct),
    serverRunqWaitPct: round2(srv.runqWaitPct),
    generatorRunqWaitPct: round2(gen.runqWaitPct),
      loadAvg: loadAverage(),
      messages: args.messages,
      pageSize: args.limit,
      pageP50Ms: round2(latency.quantile(0.5)),
      pageP90Ms: round2(latency.quantile(0.9)),
      pageP99Ms: round2(latency.quantile(0.99)),
      pageMaxMs: round2(latency.max),
      errors
    }
    log(`history ${args.messages} messages: ${ok}/${sent} pages ok, p50/p99 ${result.pageP50Ms}/${result.pageP99Ms} ms, server cpu ${result.serverCpuPct}%` +
      `${Object.keys(errors).length > 0 ? ' errors ' + JSON.stringify(errors) : ''}`)
    if (args.baseline) log('--baseline: the relay has no history; nothing to compare')
    return result
  } finally {
    await ctx.close()
  }
}
