import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import webpush from 'web-push'
import type { Args } from '../lib/args.js'
import { Context } from '../lib/context.js'
import { seedConversationHistory, seedGroups, seedPairs, seedUsers, type BenchDb } from '../lib/database.js'
import { Histogram, round2 } from '../lib/histogram.js'
import { directId, groupId, md5Uuid, userId } from '../lib/ids.js'
import { log } from '../lib/log.js'
import type { ReceiverStarted, Receipts } from '../lib/outbound-receiver.js'
import { queueDepth, untilEmpty } from '../lib/queue-depth.js'
import type { BenchResult } from '../lib/result.js'
import { WorkerPool } from '../lib/workers.js'
import type { ConnectResult } from '../worker.js'
import { measure, type Measured, type Plan } from './messaging.js'

/**
 * push: pairs (2k, 2k+1); 2k sends to 2k+1, who has a Web Push subscription on a local push
 * service in the worker that sends (one clock for due time and arrival). First with every
 * recipient offline (pushed), then on the same server with every recipient online (no push):
 * the send p99 of the two runs is the cost of pushing.
 * webhook: groups of --group-size people plus a bot (md5('b'||k)) whose webhook is a signed
 * receiver in the worker that sends to its group; first with the webhook set, then with it
 * unset (the same group load without the bot's deliveries).
 * Both: the queue's depth sampled every second from the database (so --db postgres).
 */
const botId = (k: number): string => md5Uuid(`b${k}`)

export async function outbound (args: Args): Promise<BenchResult> {
  if (args.db !== 'postgres') throw new Error(`${args.scenario} samples the queue from the database while the server runs: --db postgres`)
  const isPush = args.scenario === 'push'
  const size = isPush ? 2 : args.groupSize
  const convCount = Math.floor(args.users / size)
  if (convCount < 1) throw new Error(`--users ${args.users} makes no conversation of ${size}`)
  // A conversation lives wholly in one worker: one busy group is one worker.
  args.workers = Math.min(args.workers, convCount)
  const workers = WorkerPool.start(args.workers, args.nice)
  // Conversation k is worked by worker k % W, whose receiver gets its pushes or bot's webhook.
  const secret = randomBytes(24).toString('base64url')
  const started = await workers.all<ReceiverStarted>((w) => isPush
    ? { cmd: 'receiver', kind: 'push', devices: Math.ceil((convCount - w) / workers.size) }
    : { cmd: 'receiver', kind: 'webhook', secret })
  args.env.OUTBOUND_ALLOWED_HOSTS = started.map((s) => new URL(s.origin).host).join(',')
  if (isPush) {
    const vapid = webpush.generateVAPIDKeys()
    args.env.VAPID_PUBLIC_KEY = vapid.publicKey
    args.env.VAPID_PRIVATE_KEY = vapid.privateKey
  }
  let ctx: Context | undefined
  try {
    ctx = await Context.create(args, async (db) => {
      await seedUsers(db, convCount * size)
      if (isPush) {
        await seedPairs(db, convCount)
        await seedConversationHistory(db, convCount, false, 2, args.historyPerConversation, args.content)
        await seedSubscriptions(db, convCount, started)
      } else {
        await seedGroups(db, convCount, size)
        await seedConversationHistory(db, convCount, true, size, args.historyPerConversation, args.content)
        await seedBots(db, convCount, size, started.map((s, w) => `${s.origin}/hook/${w}`), secret)
      }
    })
    ctx.workers = workers
    await ctx.startServer()
    const withOutbound = await phase(ctx, plan(ctx, isPush ? 'senders' : 'people', size, convCount), isPush ? 'recipients offline (pushed)' : 'bot webhook set', true)
    // The second run starts on an empty queue: a backlog left by the first would be worked during it.
    const waited = await untilEmpty(ctx.db, isPush ? 'push' : 'webhook', 120_000)
    log(waited === null ? 'the queue was not empty 120 s after the run: the next run starts with its backlog' : `the queue emptied ${waited} ms after the run's arrivals were collected`)
    if (!isPush) await ctx.db.query('UPDATE bots SET webhook_url = NULL, webhook_secret = NULL')
    const without = await phase(ctx, plan(ctx, isPush ? 'everyone' : 'people', size, convCount), isPush ? 'recipients online (no push)' : 'bot webhook unset', false)
    const ratio = withOutbound.ackP99Ms !== null && without.ackP99Ms !== null && without.ackP99Ms > 0 ? round2(withOutbound.ackP99Ms / without.ackP99Ms) : null
    log(`${args.scenario}: send ack p99 ${withOutbound.ackP99Ms} ms against ${without.ackP99Ms} ms without: ratio ${ratio} (goal ≤ 1.2)`)
    return { ...withOutbound, without, sendP99Ratio: ratio }
  } finally {
    await (ctx?.close() ?? workers.close())
  }
}

