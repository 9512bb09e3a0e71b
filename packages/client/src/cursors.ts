import type { Message } from './protocol.js'

interface Track {
  /** Every seq up to here was seen (or is known to be unavailable). */
  upTo: number
  /** Seen seqs above `upTo` (messages that arrived ahead of a gap). */
  ahead: Set<number>
}

/**
 * Per-conversation positions in a gap-free counter, for catch-up and de-duplication: the
 * client keeps one for message `seq`s and one for change `rev`s (passed as `seq`).
 * `upTo` only moves over contiguous seqs, so a message that overtook another (two senders racing) does not hide
 * the one still on its way; `sync` asks from `upTo` and skips what is in `ahead`.
 */
export class Cursors {
  private readonly tracks = new Map<string, Track>()

  /** Records a message; false when it was already seen (do not deliver it again). */
  accept (m: Pick<Message, 'conversationId' | 'seq'>): boolean {
    let t = this.tracks.get(m.conversationId)
    // First sight of a conversation: what came before is history, not something missed.
    if (t === undefined) this.tracks.set(m.conversationId, t = { upTo: m.seq - 1, ahead: new Set() })
    if (m.seq <= t.upTo || t.ahead.has(m.seq)) return false
    t.ahead.add(m.seq)
    while (t.ahead.delete(t.upTo + 1)) t.upTo++
    return true
  }

  /** Sets a conversation's position (an app resuming from stored cursors). */
  set (conversationId: string, seq: number): void {
    const t = this.tracks.get(conversationId) ?? { upTo: seq, ahead: new Set<number>() }
    t.upTo = seq
    for (const s of t.ahead) if (s <= seq) t.ahead.delete(s)
    while (t.ahead.delete(t.upTo + 1)) t.upTo++
    this.tracks.set(conversationId, t)
  }

  /**
   * Records a message returned by `sync`. The server returns every seq above the cursor we
   * sent, so whatever lies below it and was not returned cannot arrive (a gap closes).
   */
  acceptSynced (m: Pick<Message, 'conversationId' | 'seq'>): boolean {
    const fresh = this.accept(m)
    const t = this.tracks.get(m.conversationId)
    if (t !== undefined && m.seq > t.upTo) this.set(m.conversationId, m.seq)
    return fresh
  }

  /** Moves a position forward only (the server says everything up to `seq` was returned). */
  advance (conversationId: string, seq: number): void {
    const t = this.tracks.get(conversationId)
    if (t === undefined || seq > t.upTo) this.set(conversationId, seq)
  }

  /** Some seq above the position was seen, so the ones between are missing (for now). */
  hasGap (conversationId: string): boolean {
    return (this.tracks.get(conversationId)?.ahead.size ?? 0) > 0
  }

  /** Every seq up to this one was seen. */
  position (conversationId: string): number | undefined {
    return this.tracks.get(conversationId)?.upTo
  }

  get size (): number { return this.tracks.size }

  /** The positions to send with `sync` (and to persist). */
  snapshot (): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [id, t] of this.tracks) out[id] = t.upTo
    return out
  }
}
