import fp from 'fastify-plugin'
import { randomUUID } from 'node:crypto'
import type { SqlClient } from '../../db/drivers.js'
import { createOutboundAgents, type AllowedHosts, type OutboundAgents } from '../../lib/outbound-url.js'
import { backoffMs, postSigned } from '../../lib/signed-post.js'

declare module 'fastify' {
  interface FastifyInstance {
    appEvents: AppEvents
  }
}

export interface AppEvents {
  /** Whether this node records app events (APP_EVENTS_URL is set). */
  enabled: boolean
  /** Looks for due streams now and waits until every pass in hand is done (tests). */
  idle: () => Promise<void>
}

/** The event types an app receives (docs/protocol.md, "App events"). */
export const APP_EVENT_TYPES = ['user.created', 'user.online', 'user.offline', 'conversation.created', 'message.sent', 'member.joined', 'member.left'] as const

/** The pg-boss queue of app-event work: one job per stream with pending events. */
export const APP_EVENTS_QUEUE = 'app-events'
/** Streams worked at once per node. */
const CONCURRENCY = 4
/** Streams picked per look. */
const BATCH = 32

// Streams with pending events, not backing off, not leased.
const DUE_SQL = `
SELECT DISTINCT e.stream FROM app_events e
LEFT JOIN app_event_streams s ON s.stream = e.stream
WHERE (s.next_attempt_at IS NULL OR s.next_attempt_at <= now()) AND (s.lease_until IS NULL OR s.lease_until < now())
LIMIT ${BATCH}`

// Takes the stream's lease unless another node holds it or it is backing off.
const CLAIM_SQL = `
INSERT INTO app_event_streams (stream, lease_id, lease_until, updated_at) VALUES ($1, $2::uuid, now() + make_interval(secs => $3::int), now())
ON CONFLICT (stream) DO UPDATE SET lease_id = EXCLUDED.lease_id, lease_until = EXCLUDED.lease_until, updated_at = now()
WHERE (app_event_streams.lease_until IS NULL OR app_event_streams.lease_until < now())
  AND (app_event_streams.next_attempt_at IS NULL OR app_event_streams.next_attempt_at <= now())
RETURNING attempts`

// The stream's oldest pending event: ids within a stream follow commit order (the migration says why).
// (By the column, not the text alias: as text, event 10 would come before event 9.) Read a
// page at a time: on PGlite's one connection every statement of the worker waits beside the sends.
const NEXT_SQL = `SELECT e.id::text AS id, e.type, e.data, e.created_at FROM app_events e WHERE e.stream = $1 ORDER BY e.id LIMIT ${BATCH}`

const LOG_SQL = 'INSERT INTO app_event_deliveries (id, event_id, stream, type, attempt, status, response_code, error) SELECT $4::uuid, $5::bigint, $1, $6, $7::int, $8, $9::int, $10 FROM lease'

// Delivered or given up: the log row, the event's deletion and the lease's renewal in one statement (all or nothing, only while the lease is ours).
const DONE_SQL = `
WITH lease AS (UPDATE app_event_streams SET attempts = 0, next_attempt_at = NULL, lease_until = now() + make_interval(secs => $3::int), updated_at = now()
  WHERE stream = $1 AND lease_id = $2::uuid RETURNING stream),
logged AS (${LOG_SQL}),
gone AS (DELETE FROM app_events WHERE id = $5::bigint AND EXISTS (SELECT 1 FROM lease))
SELECT count(*)::int AS n FROM lease`

// Failed: the log row and the stream's backoff; the lease is given back.
const FAIL_SQL = `
WITH lease AS (UPDATE app_event_streams SET attempts = $7::int, next_attempt_at = now() + make_interval(secs => $3::double precision), lease_id = NULL, lease_until = NULL, updated_at = now()
  WHERE stream = $1 AND lease_id = $2::uuid RETURNING stream)
${LOG_SQL}`

// Caught up: the stream's row goes (a later event makes the stream due again by itself).
const RELEASE_SQL = 'DELETE FROM app_event_streams WHERE stream = $1 AND lease_id = $2::uuid'

interface Pending { id: string, type: string, data: unknown, created_at: Date | string }

export interface AppEventWorkerOptions {
  sql: SqlClient
  url: string
  secret: string
  allowedHosts: AllowedHosts
  maxAgeS: number
  retryBaseMs: number
  timeoutMs: number
  agents?: OutboundAgents
}

/**
 * App-event delivery, as bot webhooks are delivered (bots/webhooks.ts), from committed rows:
 * a node takes a stream's lease, POSTs its events one at a time in id order, and after each
 * answer deletes the event and logs the attempt in one statement (2xx: delivered; failure:
 * the stream backs off with jitter and keeps its place, so nothing after it overtakes it;
 * older than WEBHOOK_MAX_AGE_S: given up). A process killed at any point loses nothing: the
 * lease runs out and any node carries on, repeating at most the event in flight (receivers
 * dedupe on its id, also sent as Idempotency-Key).
 */