/**
 * senders: push pairs with only the sender (2k) connected; everyone: both members; people: a
 * group's human members (the bot never has a socket).
 */
function plan (ctx: Context, who: 'senders' | 'everyone' | 'people', size: number, convCount: number): Plan[] {
  const plans: Plan[] = Array.from({ length: ctx.args.workers }, () => ({ convs: [], users: [] }))
  for (let k = 0; k < convCount; k++) {
    const p = plans[k % plans.length]!
    const members: number[] = []
    for (let j = 0; j < (who === 'senders' ? 1 : size); j++) {
      const uid = userId(k * size + j)
      members.push(p.users.push({ id: uid, token: ctx.token(uid), rooms: [] }) - 1)
    }
    p.convs.push({ id: size === 2 ? directId(k) : groupId(k), members })
  }
  return plans
}

interface Phase extends Measured {
  outbound: { expected: number, received: number, lost: number, duplicates: number, stray: number, unexpected: number, refused: number, p50Ms: number | null, p99Ms: number | null, maxMs: number | null, missing: string[] }
  queueMax: Record<string, number>
  queueTimeline: Array<Record<string, number>>
}

/**
 * Warm-up (its arrivals drained and dropped), then the measured load, then every arrival
 * collected. `arrivals` false: none is expected (recipients online, webhook unset); any for a
 * message of this run is `unexpected` (`stray`: for an earlier run's message).
 */
async function phase (ctx: Context, plans: Plan[], label: string, arrivals: boolean): Promise<Phase> {
  const { args } = ctx
  const workers = ctx.workers!
  const conn = await workers.all<ConnectResult>((i) => ({ cmd: 'connect', url: ctx.server!.url, users: plans[i]!.users, relay: false, concurrency: args.concurrency, client: args.client }))
  const failed = conn.reduce((n, c) => n + c.failed, 0)
  if (failed > 0) throw new Error(`${failed} sockets failed to connect: ${JSON.stringify(conn.map((c) => c.errors))}`)
  const kind = args.scenario === 'push' ? 'push' : 'webhook'
  if (args.warmupS > 0) {
    const warmRate = Math.min(args.rate, 500)
    await measure(ctx, plans, warmRate, Math.max(args.warmupS, Math.ceil(plans.reduce((n, p) => n + p.convs.length, 0) / warmRate) + 1), `${label} warm-up`, true)
    await workers.all<Receipts>(() => ({ cmd: 'receipts', waitMs: arrivals ? args.drainS * 1000 : 0 }))
    await sleep(1000)
  }
  const depth = queueDepth(ctx.db, kind)
  const r = await measure(ctx, plans, args.rate, args.durationS, label, true)
  if (!arrivals) await sleep(3000) // time for any push or call that should not come
  const parts = await workers.all<Receipts>(() => ({ cmd: 'receipts', waitMs: arrivals ? args.drainS * 1000 : 0 }))
  await sleep(1000) // one more sample: the queue after the last arrival
  const { timeline, max } = depth.stop()
  await workers.all(() => ({ cmd: 'disconnect' }))
  const latency = new Histogram()
  const sum = (k: 'expected' | 'received' | 'duplicates' | 'stray' | 'refused'): number => parts.reduce((n, p) => n + p[k], 0)
  for (const p of parts) latency.merge(p.latency)
  const o = arrivals
    ? outcome(sum('expected'), sum('received'), sum('duplicates'), sum('stray'), sum('refused'), latency, parts.flatMap((p) => p.missing).slice(0, 5))
    : outcome(0, 0, 0, sum('stray'), sum('refused'), new Histogram(), [], sum('received') + sum('duplicates'))
  log(`${label}: ${kind} ${o.received}/${o.expected} received, lost ${o.lost} dup ${o.duplicates} stray ${o.stray} unexpected ${o.unexpected} refused ${o.refused}; ` +
    `from due time p50/p99/max ${o.p50Ms}/${o.p99Ms}/${o.maxMs} ms; queue max ${JSON.stringify(max)}`)
  log(`${label}: queue every 1 s (${Object.keys(max).join('/')}): ${timeline.map((p) => Object.entries(p).filter(([k]) => k !== 'tS').map(([, v]) => v).join('/')).join(' ')}`)
  return { ...r, outbound: o, queueMax: max, queueTimeline: timeline }
}

