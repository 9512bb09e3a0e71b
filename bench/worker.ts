/**
 * One load-generator process, driven by the harness over IPC. Sender and receivers of every
 * message live in this process, so one monotonic clock times both the ack and the delivery.
 * Load is open-loop: message i is due at start + i / rate whatever the server does, and
 * latencies are measured from that due time (a stalled server or generator cannot hide its
 * backlog: no coordinated omission).
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { io } from 'socket.io-client'
import { createClient, type Client, type Message } from '@relay-im/client'
import { Histogram, type HistogramData } from './lib/histogram.js'
import { react, type ReactCommand } from './lib/react-load.js'
import { channelLoad, type ChannelCommand } from './lib/channel-load.js'
import { RawSocket, type LoadSocket } from './lib/raw-socket.js'
import { chatTextGenerator } from './lib/chat-text.js'
import { collectReceipts, startReceiver, type ReceiverCommand } from './lib/outbound-receiver.js'

export interface UserSpec {
  id: string
  token: string
  rooms: string[]
  /** This user's node (--nodes); the command's url otherwise. */
  url?: string
}
/** A conversation; members are indexes into the worker's users. */
export interface ConvSpec { id: string, members: number[] }
export interface PairSpec { a: number, b: number, conversationId: string }

export type Command =
  | { cmd: 'connect', url: string, users: UserSpec[], relay: boolean, concurrency: number, localAddress?: string, client: ClientKind }
  | { cmd: 'load', convs: ConvSpec[], rate: number, durationMs: number, startAt: number, drainMs: number, content: string | { seed: number }, trackAcks?: boolean }
  | { cmd: 'connected' }
  | { cmd: 'disconnect' }
  | { cmd: 'sdk-connect', url: string, users: UserSpec[], pairs: PairSpec[], concurrency: number, sendTimeoutMs: number }
  | { cmd: 'sdk-mark' }
  | { cmd: 'sdk-send', perClient: number }
  | { cmd: 'sdk-wait', timeoutMs: number }
  | { cmd: 'sdk-close' }
  | { cmd: 'http', url: string, token: string, conversationId: string, maxSeq: number, limit: number, rate: number, durationMs: number, startAt: number }
  | ReactCommand
  | ChannelCommand
  | ReceiverCommand
  | { cmd: 'receipts', waitMs: number }

/**
 * trackAcks (push and webhook scenarios): acked messages of the current load, message id → due
 * time on this process's clock, for the outbound receiver (lib/outbound-receiver.ts).
 */
const ackedDue = new Map<string, number>()

/** raw: bench/lib/raw-socket.ts (the default: cheap); socket.io: socket.io-client, as an app would. */
export type ClientKind = 'raw' | 'socket.io'

export type Reply = { id: number, ok: true, result: unknown } | { id: number, ok: false, error: string }

export interface ConnectResult { connected: number, failed: number, errors: Record<string, number>, connect: HistogramData, elapsedMs: number }

export interface LoadResult {
  sent: number
  acked: number
  ackErrors: Record<string, number>
  /** Deliveries expected: one per message and recipient other than the sender. */
  expected: number
  delivered: number
  duplicates: number
  /** Deliveries of messages from an earlier phase (arrived after its drain window). */
  stray: number
  ack: HistogramData
  delivery: HistogramData
  /** How late the generator itself sent (emit time - due time). */
  lag: HistogramData
  series: Series
}

const inc = (o: Record<string, number>, k: string): void => { o[k] = (o[k] ?? 0) + 1 }

/** Runs fn over items with at most `limit` in flight. */
async function pool<T> (items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      await fn(items[i]!, i)
    }
  }))
}

/** Due times are on this process's performance clock; the harness gives an epoch start. */
const perfAt = (epochMs: number): number => epochMs - performance.timeOrigin

// ----------------------------------------------------------------------------- raw sockets

interface Pending { t: number, expect: number, got: number, seen?: Set<number> }

let users: UserSpec[] = []
let sockets: LoadSocket[] = []
let pending = new Map<string, Pending>()
/** Deliveries per 100 ms of due time from the phase's start: count, worst latency, count over 10 ms (bench/lib/timeline.ts). */
export interface Series { count: number[], maxMs: number[], over10: number[] }
const SERIES_MS = 100
let phase: { delivered: number, duplicates: number, stray: number, delivery: Histogram, start?: number, series?: Series } | undefined

