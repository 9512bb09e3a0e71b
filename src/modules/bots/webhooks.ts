import fp from 'fastify-plugin'
import { createHmac, randomUUID } from 'node:crypto'
import { createOutboundAgents, outboundRequest, type AllowedHosts, type OutboundAgents } from '../../lib/outbound-url.js'
import type { SqlClient } from '../../db/drivers.js'
import { MESSAGE_BY_ID_SQL, toMessage, toNewMessageEvent, type MessageRow } from '../conversations/rows.js'

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: Webhooks
  }
}

export interface Webhooks {
  /** A message committed for these members: starts delivering at once when one is a bot with a webhook. */
  notify: (memberIds: readonly string[]) => void
  /** Looks for due deliveries now (also runs every WEBHOOK_POLL_MS). */
  kick: () => void
  /** Resolves when no pass is running (tests). */
  idle: () => Promise<void>
}

/** How often each node looks for due deliveries in the database (kicks make it sooner). */
export const WEBHOOK_POLL_MS = 1000
/** Keys worked at once per node. */
const CONCURRENCY = 4
/** Keys picked per look. */
const BATCH = 32
/** Longest wait between two attempts. */
const MAX_BACKOFF_MS = 3_600_000
/** What the delivery log keeps of a receiver's error or answer. */
const ERROR_CHARS = 200

export const SIGNATURE_HEADER = 'x-relay-signature'

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>` */
export function signature (secret: string, body: string, nowS = Math.floor(Date.now() / 1000)): string {
  return `t=${nowS},v1=${createHmac('sha256', secret).update(`${nowS}.${body}`).digest('hex')}`
}

/** The wait before attempt n+1 after n failures: base·2^(n-1), capped, with jitter (between half and all of it). */
export function backoffMs (baseMs: number, failures: number, random = Math.random): number {
  const full = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, Math.min(failures - 1, 40)))
  return Math.round(full / 2 + random() * full / 2)
}

interface Key { bot_id: string, conversation_id: string }
interface Cursor { seq: number, attempts: number }
interface NextMessage { id: string, seq: number, sender_id: string, created_at: Date | string, recalled_at: Date | string | null }

export interface WorkerOptions {
  sql: SqlClient
  allowedHosts: AllowedHosts
  maxAgeS: number
  retryBaseMs: number
  timeoutMs: number
  log: { warn: (obj: object, msg: string) => void }
  agents?: OutboundAgents
}

/** Not deleted and not suspended now (a suspension with a past `until` has lifted itself). */
const ACTIVE = (u: string): string => `${u}.deleted_at IS NULL AND (${u}.suspended_at IS NULL OR (${u}.suspended_until IS NOT NULL AND ${u}.suspended_until <= now()))`

// Due keys: a bot with a webhook (bot and owner neither deleted nor suspended), a conversation it is in with a message beyond its cursor
// (or no cursor yet and activity since the webhook was set), not backing off, not leased.
const DUE_SQL = `
SELECT b.user_id AS bot_id, m.conversation_id
FROM bots b
JOIN users bu ON bu.id = b.user_id
JOIN users bo ON bo.id = b.owner_id
JOIN conversation_members m ON m.user_id = b.user_id
JOIN conversations c ON c.id = m.conversation_id
LEFT JOIN webhook_cursors w ON w.bot_id = b.user_id AND w.conversation_id = m.conversation_id
WHERE b.webhook_url IS NOT NULL
  AND ${ACTIVE('bu')} AND ${ACTIVE('bo')}
  AND c.last_seq > coalesce(w.seq, 0)
  AND coalesce(c.last_message_at, c.created_at) >= b.webhook_since
  AND (w.next_attempt_at IS NULL OR w.next_attempt_at <= now())
  AND (w.lease_until IS NULL OR w.lease_until < now())
ORDER BY coalesce(w.next_attempt_at, c.last_message_at)
LIMIT ${BATCH}`

// Where a new cursor starts: before the first message sent once both the webhook was set and
// the bot had joined (no history replay); past the last message when there is none yet.
const START_SQL = `
SELECT coalesce(
  (SELECT x.seq - 1 FROM messages x WHERE x.conversation_id = $2::uuid AND x.created_at >= greatest(b.webhook_since, m.joined_at) ORDER BY x.seq LIMIT 1),
  c.last_seq) AS seq
FROM bots b
JOIN conversation_members m ON m.user_id = b.user_id AND m.conversation_id = $2::uuid
JOIN conversations c ON c.id = m.conversation_id
WHERE b.user_id = $1::uuid AND b.webhook_since IS NOT NULL`

// Takes the key's lease unless another node holds it or it is backing off.
const CLAIM_SQL = `
INSERT INTO webhook_cursors (bot_id, conversation_id, seq, lease_id, lease_until, updated_at)
VALUES ($1::uuid, $2::uuid, $3::int, $4::uuid, now() + make_interval(secs => $5::int), now())
ON CONFLICT (bot_id, conversation_id) DO UPDATE SET lease_id = EXCLUDED.lease_id, lease_until = EXCLUDED.lease_until
WHERE (webhook_cursors.lease_until IS NULL OR webhook_cursors.lease_until < now())
  AND (webhook_cursors.next_attempt_at IS NULL OR webhook_cursors.next_attempt_at <= now())
