import webpush from 'web-push'
import type PgBoss from 'pg-boss'
import type { SqlClient } from '../../db/drivers.js'
import { JOBS_SCHEMA } from '../../plugins/jobs.js'
import { outboundRequest, OutboundUrlError, type AllowedHosts, type OutboundAgents } from '../../lib/outbound-url.js'
import { shouldNotify, visibleTo, type MessageType } from '../conversations/index.js'
import { previewOf } from '../message-kinds/index.js'
import type { PushPayload } from './schemas.js'

/**
 * Web Push delivery, in two queues:
 * - `push-message` {messageId}: one per committed message that some other member has a
 *   subscription for (moved from push_outbox by the relay). Its worker picks the recipients
 *   (members other than the sender, with no socket on any node, whose settings allow it),
 *   builds each payload and enqueues one `push-send` per subscription.
 * - `push-send` {subscriptionId, payload, topic, urgency}: one encrypted request to one push
 *   service. 2xx: done. 404/410: the subscription is gone, deleted. 429, 5xx, network errors:
 *   failed, retried with backoff by the queue (PUSH_RETRY_LIMIT). Other 4xx: given up.
 */

export const MESSAGE_QUEUE = 'push-message'
export const SEND_QUEUE = 'push-send'

export interface SendJob {
  subscriptionId: string
  payload: PushPayload
  topic: string
  urgency: 'high' | 'normal'
}

/**
 * The relay: committed push_outbox rows become `push-message` jobs in one statement, so a row
 * is either still in the outbox or a job, never both or neither. SKIP LOCKED lets several
 * nodes relay at once without taking the same rows.
 */
export const RELAY_SQL = `
WITH moved AS (
  DELETE FROM push_outbox WHERE message_id IN (
    SELECT message_id FROM push_outbox ORDER BY created_at LIMIT 100 FOR UPDATE SKIP LOCKED)
  RETURNING message_id
)
INSERT INTO ${JOBS_SCHEMA}.job (name, data, singleton_key, retry_limit, retry_delay, retry_backoff, expire_in, keep_until, policy)
SELECT q.name, jsonb_build_object('messageId', moved.message_id), moved.message_id::text, q.retry_limit, q.retry_delay, q.retry_backoff,
  COALESCE(q.expire_seconds, 900) * interval '1 second', now() + COALESCE(q.retention_minutes, 20160) * interval '1 minute', q.policy
FROM moved JOIN ${JOBS_SCHEMA}.queue q ON q.name = '${MESSAGE_QUEUE}'
RETURNING id`

interface MessageRow {
  id: string
  conversation_id: string
  conversation_type: 'direct' | 'group' | 'channel'
  seq: number
  sender_id: string
  display_name: string
  type: MessageType
  content: unknown
  mentions: unknown
}

/** One subscription to push for one message. */
interface RecipientRow {
  message_id: string
  subscription_id: string
  user_id: string
  unread: number
  notify: string
  muted_until: Date | null
}

/** Topic (RFC 8030: at most 32 base64url characters): the conversation id's 32 hex digits. */
export const topicOf = (conversationId: string): string => conversationId.replaceAll('-', '')



/**
 * A thread-only reply (docs/protocol.md, "Threads") is pushed to the thread's followers and to
 * the members it mentions; a reply also sent to the chat, to everyone as any message. The
 * conversation's notify and mute settings apply on top (shouldNotify).
 */
const THREAD_AUDIENCE = `(x.thread_root_id IS NULL OR x.thread_in_chat
  OR EXISTS (SELECT 1 FROM thread_follows tf WHERE tf.root_id = x.thread_root_id AND tf.user_id = cm.user_id AND tf.following)
  OR (x.mentions IS NOT NULL AND (x.mentions @> jsonb_build_array(cm.user_id::text) OR x.mentions @> '["all"]'::jsonb)))`

export interface DeliveryDeps {
  sql: SqlClient
  boss: PgBoss
  /** Which of these users have a socket on some node. */
  online: (userIds: string[]) => Promise<Set<string>>
  vapid: { publicKey: string, privateKey: string, subject: string }
  preview: boolean
  ttlS: number
  allowedHosts: AllowedHosts
  agents: OutboundAgents
  log: { warn: (obj: object, msg: string) => void, debug: (obj: object, msg: string) => void }
}