function onDelivery (receiver: number, m: { clientMsgId?: string, senderId?: string }): void {
  if (m.senderId === users[receiver]?.id) return // the sender's own room echo
  const p = typeof m.clientMsgId === 'string' ? pending.get(m.clientMsgId) : undefined
  if (phase === undefined) return
  if (p === undefined) {
    phase.stray++
    return
  }
  if (p.seen !== undefined ? p.seen.has(receiver) : p.got > 0) {
    phase.duplicates++
    return
  }
  p.seen?.add(receiver)
  p.got++
  phase.delivered++
  const ms = performance.now() - p.t
  phase.delivery.record(ms)
  if (phase.series !== undefined) {
    const b = Math.max(0, Math.floor((p.t - phase.start!) / SERIES_MS))
    const s = phase.series
    while (s.count.length <= b) { s.count.push(0); s.maxMs.push(0); s.over10.push(0) }
    s.count[b]!++
    if (ms > s.maxMs[b]!) s.maxMs[b] = Math.round(ms * 10) / 10
    if (ms > 10) s.over10[b]!++
  }
}

async function connect (c: Extract<Command, { cmd: 'connect' }>): Promise<ConnectResult> {
  users = c.users
  sockets = []
  const hist = new Histogram()
  const errors: Record<string, number> = {}
  let connected = 0
  const t0 = performance.now()
  await pool(c.users, c.concurrency, async (u, i) => {
    const started = performance.now()
    const auth = c.relay ? { userId: u.id, rooms: u.rooms } : { token: u.token }
    const url = u.url ?? c.url
    try {
      if (c.client === 'raw') {
        const socket = await RawSocket.connect(url, auth, { localAddress: c.localAddress })
        socket.on('message:new', (m: Message) => { onDelivery(i, m) })
        sockets[i] = socket
      } else {
        const socket = io(url, {
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
          timeout: 30_000,
          auth,
          ...(c.localAddress !== undefined ? { localAddress: c.localAddress } : {})
        } as Parameters<typeof io>[1])
        sockets[i] = socket
        socket.on('message:new', (m: Message) => { onDelivery(i, m) })
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', () => { resolve() })
          socket.once('connect_error', (err) => { reject(err) })
        })
      }
      connected++
      hist.record(performance.now() - started)
    } catch (err) {
      inc(errors, err instanceof Error ? err.message : String(err))
    }
  })
  return { connected, failed: c.users.length - connected, errors, connect: hist.toJSON(), elapsedMs: performance.now() - t0 }
}

async function load (c: Extract<Command, { cmd: 'load' }>): Promise<LoadResult> {
  pending = new Map()
  ackedDue.clear()
  const ack = new Histogram()
  const lag = new Histogram()
  const ackErrors: Record<string, number> = {}
  const start = perfAt(c.startAt)
  const current = phase = { delivered: 0, duplicates: 0, stray: 0, delivery: new Histogram(), start, series: { count: [], maxMs: [], over10: [] } }
  let sent = 0
  let acked = 0
  let expected = 0
  const interval = 1000 / c.rate
  const total = Math.floor((c.rate * c.durationMs) / 1000)
  const n = c.convs.length
  // Realistic text: made before the clock starts, so the generator's CPU is not in the timing.
  const texts = typeof c.content === 'string' ? [c.content] : (() => { const next = chatTextGenerator(c.content.seed); return Array.from({ length: Math.min(total, 20_000) }, next) })()

  const sendOne = (i: number, due: number): void => {
    const conv = c.convs[i % n]!
    const sender = conv.members[Math.floor(i / n) % conv.members.length]!
    const clientMsgId = randomUUID()
    const expect = conv.members.length - 1
    pending.set(clientMsgId, expect > 1 ? { t: due, expect, got: 0, seen: new Set() } : { t: due, expect, got: 0 })
    expected += expect
    sent++
    lag.record(performance.now() - due)
    sockets[sender]!.emit('message:send', { conversationId: conv.id, clientMsgId, type: 'text', content: texts[i % texts.length] }, (res: { ok?: boolean, data?: { id?: string }, error?: { code?: string } } | undefined) => {
      if (res?.ok === true) {
        acked++
        if (c.trackAcks === true && typeof res.data?.id === 'string') ackedDue.set(res.data.id, due)
        ack.record(performance.now() - due)
      } else {
        inc(ackErrors, res?.error?.code ?? 'BAD_ACK')
        // Refused (RATE_LIMITED, ...): never stored, so no delivery will come. Expecting one
        // kept the drain waiting its whole window with the server idle, which read as the
        // server's CPU dropping in every overloaded step; `lost` now counts accepted messages only.
        if (res?.ok === false) {
          expected -= expect
          pending.delete(clientMsgId)
        }
      }
    })
  }

  await new Promise<void>((resolve) => {
    let i = 0
    const tick = (): void => {
      const now = performance.now()
      while (i < total && start + i * interval <= now) {
        sendOne(i, start + i * interval)
        i++
      }
      if (i >= total) resolve()
      else setTimeout(tick, Math.min(Math.max(0, start + i * interval - now), 5))
    }
    setTimeout(tick, Math.max(0, start - performance.now()))
  })

  // Drain: wait for every ack and delivery, at most drainMs after the last due time.
  const deadline = start + c.durationMs + c.drainMs
  while (performance.now() < deadline && (current.delivered < expected || acked + Object.values(ackErrors).reduce((a, b) => a + b, 0) < sent)) {
    await sleep(20)
  }
  phase = { delivered: 0, duplicates: 0, stray: 0, delivery: new Histogram() } // late arrivals count as stray from now on
  return {
    sent,
    acked,
    ackErrors,
    expected,
    delivered: current.delivered,
    duplicates: current.duplicates,
    stray: current.stray,
    ack: ack.toJSON(),
    delivery: current.delivery.toJSON(),
    lag: lag.toJSON(),
    series: current.series
  }
}

