import { setTimeout as sleep } from 'node:timers/promises'
import type { Args } from '../lib/args.js'
import type { ChannelCommand, ChannelResult } from '../lib/channel-load.js'
import { Context, loadAverage } from '../lib/context.js'
import { seedUsers, type BenchDb } from '../lib/database.js'
import { Histogram, round2 } from '../lib/histogram.js'
import { md5Uuid, userId } from '../lib/ids.js'
import { log } from '../lib/log.js'
import { Sampler } from '../lib/proc.js'
import type { BenchResult } from '../lib/result.js'
import type { ConnectResult, UserSpec } from '../worker.js'

const CONTENT = 'bench message: the quick brown fox jumps over the lazy dog 0123456789'
/** The measured channel, and how many other (small) channels `GET /channels` pages through. */
const CHANNEL = md5Uuid('channel0')
const OTHER_CHANNELS = 1000
/** Users who join the big channel one at a time after the fan-out (join p99), and list requests. */
const JOINS = 200
const LISTS = 200

/**
 * Members 0..members-1 in one channel (user 0 owns it); OTHER_CHANNELS more channels owned by
 * user 0 with 1-3 members, named so `q` finds some. Members are inserted as rows (the trigger
 * keeps member_count), then ANALYZE.
 */
async function seedChannels (db: BenchDb, members: number): Promise<void> {
  await db.query(`INSERT INTO conversations (id, type, name, topic, owner_id)
    VALUES ($1::uuid, 'channel', 'Bench channel', 'the measured one', md5('u0')::uuid)`, [CHANNEL])
  await db.query(`INSERT INTO conversation_members (conversation_id, user_id, role)
    SELECT $1::uuid, md5('u' || j)::uuid, CASE WHEN j = 0 THEN 'owner' ELSE 'member' END::member_role
    FROM generate_series(0, $2::int - 1) j`, [CHANNEL, members])
  await db.query(`INSERT INTO conversations (id, type, name, owner_id)
    SELECT md5('channel' || k)::uuid, 'channel', (ARRAY['news','sports','music','rust','cooking'])[1 + k % 5] || ' room ' || k, md5('u0')::uuid
    FROM generate_series(1, $1::int) k`, [OTHER_CHANNELS])
  await db.query(`INSERT INTO conversation_members (conversation_id, user_id, role)
    SELECT md5('channel' || k)::uuid, md5('u' || j)::uuid, CASE WHEN j = 0 THEN 'owner' ELSE 'member' END::member_role
    FROM generate_series(1, $1::int) k, generate_series(0, k % 3) j`, [OTHER_CHANNELS])
  await db.query('ANALYZE')
}

interface FanOut extends BenchResult { lost: number, pass: boolean }

/** The fan-out: worker 0 sends `rate` messages/s into the channel; every member's socket receives. */
async function fanOut (ctx: Context, members: number, relay: boolean): Promise<FanOut> {
  const { args } = ctx
  const workers = ctx.startWorkers()
  const server = ctx.server!
  // Members round-robin over the workers: each holds about members / workers sockets.
  const per: UserSpec[][] = Array.from({ length: workers.size }, () => [])
  for (let j = 0; j < members; j++) {
    const id = userId(j)
    per[j % workers.size]!.push({ id, token: ctx.token(id), rooms: [CHANNEL] })
  }
  const conn = await workers.all<ConnectResult>((i) => ({ cmd: 'connect', url: server.url, users: per[i]!, relay, concurrency: args.concurrency, client: args.client }))
  const failed = conn.reduce((n, c) => n + c.failed, 0)
  if (failed > 0) throw new Error(`${failed} sockets failed to connect: ${JSON.stringify(conn.map((c) => c.errors))}`)
  log(`${conn.reduce((n, c) => n + c.connected, 0)} sockets connected to the ${server.kind}`)
  const run = async (rate: number, durationS: number, label: string): Promise<FanOut> => {
    const total = Math.floor(rate * durationS)
    const serverUsage = new Sampler(() => [server.pid])
    const genUsage = new Sampler(() => workers.pids())
    const startAt = Date.now() + 500
    serverUsage.start()
    genUsage.start()
    const parts = await workers.all<ChannelResult>((i): ChannelCommand => ({
      cmd: 'channel', conversationId: CHANNEL, rate: i === 0 ? rate : 0, durationMs: durationS * 1000, startAt, drainMs: args.drainS * 1000, content: CONTENT, totalMessages: total
    }))
    const srv = serverUsage.stop()
    const gen = genUsage.stop()
    const ack = new Histogram()
    const delivery = new Histogram()
    const errors: Record<string, number> = {}
    let sent = 0; let acked = 0; let expected = 0; let delivered = 0; let duplicates = 0; let stray = 0
    for (const r of parts) {
      sent += r.sent; acked += r.acked; expected += r.expected; delivered += r.delivered; duplicates += r.duplicates; stray += r.stray
      ack.merge(r.ack)
      delivery.merge(r.delivery)
      for (const [k, v] of Object.entries(r.ackErrors)) errors[k] = (errors[k] ?? 0) + v
    }
    const lost = expected - delivered
    const result: FanOut = {
      scenario: args.scenario,
      db: args.db,
      target: server.kind,
      users: members,
      rate,
      durationS,
      sent,
      acked,
      expectedDeliveries: expected,
      delivered,
      lost,
      duplicates,
      strayDeliveries: stray,
      throughput: round2(delivered / durationS),
      ackP50Ms: round2(ack.quantile(0.5)),
      ackP99Ms: round2(ack.quantile(0.99)),
      deliveryP50Ms: round2(delivery.quantile(0.5)),
      deliveryP99Ms: round2(delivery.quantile(0.99)),
      deliveryMaxMs: round2(delivery.max),
      serverCpuPct: round2(srv.cpuPct),
      serverRssMb: round2(srv.rssMaxMb),
      generatorCpuPct: round2(gen.cpuPct),
      ackErrors: errors,
      loadAvg: loadAverage(),
      pass: lost === 0 && duplicates === 0 && acked === sent
    }
    log(`${label} ${server.kind}: ${members} members, ${rate} msg/s: sent ${sent} acked ${acked} delivered ${delivered}/${expected} lost ${lost} dup ${duplicates}` +
      ` delivery p50/p99 ${result.deliveryP50Ms}/${result.deliveryP99Ms} ms ack p99 ${result.ackP99Ms} ms server cpu ${result.serverCpuPct}% rss ${result.serverRssMb} MB gen cpu ${result.generatorCpuPct}%` +
      `${Object.keys(errors).length > 0 ? ' errors ' + JSON.stringify(errors) : ''} ${result.pass ? 'PASS' : 'FAIL'}`)
    return result
  }
  if (args.warmupS > 0) {
    await run(Math.min(args.rate, 20), args.warmupS, 'warm-up')
    await sleep(1000)
  }
  const result = await run(args.rate, args.durationS, 'measured')
  await workers.all(() => ({ cmd: 'disconnect' }))
  return result
}