/** How long a VAPID JWT is valid (RFC 8292 allows up to 24 h); renewed an hour before it ends. */
const VAPID_TTL_S = 12 * 3600
/** Push services (origins) whose signed VAPID header is kept; the map is emptied when it would grow past this. */
const VAPID_CACHE_MAX = 1000

export function createDelivery (deps: DeliveryDeps) {
  // The VAPID header depends only on the push service's origin: signing it (ES256, the key
  // converted to PEM by web-push each time) for every push was about a third of the CPU the
  // server spent per push in `npm run bench -- push`.
  const vapidHeaders = new Map<string, { authorization: string, renewAt: number }>()
  function vapidAuthorization (endpoint: string): string {
    const audience = new URL(endpoint).origin
    const now = Date.now()
    const kept = vapidHeaders.get(audience)
    if (kept !== undefined && kept.renewAt > now) return kept.authorization
    const exp = Math.floor(now / 1000) + VAPID_TTL_S
    const { Authorization: authorization } = webpush.getVapidHeaders(audience, deps.vapid.subject, deps.vapid.publicKey, deps.vapid.privateKey, 'aes128gcm', exp)
    if (vapidHeaders.size >= VAPID_CACHE_MAX) vapidHeaders.clear()
    vapidHeaders.set(audience, { authorization, renewAt: now + (VAPID_TTL_S - 3600) * 1000 })
    return authorization
  }

  /**
   * The send jobs for committed messages (none for a message nobody is to be pushed for), in
   * two statements for the whole batch (recipients, then the messages that have any; a
   * message's content is read once, not once per recipient): per message it cost two round
   * trips on the pool the send path uses, which held the `push-message` worker to about
   * 100-250 messages/s on a loaded 2-core machine (npm run bench -- push).
   */
  async function planMany (messageIds: string[]): Promise<Array<Partial<PgBoss.JobInsert<SendJob>>>> {
    if (messageIds.length === 0) return []
    // Only members who see the message now (the visibility rule): one who deleted it for
    // themselves or cleared past it before the job ran is not pushed; a recalled message is not pushed.
    const recipients = await deps.sql.query<RecipientRow>(`
      SELECT x.id AS message_id, ps.id AS subscription_id, ps.user_id, GREATEST(0, x.seq - cm.read_seq)::int AS unread,
        cm.notify::text AS notify, cm.muted_until
      FROM messages x JOIN conversation_members cm ON cm.conversation_id = x.conversation_id AND cm.user_id <> x.sender_id
      JOIN push_subscriptions ps ON ps.user_id = cm.user_id
      WHERE x.id = ANY($1::uuid[]) AND x.recalled_at IS NULL AND ${visibleTo('x', 'cm')} AND ${THREAD_AUDIENCE}`, [messageIds], 'push_recipients')
    if (recipients.length === 0) return []
    const rows = await deps.sql.query<MessageRow>(`
      SELECT m.id, m.conversation_id, c.type::text AS conversation_type, m.seq, m.sender_id, u.display_name, m.type::text AS type,
        m.content, m.mentions
      FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN users u ON u.id = m.sender_id
      WHERE m.id = ANY($1::uuid[])`, [[...new Set(recipients.map((r) => r.message_id))]], 'push_message')
    const messages = new Map(rows.map((m) => [m.id, { m, mentions: Array.isArray(m.mentions) ? m.mentions as string[] : [], preview: deps.preview ? previewOf(m.type, m.content) : undefined }]))
    const now = new Date()
    const allowed = recipients.flatMap((r) => {
      const msg = messages.get(r.message_id)
      if (msg === undefined) return []
      const mentioned = msg.mentions.includes(r.user_id) || msg.mentions.includes('all')
      return shouldNotify({ notify: r.notify, mutedUntil: r.muted_until }, { mentioned, now }) ? [{ r, ...msg, mentioned }] : []
    })
    if (allowed.length === 0) return []
    const online = await deps.online([...new Set(allowed.map((a) => a.r.user_id))])
    return allowed.filter((a) => !online.has(a.r.user_id)).map(({ r, m, preview, mentioned }) => {
      const payload: PushPayload = {
        conversationId: m.conversation_id,
        messageId: m.id,
        seq: m.seq,
        sender: { id: m.sender_id, displayName: m.display_name },
        ...(preview !== undefined ? { preview } : {}),
        unread: r.unread
      }
      const data: SendJob = {
        subscriptionId: r.subscription_id,
        payload,
        topic: topicOf(m.conversation_id),
        urgency: m.conversation_type === 'direct' || mentioned ? 'high' : 'normal'
      }
      return { name: SEND_QUEUE, data, singletonKey: `${m.id}:${r.subscription_id}` }
    })
  }

  /** The send jobs for one committed message. */
  const plan = async (messageId: string): Promise<Array<Partial<PgBoss.JobInsert<SendJob>>>> => await planMany([messageId])

  /** Works `push-message` jobs: plans the batch and enqueues its sends. */
  async function workMessages (jobs: Array<PgBoss.Job<{ messageId: string }>>): Promise<void> {
    const sends = await planMany([...new Set(jobs.map((job) => job.data.messageId))])
    if (sends.length > 0) await deps.boss.insert(sends as PgBoss.JobInsert[])
  }

  type Outcome = 'sent' | 'gone' | 'retry' | 'dropped'

  async function send (job: SendJob): Promise<{ outcome: Outcome, detail?: string }> {
    const [sub] = await deps.sql.query<{ endpoint: string, p256dh: string, auth: string }>(
      'SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE id = $1::uuid', [job.subscriptionId], 'push_subscription')
    if (sub === undefined) return { outcome: 'dropped', detail: 'subscription deleted' }
    const details = webpush.generateRequestDetails(
      { endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } },
      JSON.stringify(job.payload),
      // No vapidDetails (nothing calls webpush.setVapidDetails either): the Authorization header is the cached one.
      { headers: { Authorization: vapidAuthorization(sub.endpoint) }, TTL: deps.ttlS, topic: job.topic, urgency: job.urgency, contentEncoding: 'aes128gcm' }
    )
    let status: number
    try {
      const res = await outboundRequest(details.endpoint, {
        method: details.method,
        headers: details.headers as Record<string, string | number>,
        body: details.body ?? undefined,
        timeoutMs: 10_000,
        maxResponseBytes: 4096
      }, { allowedHosts: deps.allowedHosts, agents: deps.agents })
      status = res.status
    } catch (err) {
      // Refused by the outbound check (the name now resolves somewhere private): never retried.
      if (err instanceof OutboundUrlError) return { outcome: 'dropped', detail: err.message }
      return { outcome: 'retry', detail: (err as Error).message }
    }
    if (status >= 200 && status < 300) return { outcome: 'sent' }
    if (status === 404 || status === 410) {
      await deps.sql.query('DELETE FROM push_subscriptions WHERE id = $1::uuid', [job.subscriptionId], 'push_subscription_gone')
      return { outcome: 'gone', detail: String(status) }
    }
    if (status === 429 || status >= 500) return { outcome: 'retry', detail: `push service answered ${status}` }
    return { outcome: 'dropped', detail: `push service answered ${status}` }
  }

  /** Works `push-send` jobs; those to retry are failed one by one (the rest complete). */
  async function workSends (jobs: Array<PgBoss.Job<SendJob>>): Promise<void> {
    await Promise.all(jobs.map(async (job) => {
      const r = await send(job.data).catch((err: unknown) => ({ outcome: 'retry' as const, detail: (err as Error).message }))
      if (r.outcome === 'retry') {
        await deps.boss.fail(SEND_QUEUE, job.id, { message: r.detail })
      } else if (r.outcome === 'dropped') {
        deps.log.warn({ subscriptionId: job.data.subscriptionId, reason: r.detail }, 'push given up')
      } else if (r.outcome === 'gone') {
        deps.log.debug({ subscriptionId: job.data.subscriptionId }, 'push subscription gone, deleted')
      }
    }))
  }

  return { plan, workMessages, workSends, send }
}
