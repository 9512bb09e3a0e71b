import type { Args } from '../lib/args.js'
import { Context, loadAverage } from '../lib/context.js'
import { seedGroups, seedUsers } from '../lib/database.js'
import { Histogram, round2 } from '../lib/histogram.js'
import { groupId, userId } from '../lib/ids.js'
import { log } from '../lib/log.js'
import { Sampler } from '../lib/proc.js'
import type { ReactResult } from '../lib/react-load.js'
import type { BenchResult } from '../lib/result.js'
import type { ConnectResult, UserSpec } from '../worker.js'

/**
 * `--users` (default 200) members of one group react to one message at `--rate` reactions/s
 * (default 1,000) for `--duration` s (default 10): every op adds or removes one of 20 emojis
 * (each user cycles through three of them: the per-member limit),
 * open-loop, timed from its due time. Then the message's stored counts are compared with
 * what the acks promised (`countsMatch`): many users on one message must lose nothing.
 * Every acked change also fans out `message:updated` to all members (`updatesReceived`).
 */
export async function reactions (args: Args): Promise<BenchResult> {
  const ctx = await Context.create(args, async (db) => {
    await seedUsers(db, args.users)
    await seedGroups(db, 1, args.users)
  })
  try {
    const server = await ctx.startServer()
    const workers = ctx.startWorkers()
    const conversationId = groupId(0)
    const owner = ctx.token(userId(0))
    const posted = await fetch(`${server.url}/api/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json' },
      body: JSON.stringify({ clientMsgId: 'bench-react-target', type: 'text', content: 'react to me' })
    })
    if (!posted.ok) throw new Error(`the target message was refused: ${posted.status} ${await posted.text()}`)
    const messageId = (await posted.json() as { id: string }).id

    const users: UserSpec[][] = Array.from({ length: workers.size }, () => [])
    for (let i = 0; i < args.users; i++) users[i % workers.size]!.push({ id: userId(i), token: ctx.token(userId(i)), rooms: [conversationId] })
    const conn = await workers.all<ConnectResult>((i) => ({ cmd: 'connect', url: server.url, users: users[i]!, relay: false, concurrency: args.concurrency, client: args.client }))
    const failed = conn.reduce((n, c) => n + c.failed, 0)
    if (failed > 0) throw new Error(`${failed} sockets failed to connect: ${JSON.stringify(conn.map((c) => c.errors))}`)
    log(`${args.users} sockets connected; reacting to ${messageId}`)

    const serverUsage = new Sampler(() => [server.pid])
    const genUsage = new Sampler(() => workers.pids())
    serverUsage.start()
    genUsage.start()
    const startAt = Date.now() + 500
    const parts = await workers.all<ReactResult>(() => ({
      cmd: 'react', messageId, rate: args.rate / workers.size, durationMs: args.durationS * 1000, startAt, drainMs: args.drainS * 1000
    }))
    const srv = serverUsage.stop()
    const gen = genUsage.stop()

    const ack = new Histogram()
    const lag = new Histogram()
    const errors: Record<string, number> = {}
    const expected: Record<string, number> = {}
    let sent = 0
    let acked = 0
    let updates = 0
    for (const p of parts) {
      sent += p.sent
      acked += p.acked
      updates += p.updates
      ack.merge(p.ack)
      lag.merge(p.lag)
      for (const [k, v] of Object.entries(p.ackErrors)) errors[k] = (errors[k] ?? 0) + v
      for (const [e, n] of Object.entries(p.counts)) expected[e] = (expected[e] ?? 0) + n
    }

    // Counted only once the server says no reaction work is left (ops queued or in a batch,
    // coalesced updates owed): relay_reactions_in_flight 0. A server without the gauge (an
    // older build) is read at once, as before.
    const settled = await noReactionsInFlight(server.url, 60_000)
    log(settled.gauge ? `no reaction work in flight after ${settled.waitedMs} ms` : 'the server has no relay_reactions_in_flight gauge: counts read at once')

    // What the server stored, read back as any member would.
    const page = await fetch(`${server.url}/api/conversations/${conversationId}/messages?after=0&limit=1`, { headers: { authorization: `Bearer ${owner}` } })
    const stored = (await page.json() as { messages: Array<{ id: string, reactions: Array<{ emoji: string, count: number }> }> }).messages[0]
    const actual: Record<string, number> = {}
    for (const r of stored?.reactions ?? []) actual[r.emoji] = r.count
    const emojis = new Set([...Object.keys(expected), ...Object.keys(actual)])
    const mismatches: Record<string, { acked: number, stored: number }> = {}
    for (const e of emojis) if ((expected[e] ?? 0) !== (actual[e] ?? 0)) mismatches[e] = { acked: expected[e] ?? 0, stored: actual[e] ?? 0 }
    const countsMatch = stored?.id === messageId && Object.keys(mismatches).length === 0

    const result: BenchResult = {
      scenario: args.scenario,
      db: args.db,
      target: 'server',
      rate: args.rate,
      durationS: args.durationS,
      users: args.users,
      sent,
      acked,
      delivered: null,
      lost: null,
      duplicates: null,
      throughput: round2(acked / args.durationS),
      ackP50Ms: round2(ack.quantile(0.5)),
      ackP99Ms: round2(ack.quantile(0.99)),
      ackMaxMs: round2(ack.max),
      deliveryP50Ms: null,
      deliveryP99Ms: null,
      generatorLagP99Ms: round2(lag.quantile(0.99)),
      serverCpuPct: round2(srv.cpuPct),
      serverRssMb: round2(srv.rssMaxMb),
      generatorCpuPct: round2(gen.cpuPct),
      serverRunqWaitPct: round2(srv.runqWaitPct),
      generatorRunqWaitPct: round2(gen.runqWaitPct),
      loadAvg: loadAverage(),
      countsMatch,
      reactionsStored: Object.values(actual).reduce((a, b) => a + b, 0),
      reactionsExpected: Object.values(expected).reduce((a, b) => a + b, 0),
      mismatches,
      updatesReceived: updates,
      settledAfterMs: settled.waitedMs,
      errors
    }
    log(`reactions: ${acked}/${sent} acked, ${result.throughput}/s, ack p50/p99 ${result.ackP50Ms}/${result.ackP99Ms} ms, ` +
      `counts ${countsMatch ? 'match' : 'DIFFER ' + JSON.stringify(mismatches)} (${result.reactionsStored as number} held), ` +
      `${updates} message:updated received, server cpu ${result.serverCpuPct}%` +
      `${Object.keys(errors).length > 0 ? ' errors ' + JSON.stringify(errors) : ''}`)
    if (args.baseline) log('--baseline: the relay has no reactions; nothing to compare')
    return result
  } finally {
    await ctx.close()
  }
}

/** Polls GET /metrics until relay_reactions_in_flight is 0 (or absent: an older server), at most `timeoutMs`. */
async function noReactionsInFlight (url: string, timeoutMs: number): Promise<{ gauge: boolean, waitedMs: number }> {
  const started = Date.now()
  for (;;) {
    const text = await (await fetch(`${url}/metrics`)).text()
    const value = /^relay_reactions_in_flight (\S+)$/m.exec(text)?.[1]
    if (value === undefined) return { gauge: false, waitedMs: 0 }
    if (Number(value) === 0) return { gauge: true, waitedMs: Date.now() - started }
    if (Date.now() - started > timeoutMs) throw new Error(`reaction work still in flight after ${timeoutMs} ms (${value})`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
