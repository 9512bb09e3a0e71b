/**
 * Latency histogram with ~1 % wide logarithmic buckets over microseconds, so workers can
 * record millions of samples in constant memory and the parent can merge them exactly.
 */
const SCALE = 100

export interface HistogramData { buckets: Array<[number, number]>, count: number, sum: number, max: number }

export class Histogram {
  private readonly counts = new Map<number, number>()
  count = 0
  sum = 0
  max = 0

  record (ms: number): void {
    const v = ms < 0 ? 0 : ms
    const idx = Math.round(Math.log1p(v * 1000) * SCALE)
    this.counts.set(idx, (this.counts.get(idx) ?? 0) + 1)
    this.count++
    this.sum += v
    if (v > this.max) this.max = v
  }

  /** Value (ms) at quantile q in [0, 1]; undefined when empty. */
  quantile (q: number): number | undefined {
    if (this.count === 0) return undefined
    const rank = Math.max(1, Math.ceil(q * this.count))
    let seen = 0
    for (const idx of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(idx) ?? 0
      if (seen >= rank) return Math.min(this.max, Math.expm1(idx / SCALE) / 1000)
    }
    return this.max
  }

  mean (): number | undefined { return this.count === 0 ? undefined : this.sum / this.count }

  toJSON (): HistogramData {
    return { buckets: [...this.counts.entries()], count: this.count, sum: this.sum, max: this.max }
  }

  static from (data: HistogramData): Histogram {
    const h = new Histogram()
    h.merge(data)
    return h
  }

  merge (data: HistogramData): void {
    for (const [idx, n] of data.buckets) this.counts.set(idx, (this.counts.get(idx) ?? 0) + n)
    this.count += data.count
    this.sum += data.sum
    if (data.max > this.max) this.max = data.max
  }
}

/** Rounds to 2 decimals (undefined stays null in JSON). */
export const round2 = (v: number | undefined): number | null => v === undefined || !Number.isFinite(v) ? null : Math.round(v * 100) / 100