RETURNING seq, attempts`

const NEXT_SQL = `SELECT id, seq, sender_id, created_at, recalled_at FROM messages WHERE conversation_id = $1::uuid AND seq > $2::int ORDER BY seq LIMIT 1`
const BOT_SQL = `SELECT b.webhook_url, b.webhook_secret FROM bots b JOIN users bu ON bu.id = b.user_id JOIN users bo ON bo.id = b.owner_id WHERE b.user_id = $1::uuid AND ${ACTIVE('bu')} AND ${ACTIVE('bo')}`

// The log row and the cursor move in one statement: both or neither.
const LOG_COLUMNS = '(id, bot_id, conversation_id, message_id, seq, attempt, status, response_code, error, created_at)'
const LOG_VALUES = '($6::uuid, $1::uuid, $2::uuid, $7::uuid, $8::int, $9::int, $10, $11::int, $12, now())'
const ADVANCE_SQL = `
WITH logged AS (INSERT INTO webhook_deliveries ${LOG_COLUMNS} SELECT * FROM (VALUES ${LOG_VALUES}) v WHERE $13::boolean)
UPDATE webhook_cursors SET seq = $3::int, attempts = 0, next_attempt_at = NULL, lease_until = now() + make_interval(secs => $5::int), updated_at = now()
WHERE bot_id = $1::uuid AND conversation_id = $2::uuid AND lease_id = $4::uuid
RETURNING seq`
const FAIL_SQL = `
WITH logged AS (INSERT INTO webhook_deliveries ${LOG_COLUMNS} VALUES ${LOG_VALUES})
UPDATE webhook_cursors SET attempts = $9::int, next_attempt_at = now() + make_interval(secs => $3::double precision), lease_id = NULL, lease_until = NULL, updated_at = now()
WHERE bot_id = $1::uuid AND conversation_id = $2::uuid AND lease_id = $4::uuid AND $5::int IS NOT NULL
RETURNING seq`
const RELEASE_SQL = 'UPDATE webhook_cursors SET lease_id = NULL, lease_until = NULL WHERE bot_id = $1::uuid AND conversation_id = $2::uuid AND lease_id = $3::uuid RETURNING seq'

/**
 * Webhook delivery, derived from committed rows: for each (bot, conversation) a cursor row
 * says how far delivery got. A node takes a key's lease (a conditional upsert, so one node
 * works a key at a time), POSTs the messages after the cursor one by one in seq order, and
 * moves the cursor after each answer (2xx: delivered; failure: backoff with jitter; too old:
 * given up). Nothing is enqueued on the send path: a process killed at any point loses
 * nothing (the lease runs out and any node carries on), at the cost of at most one repeat of
 * the message in flight (receivers dedupe on Idempotency-Key).
 */
export function createWebhookWorker (opts: WorkerOptions) {
  const { sql } = opts
  const agents = opts.agents ?? createOutboundAgents({ maxSockets: 16 })
  const leaseS = Math.ceil(opts.timeoutMs / 1000) + 5
  const timers = new Set<NodeJS.Timeout>()
  let running: Promise<void> | undefined
  let again = false
  let closed = false

  const later = (ms: number): void => {
    const timer = setTimeout(() => { timers.delete(timer); kick() }, ms + 20)
    timer.unref()
    timers.add(timer)
  }

  async function post (url: string, secret: string, messageId: string, body: string): Promise<{ code: number | null, error: string | null, ok: boolean }> {
    try {
      const res = await outboundRequest(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'relay-im-webhook',
          'idempotency-key': messageId,
          [SIGNATURE_HEADER]: signature(secret, body)
        },
        body,
        timeoutMs: opts.timeoutMs,
        maxResponseBytes: 4096
      }, { allowedHosts: opts.allowedHosts, agents })
      const ok = res.status >= 200 && res.status < 300
      return { code: res.status, ok, error: ok ? null : (res.status >= 300 && res.status < 400 ? 'redirect not followed' : res.body.toString('utf8').slice(0, ERROR_CHARS) || null) }
    } catch (err) {
      return { code: null, ok: false, error: String((err as Error).message ?? err).slice(0, ERROR_CHARS) }
    }
  }

  /** Works one key while holding its lease; returns when caught up, backing off or the lease is lost. */
  async function work (key: Key): Promise<void> {
    const start = (await sql.query<{ seq: number }>(START_SQL, [key.bot_id, key.conversation_id], 'webhook_start'))[0]
    if (start === undefined) return
    const leaseId = randomUUID()
    const claimed = (await sql.query<Cursor>(CLAIM_SQL, [key.bot_id, key.conversation_id, start.seq, leaseId, leaseS], 'webhook_claim'))[0]
    if (claimed === undefined) return
    let { seq, attempts } = claimed
    const advance = async (to: number, log?: { messageId: string, attempt: number, status: string, code: number | null, error: string | null }): Promise<boolean> => {
      const rows = await sql.query(ADVANCE_SQL, [key.bot_id, key.conversation_id, to, leaseId, leaseS, randomUUID(), log?.messageId ?? randomUUID(), to, log?.attempt ?? 0, log?.status ?? '', log?.code ?? null, log?.error ?? null, log !== undefined], 'webhook_advance')
      seq = to
      attempts = 0
      return rows.length === 1
    }
    while (!closed) {
      const bot = (await sql.query<{ webhook_url: string | null, webhook_secret: string | null }>(BOT_SQL, [key.bot_id], 'webhook_bot'))[0]
      const next = (await sql.query<NextMessage>(NEXT_SQL, [key.conversation_id, seq], 'webhook_next'))[0]
      if (bot?.webhook_url == null || bot.webhook_secret === null || next === undefined) break
      // The bot's own messages and messages recalled before delivery are passed over.
      if (next.sender_id === key.bot_id || next.recalled_at !== null) {
        if (!await advance(next.seq)) return
        continue
      }
      if (Date.now() - new Date(next.created_at).getTime() > opts.maxAgeS * 1000) {
        const error = `older than WEBHOOK_MAX_AGE_S (${opts.maxAgeS} s) after ${attempts} attempt(s)`
        if (!await advance(next.seq, { messageId: next.id, attempt: Math.max(1, attempts), status: 'gave_up', code: null, error })) return
        continue
      }
      const row = (await sql.query<MessageRow>(MESSAGE_BY_ID_SQL, [next.id], 'message_by_id'))[0]
      if (row === undefined) {
        if (!await advance(next.seq)) return
        continue
      }
      const body = JSON.stringify({ event: 'message:new', botId: key.bot_id, data: toNewMessageEvent(toMessage(row)) })
      const result = await post(bot.webhook_url, bot.webhook_secret, next.id, body)
      const attempt = attempts + 1
      if (result.ok) {
        if (!await advance(next.seq, { messageId: next.id, attempt, status: 'delivered', code: result.code, error: null })) return
        continue
      }
      const waitMs = backoffMs(opts.retryBaseMs, attempt)
      await sql.query(FAIL_SQL, [key.bot_id, key.conversation_id, waitMs / 1000, leaseId, 0, randomUUID(), next.id, next.seq, attempt, 'failed', result.code, result.error], 'webhook_fail')
      later(waitMs)
      return
    }
    await sql.query(RELEASE_SQL, [key.bot_id, key.conversation_id, leaseId], 'webhook_release')
  }

  async function pass (): Promise<void> {
    do {
      again = false
      const keys = await sql.query<Key>(DUE_SQL, [], 'webhook_due')
      const queue = [...keys]
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
        for (let key = queue.shift(); key !== undefined && !closed; key = queue.shift()) {
          try {
            await work(key)
          } catch (err) {
            opts.log.warn({ err, botId: key.bot_id, conversationId: key.conversation_id }, 'webhook: delivery pass failed')
          }
        }
      }))
      if (keys.length === BATCH) again = true
    } while (again && !closed)
  }

  function kick (): void {
    if (closed) return
    if (running !== undefined) {
      again = true
      return
    }
    running = pass()
      .catch((err: unknown) => { opts.log.warn({ err }, 'webhook: looking for deliveries failed') })
      .finally(() => { running = undefined })
  }

  return {
    kick,
    idle: async () => { while (running !== undefined) await running },
    async close (): Promise<void> {
      closed = true
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      await running
      if (opts.agents === undefined) agents.destroy()
    }
  }
}

/**
 * The worker on this node (unless JOBS_WORKER=false): polls every WEBHOOK_POLL_MS, and is
 * kicked at once when a message reaches a bot that has a webhook.
 */
export default fp(async (app) => {
  const { config } = app
  const worker = createWebhookWorker({
    sql: app.sql,
    allowedHosts: config.outboundAllowedHosts,
    maxAgeS: config.WEBHOOK_MAX_AGE_S,
    retryBaseMs: config.WEBHOOK_RETRY_BASE_MS,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    log: app.log
  })
  const enabled = config.JOBS_WORKER
  let hooked = new Set<string>()
  const refresh = async (): Promise<void> => {
    const rows = await app.sql.query<{ user_id: string }>('SELECT user_id FROM bots WHERE webhook_url IS NOT NULL', [], 'webhook_bots')
    hooked = new Set(rows.map((r) => r.user_id))
  }
  let poller: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    if (!enabled) return
    await refresh()
    poller = setInterval(() => {
      refresh().catch(() => {})
      worker.kick()
    }, WEBHOOK_POLL_MS).unref()
    worker.kick()
  })
  app.addHook('preClose', async () => {
    clearInterval(poller)
    await worker.close()
  })
  app.decorate('webhooks', {
    notify: (memberIds) => {
      if (enabled && memberIds.some((id) => hooked.has(id))) worker.kick()
    },
    kick: () => {
      if (!enabled) return
      refresh().then(() => { worker.kick() }, () => {})
    },
    idle: worker.idle
  } satisfies Webhooks)
}, { name: 'webhooks', dependencies: ['config', 'db'] })
