import http from 'node:http'
import { timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { startPushService, type PushService } from '../../test/modules/push/push-service.js'
import { signature, SIGNATURE_HEADER } from '../../src/lib/webhook-signature.js'
import { Histogram, type HistogramData } from './histogram.js'

/**
 * What the push and webhook scenarios point the server at, run inside a load worker so that
 * the due time of a message (the sender's clock) and its arrival share one monotonic clock.
 * push: the tests' local push service (verifies VAPID, decrypts aes128gcm as a browser would).
 * webhook: a receiver that checks X-Relay-Signature (HMAC, 5 min tolerance) before accepting.
 * Arrivals are keyed by message id and matched to the worker's acks when collected.
 */
export type ReceiverCommand =
  | { cmd: 'receiver', kind: 'push', devices: number }
  | { cmd: 'receiver', kind: 'webhook', secret: string }

export interface ReceiverStarted {
  origin: string
  /** push: one browser subscription per device asked for. */
  subscriptions: Array<{ endpoint: string, keys: { p256dh: string, auth: string } }>
}

export interface Receipts {
  /** Acked messages this worker sent (each expects one arrival). */
  expected: number
  received: number
  duplicates: number
  /** Arrivals of messages not acked in this load (an earlier phase's, or never acked). */
  stray: number
  /** Requests refused (bad signature, VAPID or encryption). */
  refused: number
  /** Arrival - due time, ms. */
  latency: HistogramData
  /** Messages acked but never arrived (first few ids). */
  missing: string[]
}

let push: PushService | undefined
/** Arrival times by message id (webhooks; pushes are read from the push service). */
const arrivals: Array<{ id: string, at: number }> = []
let refusedWebhooks = 0
let seenPush = 0

export async function startReceiver (c: ReceiverCommand): Promise<ReceiverStarted> {
  if (c.kind === 'push') {
    push ??= await startPushService()
    const subscriptions = Array.from({ length: c.devices }, () => push!.device().subscription)
    return { origin: push.origin, subscriptions }
  }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (b: Buffer) => chunks.push(b))
    req.on('end', () => {
      const at = performance.now()
      const body = Buffer.concat(chunks).toString('utf8')
      const header = String(req.headers[SIGNATURE_HEADER] ?? '')
      const t = Number(/^t=(\d+),/.exec(header)?.[1])
      const expected = Buffer.from(signature(c.secret, body, t))
      const ok = Number.isFinite(t) && Math.abs(Date.now() / 1000 - t) < 300 &&
        expected.length === header.length && timingSafeEqual(expected, Buffer.from(header))
      if (!ok) { refusedWebhooks++; res.writeHead(401).end(); return }
      const id = (JSON.parse(body) as { data?: { id?: string } }).data?.id
      if (typeof id === 'string') arrivals.push({ id, at })
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, subscriptions: [] }
}

const pending = (): Array<{ id: string, at: number }> => push !== undefined
  ? push.received.slice(seenPush).map((r) => ({ id: String(r.payload?.messageId), at: r.receivedAt }))
  : arrivals

/**
 * Waits (at most waitMs) until every acked message (id → due) arrived, then matches the
 * arrivals since the last collect with the acks; arrivals then start afresh.
 */
export async function collectReceipts (ackedDue: ReadonlyMap<string, number>, waitMs: number): Promise<Receipts> {
  const deadline = performance.now() + waitMs
  while (performance.now() < deadline && new Set(pending().map((a) => a.id).filter((id) => ackedDue.has(id))).size < ackedDue.size) {
    await sleep(100)
  }
  const got = push !== undefined ? pending() : arrivals.splice(0)
  if (push !== undefined) seenPush = push.received.length
  const latency = new Histogram()
  const seen = new Set<string>()
  let duplicates = 0
  let stray = 0
  for (const a of got) {
    const due = ackedDue.get(a.id)
    if (due === undefined) { stray++; continue }
    if (seen.has(a.id)) { duplicates++; continue }
    seen.add(a.id)
    latency.record(a.at - due)
  }
  const missing = [...ackedDue.keys()].filter((id) => !seen.has(id))
  return {
    expected: ackedDue.size,
    received: seen.size,
    duplicates,
    stray,
    refused: (push?.refused.length ?? 0) + refusedWebhooks,
    latency: latency.toJSON(),
    missing: missing.slice(0, 5)
  }
}