// ----------------------------------------------------------------------------- SDK clients

interface SdkClient {
  client: Client
  userId: string
  conversationId: string
  onlineAt?: number
  syncedAt?: number
  /** clientMsgIds this client should receive (sent by its partner during the outage). */
  expect: Set<string>
  received: Map<string, number>
  lastDeliveryAt?: number
  sends: Array<Promise<void>>
}

let sdk: SdkClient[] = []
let sdkMark = false
const sdkTotals = { acked: 0, lastAckAt: 0, sendErrors: {} as Record<string, number> }

async function sdkConnect (c: Extract<Command, { cmd: 'sdk-connect' }>): Promise<ConnectResult> {
  const hist = new Histogram()
  const errors: Record<string, number> = {}
  const t0 = performance.now()
  const convOf = new Map<number, string>()
  for (const p of c.pairs) { convOf.set(p.a, p.conversationId); convOf.set(p.b, p.conversationId) }
  sdk = c.users.map((u, i) => {
    // sendTimeoutMs: the outbox must outlast the outage (the SDK default, 30 s, would turn a
    // slow graceful stop into TIMEOUT rejections, which the app would then have to resend).
    const client = createClient({ url: c.url, token: u.token, transports: ['websocket'], sendTimeoutMs: c.sendTimeoutMs })
    const conversationId = convOf.get(i) ?? ''
    // An app resuming with stored cursors: catch-up after each reconnect covers this conversation.
    client.setCursor(conversationId, 0)
    const entry: SdkClient = { client, userId: u.id, conversationId, expect: new Set(), received: new Map(), sends: [] }
    client.on('status', (s) => { if (s === 'online' && sdkMark) entry.onlineAt ??= Date.now() })
    client.on('synced', () => { if (sdkMark) entry.syncedAt ??= Date.now() })
    client.on('error', () => {})
    client.on('message:new', (m) => {
      if (m.senderId === u.id) return
      entry.received.set(m.clientMsgId, (entry.received.get(m.clientMsgId) ?? 0) + 1)
      if (entry.expect.has(m.clientMsgId)) entry.lastDeliveryAt = Date.now()
    })
    return entry
  })
  let connected = 0
  await pool(sdk, c.concurrency, async (e) => {
    const started = performance.now()
    try {
      await e.client.connect()
      connected++
      hist.record(performance.now() - started)
    } catch (err) {
      inc(errors, err instanceof Error ? err.message : String(err))
    }
  })
  return { connected, failed: sdk.length - connected, errors, connect: hist.toJSON(), elapsedMs: performance.now() - t0 }
}

/** Each client queues `perClient` messages to its partner (through the SDK outbox while offline). */
function sdkSend (perClient: number): number {
  const byConversation = new Map<string, SdkClient[]>()
  for (const e of sdk) byConversation.set(e.conversationId, [...(byConversation.get(e.conversationId) ?? []), e])
  let queued = 0
  for (const e of sdk) {
    const partner = byConversation.get(e.conversationId)?.find((o) => o !== e)
    if (partner === undefined) continue
    for (let k = 0; k < perClient; k++) {
      const clientMsgId = randomUUID()
      partner.expect.add(clientMsgId)
      queued++
      e.sends.push(e.client.send({ conversationId: e.conversationId, clientMsgId, type: 'text', content: `sent while the server was down ${k}` }).then(
        () => { sdkTotals.acked++; sdkTotals.lastAckAt = Date.now() },
        (err: unknown) => { inc(sdkTotals.sendErrors, (err as { code?: string }).code ?? String(err)) }
      ))
    }
  }
  return queued
}

