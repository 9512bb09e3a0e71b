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
  recalled: boolean
}

interface RecipientRow {
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

export function createDelivery (deps: DeliveryDeps) {
  /** The send jobs for one committed message (none when nobody is to be pushed). */
  async function plan (messageId: string): Promise<Array<Partial<PgBoss.JobInsert<SendJob>>>> {
    const [m] = await deps.sql.query<MessageRow>(`
      SELECT m.id, m.conversation_id, c.type::text AS conversation_type, m.seq, m.sender_id, u.display_name, m.type::text AS type,
        m.content, m.mentions, m.recalled_at IS NOT NULL AS recalled
      FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN users u ON u.id = m.sender_id
      WHERE m.id = $1::uuid`, [messageId], 'push_message')
    if (m === undefined || m.recalled) return []
    const recipients = await deps.sql.query<RecipientRow>(`
      SELECT ps.id AS subscription_id, ps.user_id, GREATEST(0, $3::int - cm.read_seq)::int AS unread, cm.notify::text AS notify, cm.muted_until
      FROM conversation_members cm JOIN push_subscriptions ps ON ps.user_id = cm.user_id
      JOIN messages x ON x.id = $4::uuid
      WHERE cm.conversation_id = $1::uuid AND cm.user_id <> $2::uuid AND ${visibleTo('x', 'cm')} AND ${THREAD_AUDIENCE}`, [m.conversation_id, m.sender_id, m.seq, m.id], 'push_recipients')
    // Only members who see the message now (the visibility rule): one who deleted it for
    // themselves or cleared past it before the job ran is not pushed.
    if (recipients.length === 0) return []
    const mentions = Array.isArray(m.mentions) ? m.mentions as string[] : []
    const mentioned = (userId: string): boolean => mentions.includes(userId) || mentions.includes('all')
    const now = new Date()
    const allowed = recipients.filter((r) => shouldNotify({ notify: r.notify, mutedUntil: r.muted_until }, { mentioned: mentioned(r.user_id), now }))
    if (allowed.length === 0) return []
    const online = await deps.online([...new Set(allowed.map((r) => r.user_id))])
    return allowed.filter((r) => !online.has(r.user_id)).map((r) => {
      const payload: PushPayload = {
        conversationId: m.conversation_id,
        messageId: m.id,
        seq: m.seq,
        sender: { id: m.sender_id, displayName: m.display_name },
        ...(deps.preview ? { preview: previewOf(m.type, m.content) } : {}),
        unread: r.unread
      }
      const data: SendJob = {
        subscriptionId: r.subscription_id,
        payload,
        topic: topicOf(m.conversation_id),
        urgency: m.conversation_type === 'direct' || mentioned(r.user_id) ? 'high' : 'normal'
      }
      return { name: SEND_QUEUE, data, singletonKey: `${m.id}:${r.subscription_id}` }
    })
  }

  /** Works `push-message` jobs: plans each and enqueues its sends. */
  async function workMessages (jobs: Array<PgBoss.Job<{ messageId: string }>>): Promise<void> {
    const planned = await Promise.all(jobs.map(async (job) => await plan(job.data.messageId)))
    const sends = planned.flat()
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
      { vapidDetails: deps.vapid, TTL: deps.ttlS, topic: job.topic, urgency: job.urgency, contentEncoding: 'aes128gcm' }
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
