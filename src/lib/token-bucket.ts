/** A token bucket: `capacity` burst, refilled at `perSecond`. Used for per-socket event limits. */
export class TokenBucket {
  private tokens: number
  private last = performance.now()
  constructor (private readonly capacity: number, private readonly perSecond: number) {
    this.tokens = capacity
  }

  take (n = 1): boolean {
    const now = performance.now()
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond)
    this.last = now
    if (this.tokens < n) return false
    this.tokens -= n
    return true
  }
}