function sdkState () {
  let online = 0
  let synced = 0
  let expected = 0
  let delivered = 0
  let duplicates = 0
  let lastOnlineAt = 0
  let lastSyncedAt = 0
  let lastDeliveryAt = 0
  const statuses: Record<string, number> = {}
  for (const e of sdk) {
    inc(statuses, e.client.status)
    if (e.client.status === 'online') online++
    if (e.syncedAt !== undefined) synced++
    lastOnlineAt = Math.max(lastOnlineAt, e.onlineAt ?? 0)
    lastSyncedAt = Math.max(lastSyncedAt, e.syncedAt ?? 0)
    lastDeliveryAt = Math.max(lastDeliveryAt, e.lastDeliveryAt ?? 0)
    for (const id of e.expect) {
      expected++
      const n = e.received.get(id) ?? 0
      if (n > 0) delivered++
      if (n > 1) duplicates += n - 1
    }
  }
  const sendErrors = Object.values(sdkTotals.sendErrors).reduce((a, b) => a + b, 0)
  return {
    clients: sdk.length, online, synced, statuses, expected, delivered, duplicates, acked: sdkTotals.acked, sendErrors: sdkTotals.sendErrors,
    settled: sdkTotals.acked + sendErrors, lastOnlineAt, lastSyncedAt, lastDeliveryAt, lastAckAt: sdkTotals.lastAckAt
  }
}

async function sdkWait (timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const s = sdkState()
    const done = s.online === s.clients && s.synced === s.clients && s.delivered === s.expected && s.settled === s.expected
    if (done || Date.now() > deadline) return { ...s, done }
    await sleep(25)
  }
}

// ----------------------------------------------------------------------------- REST history

async function http (c: Extract<Command, { cmd: 'http' }>) {
  const latency = new Histogram()
  const lag = new Histogram()
  const errors: Record<string, number> = {}
  let sent = 0
  let ok = 0
  const start = perfAt(c.startAt)
  const interval = 1000 / c.rate
  const total = Math.floor((c.rate * c.durationMs) / 1000)
  const inflight = new Set<Promise<void>>()
  const one = async (due: number): Promise<void> => {
    // A random depth: `before` anywhere from the newest message down to the oldest page.
    const before = 2 + Math.floor(Math.random() * c.maxSeq)
    try {
      const res = await fetch(`${c.url}/api/conversations/${c.conversationId}/messages?before=${before}&limit=${c.limit}`, {
        headers: { authorization: `Bearer ${c.token}` }
      })
      const body = await res.json() as { messages?: Array<{ seq: number }> }
      const first = body.messages?.[0]?.seq
      if (res.status !== 200) inc(errors, `HTTP_${res.status}`)
      else if (first !== before - 1) inc(errors, 'WRONG_PAGE')
      else {
        ok++
        latency.record(performance.now() - due)
      }
    } catch (err) {
      inc(errors, err instanceof Error ? err.message : String(err))
    }
  }
  await new Promise<void>((resolve) => {
    let i = 0
    const tick = (): void => {
      const now = performance.now()
      while (i < total && start + i * interval <= now) {
        const due = start + i * interval
        lag.record(now - due)
        sent++
        const p = one(due)
        inflight.add(p)
        void p.finally(() => { inflight.delete(p) })
        i++
      }
      if (i >= total) resolve()
      else setTimeout(tick, Math.min(Math.max(0, start + i * interval - now), 5))
    }
    setTimeout(tick, Math.max(0, start - performance.now()))
  })
  await Promise.all(inflight)
  return { sent, ok, errors, latency: latency.toJSON(), lag: lag.toJSON() }
}

// ----------------------------------------------------------------------------- IPC

async function dispatch (c: Command): Promise<unknown> {
  switch (c.cmd) {
    case 'connect': return await connect(c)
    case 'load': return await load(c)
    case 'connected': return sockets.filter((s) => s.connected).length
    case 'disconnect':
      for (const s of sockets) s.disconnect()
      sockets = []
      return null
    case 'sdk-connect': return await sdkConnect(c)
    case 'sdk-mark':
      sdkMark = true
      for (const e of sdk) { e.onlineAt = undefined; e.syncedAt = undefined }
      return null
    case 'sdk-send': return sdkSend(c.perClient)
    case 'sdk-wait': return await sdkWait(c.timeoutMs)
    case 'sdk-close':
      for (const e of sdk) e.client.close()
      sdk = []
      return null
    case 'http': return await http(c)
    case 'react': return await react(sockets, c)
    case 'channel': return await channelLoad(sockets, users.map((u) => u.id), c)
    case 'receiver': return await startReceiver(c)
    case 'receipts': return await collectReceipts(ackedDue, c.waitMs)
  }
}

process.on('message', (m: { id: number } & Command) => {
  dispatch(m).then(
    (result) => { process.send?.({ id: m.id, ok: true, result } satisfies Reply) },
    (err: unknown) => { process.send?.({ id: m.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies Reply) }
  )
})
process.on('disconnect', () => { process.exit(0) })
process.on('SIGTERM', () => { process.exit(0) })
