import { setTimeout as sleep } from 'node:timers/promises'
import type { Args } from '../lib/args.js'
import { Context, loadAverage } from '../lib/context.js'
import { seedPairs, seedUsers } from '../lib/database.js'
import { Histogram, round2 } from '../lib/histogram.js'
import { directId, userId } from '../lib/ids.js'
import { log } from '../lib/log.js'
import { readProc, Sampler } from '../lib/proc.js'
import type { BenchResult } from '../lib/result.js'
import type { ConnectResult, PairSpec, UserSpec } from '../worker.js'

interface StormState {
  clients: number
  online: number
  synced: number
  statuses: Record<string, number>
  expected: number
  delivered: number
  duplicates: number
  acked: number
  sendErrors: Record<string, number>
  settled: number
  lastOnlineAt: number
  lastSyncedAt: number
  lastDeliveryAt: number
  lastAckAt: number
  done: boolean
}

/** How long the harness waits for everyone to be back, synced and delivered. */
const RECOVERY_TIMEOUT_MS = 120_000

/**
 * N SDK clients (createClient from @relay-im/client) in N/2 friend pairs, online. The server is
 * stopped (SIGTERM or SIGKILL); while it is down every client sends --outage-msgs messages to
 * its partner through the SDK outbox; the server starts again. Measured from the moment the
 * new server is ready: all clients online, all caught up (`synced`), every outage message
 * acked and delivered exactly once.
 */
export async function reconnectStorm (args: Args): Promise<BenchResult> {
  const pairs = Math.floor(args.users / 2)
  const ctx = await Context.create(args, async (db) => {
    await seedUsers(db, pairs * 2)
    await seedPairs(db, pairs)
  })
  try {
    const users: UserSpec[][] = Array.from({ length: args.workers }, () => [])
    const pairSpecs: PairSpec[][] = Array.from({ length: args.workers }, () => [])
    for (let k = 0; k < pairs; k++) {
      const w = k % args.workers
      const conversationId = directId(k)
      const [a, b] = [userId(2 * k), userId(2 * k + 1)]
      const ia = users[w]!.push({ id: a, token: ctx.token(a), rooms: [conversationId] }) - 1
      const ib = users[w]!.push({ id: b, token: ctx.token(b), rooms: [conversationId] }) - 1
      pairSpecs[w]!.push({ a: ia, b: ib, conversationId })
    }
    let server = await ctx.startServer()
    const workers = ctx.startWorkers()
    const conn = await workers.all<ConnectResult>((i) => ({ cmd: 'sdk-connect', url: server.url, users: users[i]!, pairs: pairSpecs[i]!, concurrency: args.concurrency, sendTimeoutMs: RECOVERY_TIMEOUT_MS + 60_000 }))
    const connected = conn.reduce((n, c) => n + c.connected, 0)
    const connectHist = new Histogram()
    for (const c of conn) connectHist.merge(c.connect)
    log(`${connected}/${pairs * 2} SDK clients online (connect p99 ${round2(connectHist.quantile(0.99))} ms)`)
    if (connected < pairs * 2) throw new Error(`clients failed to connect: ${JSON.stringify(conn.map((c) => c.errors))}`)
    await sleep(2000)

    await workers.all(() => ({ cmd: 'sdk-mark' }))
    const signal = args.restart === 'kill' ? 'SIGKILL' : 'SIGTERM'
    const stopAt = Date.now()
    await ctx.stopServer(signal)
    const stoppedMs = Date.now() - stopAt
    log(`server stopped with ${signal} in ${stoppedMs} ms; queueing messages in the outboxes`)
    const queued = (await workers.all<number>(() => ({ cmd: 'sdk-send', perClient: args.outageMsgs }))).reduce((a, b) => a + b, 0)
    await sleep(1000)
    server = await ctx.startServer()
    const readyAt = Date.now()
    const serverUsage = new Sampler(() => [server.pid])
    const genUsage = new Sampler(() => workers.pids())
    serverUsage.start()
    genUsage.start()
    const states = await workers.all<StormState>(() => ({ cmd: 'sdk-wait', timeoutMs: RECOVERY_TIMEOUT_MS }))
    const srv = serverUsage.stop()
    const gen = genUsage.stop()
    const sum = (f: (s: StormState) => number): number => states.reduce((n, s) => n + f(s), 0)
    const max = (f: (s: StormState) => number): number => Math.max(...states.map(f))
    const statuses: Record<string, number> = {}
    const sendErrors: Record<string, number> = {}
    for (const s of states) {
      for (const [k, v] of Object.entries(s.statuses)) statuses[k] = (statuses[k] ?? 0) + v
      for (const [k, v] of Object.entries(s.sendErrors)) sendErrors[k] = (sendErrors[k] ?? 0) + v
    }
    const since = (t: number): number | null => t > 0 ? t - readyAt : null
    const online = sum((s) => s.online)
    const synced = sum((s) => s.synced)
    const expected = sum((s) => s.expected)
    const delivered = sum((s) => s.delivered)
    const done = states.every((s) => s.done)
    const lastAll = Math.max(max((s) => s.lastOnlineAt), max((s) => s.lastSyncedAt), max((s) => s.lastDeliveryAt), max((s) => s.lastAckAt))
    const result: BenchResult = {
      scenario: args.scenario,
      db: args.db,
      target: 'server',
      rate: null,
      durationS: null,
      users: pairs * 2,
      sent: queued,
      acked: sum((s) => s.acked),
      delivered,
      lost: expected - delivered,
      duplicates: sum((s) => s.duplicates),
      throughput: null,
      ackP50Ms: null,
      ackP99Ms: null,
      deliveryP50Ms: null,
      deliveryP99Ms: null,
      serverCpuPct: round2(srv.cpuPct),
      serverRssMb: round2((readProc(server.pid)?.rssKb ?? 0) / 1024),
      generatorCpuPct: round2(gen.cpuPct),
    serverRunqWaitPct: round2(srv.runqWaitPct),
    generatorRunqWaitPct: round2(gen.runqWaitPct),
      loadAvg: loadAverage(),
      restart: signal,
      allRecovered: done,
      online,
      synced,
      statuses,
      sendErrors,
      stopMs: stoppedMs,
      serverStartMs: round2(server.readyMs),
      reconnectAllMs: online === pairs * 2 ? since(max((s) => s.lastOnlineAt)) : null,
      syncedAllMs: synced === pairs * 2 ? since(max((s) => s.lastSyncedAt)) : null,
      deliveredAllMs: delivered === expected ? since(max((s) => s.lastDeliveryAt)) : null,
      /** From the new server being ready until everyone is online, synced, acked and delivered. */
      recoveryMs: done ? since(lastAll) : null,
      /** The same from the moment the old server was told to stop. */
      recoveryFromStopMs: done ? lastAll - stopAt : null
    }
    log(`storm: online ${online}, synced ${synced}, outage messages acked ${result.acked}/${queued}, delivered ${delivered}/${expected},` +
      ` dup ${result.duplicates}; recovery ${result.recoveryMs} ms after ready (${result.recoveryFromStopMs} ms after stop) statuses ${JSON.stringify(statuses)}`)
    await workers.all(() => ({ cmd: 'sdk-close' }))
    if (args.baseline) log('--baseline: the relay has no outbox or sync; nothing to compare')
    return result
  } finally {
    await ctx.close()
  }
}
