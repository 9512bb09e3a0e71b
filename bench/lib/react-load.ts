import type { LoadSocket } from './raw-socket.js'
import { Histogram, type HistogramData } from './histogram.js'
import { REACTIONS_PER_MEMBER } from '@relay-im/client/protocol'

/** 20 distinct emojis: the most one message may carry, so no add is refused for that limit. */
export const BENCH_EMOJIS = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🔥', '👏', '🙏', '💯', '😍', '🤔', '👀', '🚀', '✅', '🥳', '😎', '🙌', '💡', '⭐']

export interface ReactCommand { cmd: 'react', messageId: string, rate: number, durationMs: number, startAt: number, drainMs: number }

export interface ReactResult {
  sent: number
  acked: number
  ackErrors: Record<string, number>
  ack: HistogramData
  lag: HistogramData
  /** Per emoji, how many of this worker's users hold it after every acked add and remove. */
  counts: Record<string, number>
  /** message:updated events this worker's sockets received during the run. */
  updates: number
}

const perfAt = (epochMs: number): number => epochMs - performance.timeOrigin

/**
 * Open-loop reactions on one message from this worker's sockets: op i is due at
 * start + i / rate and toggles, for user u = i % users, emoji (u + (i / users) % 3) % 20 (add
 * when the user does not hold it, else remove): each user cycles through three emojis of their
 * own, so nobody holds more than REACTIONS_PER_MEMBER (3) and no add is refused for it, and
 * with 20 users or more all 20 emojis are in use. A (user, emoji) pair comes back every
 * users × 3 ops (tenths of a second apart at the benchmark's rates). The expected final counts
 * follow the acked ops only.
 */
export async function react (sockets: LoadSocket[], c: ReactCommand): Promise<ReactResult> {
  const ack = new Histogram()
  const lag = new Histogram()
  const ackErrors: Record<string, number> = {}
  const holds = sockets.map(() => new Set<string>())
  let sent = 0
  let acked = 0
  let failed = 0
  let updates = 0
  const onUpdate = (): void => { updates++ }
  for (const s of sockets) s.on('message:updated', onUpdate)
  const start = perfAt(c.startAt)
  const interval = 1000 / c.rate
  const total = Math.floor((c.rate * c.durationMs) / 1000)
  const n = sockets.length

  const one = (i: number, due: number): void => {
    const u = i % n
    const emoji = BENCH_EMOJIS[(u + Math.floor(i / n) % REACTIONS_PER_MEMBER) % BENCH_EMOJIS.length]!
    const add = !holds[u]!.has(emoji)
    sent++
    lag.record(performance.now() - due)
    sockets[u]!.emit(add ? 'reaction:add' : 'reaction:remove', { messageId: c.messageId, emoji }, (res: { ok?: boolean, error?: { code?: string } } | undefined) => {
      if (res?.ok === true) {
        acked++
        ack.record(performance.now() - due)
        if (add) holds[u]!.add(emoji)
        else holds[u]!.delete(emoji)
      } else {
        failed++
        const code = res?.error?.code ?? 'BAD_ACK'
        ackErrors[code] = (ackErrors[code] ?? 0) + 1
      }
    })
  }

  await new Promise<void>((resolve) => {
    let i = 0
    const tick = (): void => {
      const now = performance.now()
      while (i < total && start + i * interval <= now) {
        one(i, start + i * interval)
        i++
      }
      if (i >= total) resolve()
      else setTimeout(tick, Math.min(Math.max(0, start + i * interval - now), 5))
    }
    setTimeout(tick, Math.max(0, start - performance.now()))
  })
  const deadline = start + c.durationMs + c.drainMs
  while (performance.now() < deadline && acked + failed < sent) await new Promise((resolve) => setTimeout(resolve, 20))
  for (const s of sockets) s.off('message:updated', onUpdate)

  const counts: Record<string, number> = {}
  for (const set of holds) for (const e of set) counts[e] = (counts[e] ?? 0) + 1
  return { sent, acked, ackErrors, ack: ack.toJSON(), lag: lag.toJSON(), counts, updates }
}
