/**
 * The connected-peer count over the last hour, in memory: a ring buffer of samples (time,
 * connected peers, sessions opened and closed so far) at a fixed capacity, so it never grows.
 * Pure: the caller records a sample (see history-sampler.ts for the timer) and the clock is
 * injected, so tests drive it without waiting.
 */
import type { Clock } from '../../tracker/clock.js'

export interface PeerCounts {
  /** Connected peers now. */
  peers: number
  /** Sessions opened since start (libp2p_tracker_peer_connects_total, all directions). */
  opened: number
  /** Sessions closed since start. */
  closed: number
}

export interface PeerCountHistoryOptions {
  /** Samples kept; the oldest is dropped beyond it. */
  capacity: number
  /** How often the sampler records (reported with the series; the buffer itself does not use it). */
  intervalMs: number
  /** Wall-clock time in ms (Date.now), for the timestamps the page shows. */
  clock: Clock
}

/** Column-wise samples, oldest first (uPlot's data layout). `t` is in seconds since the epoch. */
export interface PeerCountSeries {
  t: number[]
  peers: number[]
  opened: number[]
  closed: number[]
}

/** Sessions opened and closed in each whole minute covered by the samples, oldest first. */
export interface SessionsPerMinute {
  /** Start of each minute, seconds since the epoch. */
  t: number[]
  opened: number[]
  closed: number[]
}

/** 5 s samples for an hour. */
export const DEFAULT_SAMPLE_INTERVAL_MS = 5000
export const DEFAULT_HISTORY_CAPACITY = 720

export class PeerCountHistory {
  readonly capacity: number
  readonly intervalMs: number
  private readonly clock: Clock
  private readonly times: Float64Array
  private readonly peers: Float64Array
  private readonly opened: Float64Array
  private readonly closed: Float64Array
  /** Index of the next write. */
  private next = 0
  private count = 0

  constructor (options: PeerCountHistoryOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) throw new RangeError('capacity must be a whole number >= 1')
    this.capacity = options.capacity
    this.intervalMs = options.intervalMs
    this.clock = options.clock
    this.times = new Float64Array(this.capacity)
    this.peers = new Float64Array(this.capacity)
    this.opened = new Float64Array(this.capacity)
    this.closed = new Float64Array(this.capacity)
  }

  get size (): number {
    return this.count
  }

  /** Records the counts at the clock's time (whole ms). A clock that went back is clamped to the last sample's time. */
  record (counts: PeerCounts): void {
    const last = this.count === 0 ? -Infinity : this.times[(this.next + this.capacity - 1) % this.capacity] as number
    const i = this.next
    this.times[i] = Math.max(Math.round(this.clock.now()), last)
    this.peers[i] = counts.peers
    this.opened[i] = counts.opened
    this.closed[i] = counts.closed
    this.next = (i + 1) % this.capacity
    if (this.count < this.capacity) this.count++
  }

  /** Samples taken after `sinceMs` (all when undefined), oldest first. */
  series (sinceMs?: number): PeerCountSeries {
    const out: PeerCountSeries = { t: [], peers: [], opened: [], closed: [] }
    const first = (this.next + this.capacity - this.count) % this.capacity
    for (let k = 0; k < this.count; k++) {
      const i = (first + k) % this.capacity
      const t = this.times[i] as number
      if (sinceMs !== undefined && t <= sinceMs) continue
      out.t.push(t / 1000)
      out.peers.push(this.peers[i] as number)
      out.opened.push(this.opened[i] as number)
      out.closed.push(this.closed[i] as number)
    }
    return out
  }

  /**
   * Sessions opened and closed in each whole minute (on the clock's minute boundaries) the
   * samples cover: the difference between the last sample at or before the minute's start and
   * the last sample at or before its end. The minute in progress and minutes before the first
   * sample are absent.
   */
  perMinute (): SessionsPerMinute {
    const s = this.series()
    const out: SessionsPerMinute = { t: [], opened: [], closed: [] }
    if (s.t.length < 2) return out
    const firstMinute = Math.ceil((s.t[0] as number) / 60) * 60
    const newest = s.t.length - 1
    let i = 0
    for (let minute = firstMinute; minute + 60 <= (s.t[newest] as number); minute += 60) {
      while (i + 1 <= newest && (s.t[i + 1] as number) <= minute) i++
      let j = i
      while (j + 1 <= newest && (s.t[j + 1] as number) <= minute + 60) j++
      if (j === i) continue
      out.t.push(minute)
      out.opened.push((s.opened[j] as number) - (s.opened[i] as number))
      out.closed.push((s.closed[j] as number) - (s.closed[i] as number))
    }
    return out
  }
}