/** Sequential requests from the harness; p50/p99 of their round trips. */
async function timed (n: number, fn: (i: number) => Promise<number>): Promise<{ p50Ms: number | null, p99Ms: number | null, maxMs: number | null, errors: Record<string, number> }> {
  const h = new Histogram()
  const errors: Record<string, number> = {}
  for (let i = 0; i < n; i++) {
    const started = performance.now()
    const status = await fn(i)
    h.record(performance.now() - started)
    if (status >= 300) errors[String(status)] = (errors[String(status)] ?? 0) + 1
  }
  return { p50Ms: round2(h.quantile(0.5)), p99Ms: round2(h.quantile(0.99)), maxMs: round2(h.max), errors }
}

/**
 * `channel`: `--users` members (default 5,000) connected, all in one channel; `--rate`
 * messages/s (default 20) for `--duration` s (default 20) from members on worker 0, received by
 * every other member (sockets spread over `--workers`): delivery p50/p99, server CPU and RSS,
 * lost deliveries. `--baseline`: the same fan-out on the bare relay (one room). Then, on the
 * server: JOINS users join the big channel one at a time (join p99) and LISTS `GET /channels`
 * requests (first pages, with and without `q`; list p99).
 */
export async function channel (args: Args): Promise<BenchResult> {
  const members = Math.max(2, args.users)
  if (members < args.workers) throw new Error(`--users ${members} is fewer than --workers ${args.workers}`)
  const ctx = await Context.create(args, async (db) => {
    await seedUsers(db, members + JOINS)
    await seedChannels(db, members)
  })
  try {
    const server = await ctx.startServer()
    const ours = await fanOut(ctx, members, false)
    const auth = (i: number) => ({ authorization: `Bearer ${ctx.token(userId(i))}` })
    const join = await timed(JOINS, async (i) => (await fetch(`${server.url}/api/channels/${CHANNEL}/join`, { method: 'POST', headers: auth(members + i) })).status)
    log(`join (channel of ${members}+): p50/p99 ${join.p50Ms}/${join.p99Ms} ms ${JSON.stringify(join.errors)}`)
    const queries = ['', 'q=room', 'q=news%20room%201', 'q=zzz']
    for (let i = 0; i < 10; i++) await fetch(`${server.url}/api/channels?limit=20&${queries[i % queries.length]}`, { headers: auth(1) })
    const list = await timed(LISTS, async (i) => (await fetch(`${server.url}/api/channels?limit=20&${queries[i % queries.length]}`, { headers: auth(1 + (i % 50)) })).status)
    log(`list GET /channels (${OTHER_CHANNELS + 1} channels): p50/p99 ${list.p50Ms}/${list.p99Ms} ms ${JSON.stringify(list.errors)}`)
    await ctx.stopServer()
    const result: BenchResult = { ...ours, join: { requests: JOINS, ...join }, list: { requests: LISTS, channels: OTHER_CHANNELS + 1, ...list } }
    if (!args.baseline) return result
    await ctx.startRelay()
    const base = await fanOut(ctx, members, true)
    const ratio = (a: unknown, b: unknown): number | null => typeof a === 'number' && typeof b === 'number' && b > 0 ? round2(a / b) : null
    return {
      ...result,
      baseline: base,
      ratio: { deliveryP50: ratio(ours.deliveryP50Ms, base.deliveryP50Ms), deliveryP99: ratio(ours.deliveryP99Ms, base.deliveryP99Ms) }
    }
  } finally {
    await ctx.close()
  }
}