export function createAppEventWorker (opts: AppEventWorkerOptions) {
  const { sql } = opts
  const agents = opts.agents ?? createOutboundAgents({ maxSockets: 16 })
  const leaseS = Math.ceil(opts.timeoutMs / 1000) + 5
  let closed = false

  async function work (stream: string): Promise<void> {
    const leaseId = randomUUID()
    const claimed = (await sql.query<{ attempts: number }>(CLAIM_SQL, [stream, leaseId, leaseS], 'app_events_claim'))[0]
    if (claimed === undefined) return
    let attempts = claimed.attempts
    let page: Pending[] = []
    while (!closed) {
      if (page.length === 0) page = await sql.query<Pending>(NEXT_SQL, [stream], 'app_events_next')
      const next = page.shift()
      if (next === undefined) break
      const attempt = attempts + 1
      const done = async (status: string, code: number | null, error: string | null): Promise<boolean> =>
        (await sql.query<{ n: number }>(DONE_SQL, [stream, leaseId, leaseS, randomUUID(), next.id, next.type, attempt, status, code, error], 'app_events_done'))[0]?.n === 1
      if (Date.now() - new Date(next.created_at).getTime() > opts.maxAgeS * 1000) {
        if (!await done('gave_up', null, `older than WEBHOOK_MAX_AGE_S (${opts.maxAgeS} s) after ${attempts} attempt(s)`)) return
        attempts = 0
        continue
      }
      const body = JSON.stringify({ id: next.id, type: next.type, createdAt: new Date(next.created_at).toISOString(), data: next.data })
      const result = await postSigned({ url: opts.url, secret: opts.secret, idempotencyKey: next.id, body, userAgent: 'relay-im-app-events', timeoutMs: opts.timeoutMs }, { allowedHosts: opts.allowedHosts, agents })
      if (result.ok) {
        if (!await done('delivered', result.code, null)) return
        attempts = 0
        continue
      }
      await sql.query(FAIL_SQL, [stream, leaseId, backoffMs(opts.retryBaseMs, attempt) / 1000, randomUUID(), next.id, next.type, attempt, 'failed', result.code, result.error], 'app_events_fail')
      // Due again at next_attempt_at: the relay's next look after it enqueues the stream.
      return
    }
    await sql.query(RELEASE_SQL, [stream, leaseId], 'app_events_release')
  }

  return {
    due: async (): Promise<string[]> => (await sql.query<{ stream: string }>(DUE_SQL, [], 'app_events_due')).map((r) => r.stream),
    work,
    close (): void {
      closed = true
      if (opts.agents === undefined) agents.destroy()
    }
  }
}

/**
 * App events on the job queue (src/plugins/jobs.ts), beside bot webhooks. Only with
 * APP_EVENTS_URL: the triggers record nothing otherwise (src/db/drivers.ts sets the session
 * flag), and this plugin registers nothing. The relay (worker nodes, every RELAY_INTERVAL_MS
 * and at once on `idle`) enqueues one job per due stream ('short' policy with the stream as
 * singleton key: at most one queued per stream, and one node at a time works it under its
 * lease), so each stream is delivered serially, in order.
 */
export default fp(async (app) => {
  const { config, jobs } = app
  const url = config.APP_EVENTS_URL
  const secret = config.APP_EVENTS_SECRET
  if (url === undefined || secret === undefined) {
    app.decorate('appEvents', { enabled: false, idle: async () => {} } satisfies AppEvents)
    return
  }
  const worker = createAppEventWorker({
    sql: app.sql,
    url,
    secret,
    allowedHosts: config.outboundAllowedHosts,
    maxAgeS: config.WEBHOOK_MAX_AGE_S,
    retryBaseMs: config.WEBHOOK_RETRY_BASE_MS,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS
  })
  const inFlight = new Set<Promise<void>>()
  await jobs.queue(APP_EVENTS_QUEUE, { policy: 'short', retryLimit: 5, retryDelay: 1, retryBackoff: true, expireInSeconds: config.JOBS_EXPIRE_S })
  await jobs.work<{ stream: string }>(APP_EVENTS_QUEUE, { batchSize: CONCURRENCY }, async (batch) => {
    await Promise.all(batch.map(async (job) => {
      const p = worker.work(job.data.stream)
      inFlight.add(p)
      try { await p } finally { inFlight.delete(p) }
    }))
  })
  jobs.relay(async () => {
    let sent = 0
    for (const stream of await worker.due()) {
      if (await jobs.boss.send(APP_EVENTS_QUEUE, { stream }, { singletonKey: stream }) !== null) sent++
    }
    return sent
  }, [APP_EVENTS_QUEUE])
  app.addHook('preClose', async () => {
    worker.close()
    while (inFlight.size > 0) await Promise.allSettled([...inFlight])
  })
  app.decorate('appEvents', {
    enabled: true,
    idle: async () => {
      await jobs.flush().catch(() => 0)
      while (inFlight.size > 0) await Promise.allSettled([...inFlight])
    }
  } satisfies AppEvents)
}, { name: 'app-events', dependencies: ['config', 'db', 'jobs'] })
