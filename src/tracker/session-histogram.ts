/**
 * Buckets (seconds) for finished peer sessions: from a failed handshake-sized second to a week.
 * Human-sized steps so a dashboard reads "under 5 min", "under 1 h", "under 1 d".
 */
export const SESSION_BUCKETS_SECONDS: readonly number[] = [
  1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 21600, 43200, 86400, 259200, 604800
]

/** A cumulative-on-read histogram: observe() is O(buckets) with no allocation. */
export class SessionHistogram {
  readonly bounds: readonly number[]
  /** Non-cumulative counts; index bounds.length is the +Inf overflow. */
  private readonly counts: Float64Array
  sum = 0
  count = 0

  constructor (bounds: readonly number[] = SESSION_BUCKETS_SECONDS) {
    this.bounds = bounds
    this.counts = new Float64Array(bounds.length + 1)
  }

  observe (seconds: number): void {
    let i = 0
    while (i < this.bounds.length && seconds > (this.bounds[i] as number)) i++
    this.counts[i] = (this.counts[i] as number) + 1
    this.sum += seconds
    this.count++
  }

  /** Cumulative count of observations <= each bound (the Prometheus `le` convention). */
  cumulative (): number[] {
    const out = new Array<number>(this.bounds.length)
    let running = 0
    for (let i = 0; i < this.bounds.length; i++) {
      running += this.counts[i] as number
      out[i] = running
    }
    return out
  }
}
