/** A token bucket: `capacity` burst, refilled at `perSecond`. Used for per-socket event limits. */
export class TokenBucket {
  private tokens: number
  private last = performance.now()
  private readonly capacity: number
  private readonly perSecond: number
  constructor (capacity: number, perSecond: number) {
    this.capacity = capacity
    this.perSecond = perSecond
    this.tokens = capacity
  }

  take (n = 1): boolean {
    this.refill()
    if (this.tokens < n) return false
    this.tokens -= n
    return true
  }

  /** Milliseconds until `n` tokens are available (0 when they are now). */
  msUntil (n = 1): number {
    this.refill()
    return this.tokens >= n ? 0 : Math.ceil(((n - this.tokens) / this.perSecond) * 1000)
  }

  private refill (): void {
    const now = performance.now()
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond)
    this.last = now
  }
}