function outcome (expected: number, received: number, duplicates: number, stray: number, refused: number, latency: Histogram, missing: string[], unexpected = 0): Phase['outbound'] {
  return {
    expected,
    received,
    lost: expected - received,
    duplicates,
    stray,
    unexpected,
    refused,
    p50Ms: round2(latency.quantile(0.5)),
    p99Ms: round2(latency.quantile(0.99)),
    maxMs: round2(latency.max),
    missing
  }
}

/** Recipient 2k+1 subscribed on the receiver of worker k % W (that worker's (k div W)-th device). */
async function seedSubscriptions (db: BenchDb, convCount: number, started: ReceiverStarted[]): Promise<void> {
  const rows = Array.from({ length: convCount }, (_, k) => ({ user: userId(2 * k + 1), sub: started[k % started.length]!.subscriptions[Math.floor(k / started.length)]! }))
  await db.query(`INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth)
    SELECT gen_random_uuid(), u, e, p, a FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS t(u, e, p, a)`,
  [rows.map((r) => r.user), rows.map((r) => r.sub.endpoint), rows.map((r) => r.sub.keys.p256dh), rows.map((r) => r.sub.keys.auth)])
}

/** A bot in every group, owned by its first member, its webhook on worker k % W's receiver, its cursor at the group's last message. */
async function seedBots (db: BenchDb, convCount: number, size: number, urls: string[], secret: string): Promise<void> {
  const ks = Array.from({ length: convCount }, (_, k) => k)
  await db.query(`INSERT INTO users (id, username, display_name, password_hash, is_bot)
    SELECT b, 'bench_bot_' || k, 'Bench bot ' || k, '!', true FROM unnest($1::uuid[], $2::int[]) AS t(b, k)`, [ks.map(botId), ks])
  await db.query(`INSERT INTO bots (user_id, owner_id, token_hash, token_issued_at, webhook_url, webhook_secret, webhook_since)
    SELECT b, o, md5(b::text), now(), url, $4, now() FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS t(b, o, url)`,
  [ks.map(botId), ks.map((k) => userId(k * size)), ks.map((k) => urls[k % urls.length]!), secret])
  await db.query(`INSERT INTO conversation_members (conversation_id, user_id) SELECT g, b FROM unnest($1::uuid[], $2::uuid[]) AS t(g, b)`,
    [ks.map(groupId), ks.map(botId)])
  await db.query(`INSERT INTO webhook_cursors (bot_id, conversation_id, seq)
    SELECT b, g, c.last_seq FROM unnest($1::uuid[], $2::uuid[]) AS t(b, g) JOIN conversations c ON c.id = g
    ON CONFLICT (bot_id, conversation_id) DO UPDATE SET seq = EXCLUDED.seq`, [ks.map(botId), ks.map(groupId)])
}
