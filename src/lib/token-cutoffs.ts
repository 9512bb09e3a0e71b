/**
 * Per-user cutoffs for access tokens: after a password change, access tokens of that user
 * issued before the change are refused, although their signature and expiry are still good.
 *
 * Only users whose cutoff is recent are held: an access token lives at most `ttlMs`, so once
 * `cutoff + ttlMs` has passed every token issued before the cutoff has expired anyway and the
 * entry is dropped. The map is therefore as small as the number of password changes in the
 * last access-token lifetime, and checking a token costs one Map lookup, never a database read.
 */
export class TokenCutoffs {
  private readonly byUser = new Map<string, number>()

  private readonly ttlMs: number
  /** `ttlMs`: the longest an access token lives. */
  constructor (ttlMs: number) {
    this.ttlMs = ttlMs
  }

  /** Records a cutoff (epoch ms); an earlier one never replaces a later one. Returns whether it changed. */
  set (userId: string, atMs: number, now = Date.now()): boolean {
    if (atMs + this.ttlMs <= now) return false
    const current = this.byUser.get(userId)
    if (current !== undefined && current >= atMs) return false
    this.byUser.set(userId, atMs)
    return true
  }

  /** The cutoff for the user, if one is still relevant. */
  get (userId: string, now = Date.now()): number | undefined {
    const at = this.byUser.get(userId)
    if (at === undefined) return undefined
    if (at + this.ttlMs <= now) {
      this.byUser.delete(userId)
      return undefined
    }
    return at
  }

  /** True when a token of the user issued at `issuedAtMs` was cut off. */
  revoked (userId: string, issuedAtMs: number, now = Date.now()): boolean {
    const at = this.get(userId, now)
    return at !== undefined && issuedAtMs < at
  }

  /** Drops entries that can no longer matter. */
  prune (now = Date.now()): void {
    for (const [userId, at] of this.byUser) if (at + this.ttlMs <= now) this.byUser.delete(userId)
  }

  get size (): number { return this.byUser.size }
}
