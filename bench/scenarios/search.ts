import type { Args } from '../lib/args.js'
import { Context, loadAverage } from '../lib/context.js'
import { seedPairs, seedUsers, type BenchDb } from '../lib/database.js'
import { Histogram, round2 } from '../lib/histogram.js'
import { userId } from '../lib/ids.js'
import { log } from '../lib/log.js'
import type { BenchResult } from '../lib/result.js'

/** Conversations the messages are spread over; the searcher (user 0) is in the first only. */
const PAIRS = 10

/**
 * Queries: a common and a rare term per language. Within each conversation, message k is
 * English when k is even, Chinese when odd; each language's rows carry one of six words
 * (1 in 12 rows of the conversation each), "zephyr" / 长城 once every 20,014 rows.
 */
const TERMS: Array<{ name: string, q: string }> = [
  { name: 'enCommon', q: 'coffee' },
  { name: 'enRare', q: 'zephyr' },
  { name: 'zhCommon', q: '北京' },
  { name: 'zhRare', q: '长城' }
]

/** `count` text messages, half English and half Chinese, round-robin over the PAIRS conversations. */
async function seedMixed (db: BenchDb, count: number): Promise<void> {
  await db.query(`INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, type, content, created_at)
    SELECT md5('m' || s)::uuid, md5('c' || (s % ${PAIRS}))::uuid, k + 1, md5('u' || (2 * (s % ${PAIRS}) + k % 2))::uuid, md5('cm' || s), 'text',
      to_jsonb(CASE WHEN k % 2 = 0
        THEN (ARRAY['running','meeting','coffee','project','deploy','review'])[1 + (k / 2) % 6] || ' note, ' ||
             (ARRAY['alpha','bravo','charlie','delta'])[1 + (k / 7) % 4] || ' number ' || s || CASE WHEN k % 20014 = 0 THEN ' zephyr' ELSE '' END
        ELSE (ARRAY['今天','明天','我们','北京','上海','开会'])[1 + (k / 2) % 6] ||
             (ARRAY['天气很好','去吃饭','讨论项目','看电影'])[1 + (k / 7) % 4] || '第' || s || '条' || CASE WHEN k % 20014 = 1 THEN '长城' ELSE '' END
      END),
      now() - ($1::int - s) * interval '100 milliseconds'
    FROM (SELECT s, s / ${PAIRS} AS k FROM generate_series(0, $1::int - 1) s) g`, [count])
  await db.query(`UPDATE conversations c SET last_seq = x.n, last_message_at = now()
    FROM (SELECT conversation_id, max(seq) AS n FROM messages GROUP BY conversation_id) x WHERE x.conversation_id = c.id`)
  await db.query('ANALYZE')
}

/**
 * `--messages` messages (default 1,000,000), mixed English/Chinese, seeded with
 * generate_series over 10 direct conversations; user 0 searches (first page, 20 results)
 * for each term `--requests` times, one request at a time, from this process.
 */
export async function search (args: Args): Promise<BenchResult> {
  const ctx = await Context.create(args, async (db) => {
    await seedUsers(db, 2 * PAIRS)
    await seedPairs(db, PAIRS)
    await seedMixed(db, args.messages)
  })
  try {
    const server = await ctx.startServer()
    const headers = { authorization: `Bearer ${ctx.token(userId(0))}` }
    const once = async (q: string): Promise<{ ms: number, hits: number, status: number }> => {
      const started = performance.now()
      const res = await fetch(`${server.url}/api/search/messages?limit=20&q=${encodeURIComponent(q)}`, { headers })
      const body = await res.json() as unknown[]
      return { ms: performance.now() - started, hits: Array.isArray(body) ? body.length : 0, status: res.status }
    }
    const requests = Math.max(1, args.rate)
    const perTerm: Record<string, { p50Ms: number | null, p99Ms: number | null, maxMs: number | null, hits: number }> = {}
    const errors: Record<string, number> = {}
    for (const term of TERMS) {
      for (let i = 0; i < Math.min(10, requests); i++) await once(term.q) // warm the plan and cache
      const h = new Histogram()
      let hits = 0
      for (let i = 0; i < requests; i++) {
        const r = await once(term.q)
        if (r.status !== 200) errors[String(r.status)] = (errors[String(r.status)] ?? 0) + 1
        hits = r.hits
        h.record(r.ms)
      }
      perTerm[term.name] = { p50Ms: round2(h.quantile(0.5)), p99Ms: round2(h.quantile(0.99)), maxMs: round2(h.max), hits }
      log(`search ${term.name} "${term.q}": p50/p99 ${perTerm[term.name]!.p50Ms}/${perTerm[term.name]!.p99Ms} ms, ${hits} hits on the first page`)
    }
    return {
      scenario: args.scenario,
      db: args.db,
      target: 'server',
      rate: requests,
      durationS: null,
      users: 1,
      sent: requests * TERMS.length,
      acked: null,
      delivered: null,
      lost: null,
      duplicates: null,
      throughput: null,
      ackP50Ms: null,
      ackP99Ms: null,
      deliveryP50Ms: null,
      deliveryP99Ms: null,
      serverCpuPct: null,
      serverRssMb: null,
      generatorCpuPct: null,
      loadAvg: loadAverage(),
      messages: args.messages,
      terms: perTerm,
      errors
    }
  } finally {
    await ctx.close()
  }
}
