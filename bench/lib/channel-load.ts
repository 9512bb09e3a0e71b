import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { LoadSocket } from './raw-socket.js'
import { Histogram, type HistogramData } from './histogram.js'

/**
 * One channel whose members' sockets are spread over every worker (a 5,000-member channel
 * is more than one generator process can receive). Only worker 0 sends. A message's due time
 * travels in its clientMsgId as epoch milliseconds (`b:<due>:<uuid>`), so any worker times the
 * delivery on its own clock: `performance.timeOrigin + performance.now()` is a high-resolution
 * epoch time, the same machine-wide clock in every process of this host.
 */
export interface ChannelCommand {
  cmd: 'channel'
  conversationId: string
  /** Messages/s this worker sends (0: receive only). */
  rate: number
  durationMs: number
  startAt: number
  drainMs: number
  content: string
  /** Messages the whole run sends (all workers): what each local socket should receive. */
  totalMessages: number
}

export interface ChannelResult {
  sent: number
  acked: number
  ackErrors: Record<string, number>
  /** Deliveries this worker's sockets should get: every message, except each socket's own. */
  expected: number
  delivered: number
  duplicates: number
  stray: number
  ack: HistogramData
  delivery: HistogramData
  lag: HistogramData
}

const nowEpoch = (): number => performance.timeOrigin + performance.now()

export async function channelLoad (sockets: LoadSocket[], userIds: string[], c: ChannelCommand): Promise<ChannelResult> {
  const ack = new Histogram()
  const lag = new Histogram()
  const delivery = new Histogram()
  const ackErrors: Record<string, number> = {}
  /** Per message: which local sockets got it (one byte each). */
  const seen = new Map<string, Uint8Array>()
  let sent = 0
  let acked = 0
  let delivered = 0
  let duplicates = 0
  let stray = 0
  const startEpoch = c.startAt
  const handlers = sockets.map((s, i) => {
    const h = (m: { clientMsgId?: string, senderId?: string }): void => {
      if (m.senderId === userIds[i]) return // the sender's own echo
      const id = m.clientMsgId ?? ''
      if (!id.startsWith('b:')) return
      const due = Number(id.slice(2, id.indexOf(':', 2)))
      if (!(due >= startEpoch)) { stray++; return }
      let got = seen.get(id)
      if (got === undefined) seen.set(id, got = new Uint8Array(sockets.length))
      if (got[i] === 1) { duplicates++; return }
      got[i] = 1
      delivered++
      delivery.record(nowEpoch() - due)
    }
    s.on('message:new', h)
    return h
  })

  const total = Math.floor((c.rate * c.durationMs) / 1000)
  const interval = c.rate > 0 ? 1000 / c.rate : 0
  if (total > 0) {
    await new Promise<void>((resolve) => {
      let i = 0
      const tick = (): void => {
        const now = nowEpoch()
        while (i < total && startEpoch + i * interval <= now) {
          const due = startEpoch + i * interval
          const sender = sockets[i % sockets.length]!
          lag.record(nowEpoch() - due)
          sent++
          sender.emit('message:send', { conversationId: c.conversationId, clientMsgId: `b:${due.toFixed(3)}:${randomUUID()}`, type: 'text', content: c.content },
            (res: { ok?: boolean, error?: { code?: string } } | undefined) => {
              if (res?.ok === true) {
                acked++
                ack.record(nowEpoch() - due)
              } else {
                const k = res?.error?.code ?? 'BAD_ACK'
                ackErrors[k] = (ackErrors[k] ?? 0) + 1
              }
            })
          i++
        }
        if (i >= total) resolve()
        else setTimeout(tick, Math.min(Math.max(0, startEpoch + i * interval - nowEpoch()), 5))
      }
      setTimeout(tick, Math.max(0, startEpoch - nowEpoch()))
    })
  }
  const expected = c.totalMessages * sockets.length - sent
  const deadline = startEpoch + c.durationMs + c.drainMs
  const answered = (): number => acked + Object.values(ackErrors).reduce((a, b) => a + b, 0)
  while (nowEpoch() < deadline && (delivered < expected || answered() < sent)) await sleep(20)
  sockets.forEach((s, i) => { s.off('message:new', handlers[i]!) })
  return { sent, acked, ackErrors, expected, delivered, duplicates, stray, ack: ack.toJSON(), delivery: delivery.toJSON(), lag: lag.toJSON() }
}
