import { setTimeout as sleep } from 'node:timers/promises'
import type { Args } from '../lib/args.js'
import { Context, loadAverage } from '../lib/context.js'
import { seedPairs, seedUsers } from '../lib/database.js'
import { Histogram, round2 } from '../lib/histogram.js'
import { directId, userId } from '../lib/ids.js'
import { log } from '../lib/log.js'
import { readProc, Sampler } from '../lib/proc.js'
import type { BenchResult } from '../lib/result.js'
import type { ConnectResult, UserSpec } from '../worker.js'

async function measure (ctx: Context, users: UserSpec[][], relay: boolean): Promise<BenchResult> {
  const { args } = ctx
  const workers = ctx.startWorkers()
  const server = ctx.server!
  await sleep(2000)
  const before = readProc(server.pid)?.rssKb ?? 0
  const serverUsage = new Sampler(() => [server.pid])
  const genUsage = new Sampler(() => workers.pids())
  serverUsage.start()
  genUsage.start()
  const t0 = performance.now()
  const parts = await workers.all<ConnectResult>((i) => ({
    cmd: 'connect',
    url: server.url,
    users: users[i]!,
    relay,
    concurrency: args.concurrency,
    client: args.client,
    // One loopback source address per worker: ephemeral ports are per source address.
    localAddress: `127.0.0.${2 + i}`
  }))
  const connectS = (performance.now() - t0) / 1000
  const srv = serverUsage.stop()
  const gen = genUsage.stop()
  const hist = new Histogram()
  const errors: Record<string, number> = {}
  let connected = 0
  for (const p of parts) {
    connected += p.connected
    hist.merge(p.connect)
    for (const [k, v] of Object.entries(p.errors)) errors[k] = (errors[k] ?? 0) + v
  }
  log(`${connected} connected in ${connectS.toFixed(1)} s; idling ${args.durationS} s`)
  const idle = new Sampler(() => [server.pid])
  idle.start()
  await sleep(args.durationS * 1000)
  const still = (await workers.all<number>(() => ({ cmd: 'connected' }))).reduce((a, b) => a + b, 0)
  const idleUsage = idle.stop()
  const after = readProc(server.pid)?.rssKb ?? 0
  await workers.all(() => ({ cmd: 'disconnect' }))
  const result: BenchResult = {
    scenario: args.scenario,
    db: args.db,
    target: server.kind,
    rate: null,
    durationS: args.durationS,
    users: users.reduce((n, u) => n + u.length, 0),
    sent: null,
    acked: null,
    delivered: null,
    lost: null,
    duplicates: null,
    throughput: round2(connected / connectS),
    ackP50Ms: null,
    ackP99Ms: null,
    deliveryP50Ms: null,
    deliveryP99Ms: null,
    serverCpuPct: round2(srv.cpuPct),
    serverRssMb: round2(after / 1024),
    generatorCpuPct: round2(gen.cpuPct),
    serverRunqWaitPct: round2(srv.runqWaitPct),
    generatorRunqWaitPct: round2(gen.runqWaitPct),
    loadAvg: loadAverage(),
    connected,
    failed: users.reduce((n, u) => n + u.length, 0) - connected,
    connectErrors: errors,
    stillConnected: still,
    connectS: round2(connectS),
    connectPerS: round2(connected / connectS),
    connectP50Ms: round2(hist.quantile(0.5)),
    connectP99Ms: round2(hist.quantile(0.99)),
    serverRssBeforeMb: round2(before / 1024),
    serverRssPeakMb: round2(Math.max(srv.rssMaxMb, idleUsage.rssMaxMb)),
    rssPer1000Mb: connected > 0 ? round2(((after - before) / 1024 / connected) * 1000) : null,
    idleServerCpuPct: round2(idleUsage.cpuPct)
  }
  log(`${server.kind}: ${connected}/${result.users} connected (${result.connectPerS}/s, p50/p99 ${result.connectP50Ms}/${result.connectP99Ms} ms),` +
    ` still ${still}; RSS ${result.serverRssBeforeMb} -> ${result.serverRssMb} MB (${result.rssPer1000Mb} MB per 1,000); idle cpu ${result.idleServerCpuPct}%`)
  return result
}

/**
 * C idle authenticated sockets (one per user; users are paired as friends, so each connect
 * also runs the presence announcement): connect rate, server RSS per 1,000 sockets.
 */
export async function connections (args: Args): Promise<BenchResult> {
  const pairs = Math.floor(args.users / 2)
  const ctx = await Context.create(args, async (db) => {
    await seedUsers(db, pairs * 2)
    await seedPairs(db, pairs)
  })
  try {
    const users: UserSpec[][] = Array.from({ length: args.workers }, () => [])
    for (let i = 0; i < pairs * 2; i++) {
      const id = userId(i)
      users[i % args.workers]!.push({ id, token: ctx.token(id), rooms: [directId(Math.floor(i / 2))] })
    }
    await ctx.startServer()
    const ours = await measure(ctx, users, false)
    await ctx.stopServer()
    if (!args.baseline) return ours
    await ctx.startRelay()
    const base = await measure(ctx, users, true)
    const r = (a: unknown, b: unknown): number | null => typeof a === 'number' && typeof b === 'number' && b > 0 ? round2(a / b) : null
    return { ...ours, baseline: base, ratio: { connectPerS: r(ours.connectPerS, base.connectPerS), rssPer1000: r(ours.rssPer1000Mb, base.rssPer1000Mb) } }
  } finally {
    await ctx.close()
  }
}
