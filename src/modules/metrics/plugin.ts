import fp from 'fastify-plugin'
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { unauthorized } from '../../lib/errors.js'
import { observeBatches } from '../../lib/send-stats.js'
import { Counter } from 'prom-client'
import { createMetrics } from './registry.js'

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/** Bearer check in constant time: both sides hashed first, so lengths never differ. */
export function bearerMatches (header: string | undefined, token: string): boolean {
  const match = typeof header === 'string' ? /^Bearer (\S+)$/i.exec(header) : null
  return timingSafeEqual(digest(match?.[1] ?? ''), digest(token)) && match !== null
}

/**
 * Prometheus metrics at GET /metrics (text format), behind METRICS_TOKEN when set. Sources:
 * an onResponse hook (HTTP), the realtime dispatcher's answered-event observer (events, send
 * latency), connect/disconnect hooks, the send batcher's stats hook, the pool, Redis errors.
 */
export default fp(async (app) => {
  const m = createMetrics()
  const token = app.config.METRICS_TOKEN

  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    // The route pattern, not the URL: ids would make one series per resource. Unmatched: 404s.
    const route = request.routeOptions.url ?? 'unmatched'
    m.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000)
  })

  app.realtime.onConnect(() => { m.socketConnections.inc() })
  app.realtime.onDisconnect(() => { m.socketConnections.dec() })
  app.realtime.onEventAnswered((event, outcome, seconds) => {
    m.socketEvents.inc({ event, outcome })
    if (event === 'message:send' && outcome === 'ok') m.sendLatency.observe(seconds)
  })
  const unobserve = observeBatches((size, queued) => {
    m.batchSize.observe(size)
    m.queueDepth.set(queued)
  })
  app.addHook('onClose', async () => { unobserve() })
  app.realtime.redis?.on('error', () => { m.redisErrors.inc() })
  const beforeSend = app.beforeSend
  if (beforeSend !== undefined) {
    // Read at scrape time from the hook's own counters (messages/before-send.ts).
    m.registry.registerMetric(new Counter({
      name: 'relay_before_send_failures_total',
      help: 'Before-send hook calls that timed out, failed or answered nonsense, by the policy applied (allow or reject)',
      labelNames: ['policy'] as const,
      registers: [],
      collect () {
        const counts = beforeSend.failures()
        this.reset()
        this.inc({ policy: 'allow' }, counts.allow)
        this.inc({ policy: 'reject' }, counts.reject)
      }
    }))
  }

  const merger = app.searchIndexMerger
  if (merger !== undefined) {
    // Read at scrape time from the merger's totals (search/index-merger.ts).
    const counter = (name: string, help: string, pick: (t: ReturnType<typeof merger.stats>) => number): Counter => new Counter({
      name,
      help,
      registers: [],
      collect () { this.reset(); this.inc(pick(merger.stats())) }
    })
    m.registry.registerMetric(counter('relay_search_index_merges_total', 'Merges of the search indexes\' pending lists done by this node', (t) => t.merges))
    m.registry.registerMetric(counter('relay_search_index_merged_pages_total', 'Pending-list pages merged into the search indexes by this node', (t) => t.pages))
    m.registry.registerMetric(counter('relay_search_index_merge_seconds_total', 'Time this node spent merging the search indexes\' pending lists', (t) => t.seconds))
  }

  app.get('/metrics', {
    schema: { hide: true },
    logLevel: 'warn'
  }, async (request, reply) => {
    if (token !== undefined && !bearerMatches(request.headers.authorization, token)) throw unauthorized('Missing or invalid metrics token')
    const pool = app.dbPoolStats?.()
    m.dbPoolInUse.set(pool === undefined ? 0 : pool.total - pool.idle)
    m.dbPoolWaiting.set(pool?.waiting ?? 0)
    m.reactionsInFlight.set(app.hasDecorator('messageChanges') ? app.messageChanges.reactionsInFlight() : 0)
    return await reply.type(m.registry.contentType).send(await m.registry.metrics())
  })
}, { name: 'metrics', dependencies: ['config', 'db', 'realtime'] })
