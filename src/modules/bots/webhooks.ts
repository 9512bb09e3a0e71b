import fp from 'fastify-plugin'
import { randomUUID } from 'node:crypto'
import { signature, SIGNATURE_HEADER } from '../../lib/webhook-signature.js'
import { createOutboundAgents, type AllowedHosts, type OutboundAgents } from '../../lib/outbound-url.js'
import { backoffMs, postSigned, type SignedPostResult } from '../../lib/signed-post.js'
import type { SqlClient } from '../../db/drivers.js'
import { MESSAGE_BY_ID_SQL, toMessage, toNewMessageEvent, type MessageRow, visibleTo } from '../conversations/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: Webhooks
  }
}

export interface Webhooks {
  /** A message committed for these members: starts delivering at once when one is a bot with a webhook. */
  notify: (memberIds: readonly string[]) => void
  /** A channel's message (members not listed): wakes the worker when any bot has a webhook. */
  notifyAny: () => void
  /** Re-reads which bots have webhooks and looks for due deliveries now (the relay also looks every 200 ms). */
  kick: () => void
  /** Resolves when no pass is running (tests). */
  idle: () => Promise<void>
}

/** How often a worker node re-reads which bots have a webhook (for the notify fast path). */
export const WEBHOOK_POLL_MS = 1000
/** Keys worked at once per node. */
const CONCURRENCY = 4
/** Keys picked per look. */
const BATCH = 32

export { SIGNATURE_HEADER, signature, backoffMs }

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

// Where a cursor made by the worker starts (a webhook set after the bot joined: a join with a
// webhook set makes the cursor itself, at the join): before the first message sent once both
// the webhook was set and the bot had joined (no history replay); past the last message when
// there is none yet.
const START_SQL = `
SELECT coalesce(
  (SELECT x.seq - 1 FROM messages x WHERE x.conversation_id = $2::uuid AND x.created_at >= greatest(b.webhook_since, m.joined_at) ORDER BY x.seq LIMIT 1),
  c.last_seq) AS seq
FROM bots b
JOIN conversation_members m ON m.user_id = b.user_id AND m.conversation_id = $2::uuid
JOIN conversations c ON c.id = m.conversation_id
WHERE b.user_id = $1::uuid AND b.webhook_since IS NOT NULL`

// Takes the key's lease unless another node holds it or it is backing off, and only while the
// bot is a member: the member row is locked (KEY SHARE), so a removal committing meanwhile either
// waits for this statement (and its trigger then deletes the cursor) or is seen by it (no row).
// Without the lock a claim racing a removal re-created the cursor the removal had just deleted.
const CLAIM_SQL = `
WITH member AS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = $2::uuid AND m.user_id = $1::uuid FOR KEY SHARE)
INSERT INTO webhook_cursors (bot_id, conversation_id, seq, lease_id, lease_until, updated_at)
SELECT $1::uuid, $2::uuid, $3::int, $4::uuid, now() + make_interval(secs => $5::int), now() FROM member
ON CONFLICT (bot_id, conversation_id) DO UPDATE SET lease_id = EXCLUDED.lease_id, lease_until = EXCLUDED.lease_until
WHERE (webhook_cursors.lease_until IS NULL OR webhook_cursors.lease_until < now())
  AND (webhook_cursors.next_attempt_at IS NULL OR webhook_cursors.next_attempt_at <= now())
RETURNING seq, attempts`

// Only while the bot is a member: a removal that commits while a key is worked stops it
// before the next message (its own removal notice included). The cursor row itself lives as
// long as the membership (a trigger on conversation_members, migration 20261206000000).
// Messages the bot does not see by the visibility rule (it cleared the conversation past them
// or deleted them for itself) are passed over, as history and sync pass them over.
const NEXT_SQL = `SELECT x.id, x.seq, x.sender_id, x.created_at, x.recalled_at FROM messages x
WHERE x.conversation_id = $1::uuid AND x.seq > $2::int
  AND EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = $1::uuid AND m.user_id = $3::uuid AND ${visibleTo('x', 'm')})
ORDER BY x.seq LIMIT 1`
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
  let closed = false

  const post = async (url: string, secret: string, messageId: string, body: string): Promise<SignedPostResult> =>
    await postSigned({ url, secret, idempotencyKey: messageId, body, userAgent: 'relay-im-webhook', timeoutMs: opts.timeoutMs }, { allowedHosts: opts.allowedHosts, agents })

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
      const next = (await sql.query<NextMessage>(NEXT_SQL, [key.conversation_id, seq, key.bot_id], 'webhook_next'))[0]
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
      // The key is due again at next_attempt_at: the relay's next look after it enqueues it.
      return
    }
    await sql.query(RELEASE_SQL, [key.bot_id, key.conversation_id, leaseId], 'webhook_release')
  }

  return {
    /** Keys with messages beyond their cursor, not backing off, not leased (at most BATCH). */
    due: async (): Promise<Key[]> => await sql.query<Key>(DUE_SQL, [], 'webhook_due'),
    work,
    async close (): Promise<void> {
      closed = true
      if (opts.agents === undefined) agents.destroy()
    }
  }
}

/** The pg-boss queue of webhook work: one job per (bot, conversation) key that has messages to deliver. */
export const WEBHOOK_QUEUE = 'webhook'

/**
 * Webhook delivery on the job queue (src/plugins/jobs.ts). The relay looks (on worker nodes,
 * with the other relays, and at once when a message reaches a bot with a webhook) for keys
 * that committed messages made due, and enqueues one job per key ('short' policy: at most one
 * queued per key, so a burst is one job). A worker takes the key's lease and delivers in seq
 * order until caught up; a failure sets the key's backoff in its cursor, after which the
 * relay enqueues it again. A killed worker's job is retried by pg-boss after JOBS_EXPIRE_S,
 * by which time its lease has run out.
 */
export default fp(async (app) => {
  const { config, jobs } = app
  const worker = createWebhookWorker({
    sql: app.sql,
    allowedHosts: config.outboundAllowedHosts,
    maxAgeS: config.WEBHOOK_MAX_AGE_S,
    retryBaseMs: config.WEBHOOK_RETRY_BASE_MS,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    log: app.log
  })
  const enabled = jobs.worker
  const inFlight = new Set<Promise<void>>()
  let hooked = new Set<string>()
  const refresh = async (): Promise<void> => {
    const rows = await app.sql.query<{ user_id: string }>('SELECT user_id FROM bots WHERE webhook_url IS NOT NULL', [], 'webhook_bots')
    hooked = new Set(rows.map((r) => r.user_id))
  }

  await jobs.queue(WEBHOOK_QUEUE, { policy: 'short', retryLimit: 5, retryDelay: 1, retryBackoff: true, expireInSeconds: config.JOBS_EXPIRE_S })
  await jobs.work<Key>(WEBHOOK_QUEUE, { batchSize: CONCURRENCY }, async (batch) => {
    await Promise.all(batch.map(async (job) => {
      const p = worker.work(job.data)
      inFlight.add(p)
      try { await p } finally { inFlight.delete(p) }
    }))
  })
  jobs.relay(async () => {
    const keys = await worker.due()
    let sent = 0
    for (const key of keys) {
      if (await jobs.boss.send(WEBHOOK_QUEUE, key, { singletonKey: `${key.bot_id}:${key.conversation_id}` }) !== null) sent++
    }
    return sent
  }, [WEBHOOK_QUEUE])

  let poller: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    if (!enabled) return
    await refresh()
    poller = setInterval(() => { refresh().catch(() => {}) }, WEBHOOK_POLL_MS).unref()
  })
  const kick = (): void => { void jobs.flush().catch(() => 0) }
  app.addHook('preClose', async () => {
    clearInterval(poller)
    await worker.close()
    // Each pass in hand stops after its current step; the pool they use closes after this.
    while (inFlight.size > 0) await Promise.allSettled([...inFlight])
  })
  app.decorate('webhooks', {
    notify: (memberIds) => {
      if (enabled && memberIds.some((id) => hooked.has(id))) kick()
    },
    notifyAny: () => {
      if (enabled && hooked.size > 0) kick()
    },
    kick: () => {
      if (!enabled) return
      refresh().then(kick, () => {})
    },
    idle: async () => {
      await jobs.flush().catch(() => 0)
      while (inFlight.size > 0) await Promise.allSettled([...inFlight])
    }
  } satisfies Webhooks)
}, { name: 'webhooks', dependencies: ['config', 'db', 'jobs'] })
