/**
 * Samples round-trip times on a bounded schedule: each tick takes the RTT libp2p's connection
 * monitor last measured on each connection (the lowest per peer) and, for peers it has not
 * measured yet, starts a ping, at most `maxPingsInFlight` at once. No timers here: the app
 * calls tick() on its interval.
 */

export interface RttConnection {
  peerId: string
  /** Connection.rtt (ms) as the connection monitor left it; undefined before its first ping. */
  rttMs: number | undefined
}

export interface RttSamplerOptions {
  /** Records one sample for a connected peer. */
  record: (peerId: string, rttMs: number) => void
  /** Pings a peer; resolves with the round trip in ms. */
  ping: (peerId: string) => Promise<number>
  maxPingsInFlight?: number
  onPingError?: (peerId: string, err: unknown) => void
}

export class RttSampler {
  private readonly options: Required<Omit<RttSamplerOptions, 'onPingError'>> & Pick<RttSamplerOptions, 'onPingError'>
  private readonly inFlight = new Set<string>()
  private stopped = false

  constructor (options: RttSamplerOptions) {
    this.options = { maxPingsInFlight: 8, ...options }
  }

  get pingsInFlight (): number {
    return this.inFlight.size
  }

  /** One round: returns how many peers got a sample from the monitor's RTT. */
  tick (connections: Iterable<RttConnection>): number {
    if (this.stopped) return 0
    const best = new Map<string, number | undefined>()
    for (const c of connections) {
      const known = best.get(c.peerId)
      if (c.rttMs !== undefined && Number.isFinite(c.rttMs) && (known === undefined || c.rttMs < known)) best.set(c.peerId, c.rttMs)
      else if (!best.has(c.peerId)) best.set(c.peerId, undefined)
    }
    let sampled = 0
    for (const [peerId, rttMs] of best) {
      if (rttMs !== undefined) {
        this.options.record(peerId, rttMs)
        sampled++
      } else if (this.inFlight.size < this.options.maxPingsInFlight && !this.inFlight.has(peerId)) {
        this.inFlight.add(peerId)
        this.options.ping(peerId).then(
          (ms) => { if (!this.stopped) this.options.record(peerId, ms) },
          (err: unknown) => { if (!this.stopped) this.options.onPingError?.(peerId, err) }
        ).finally(() => { this.inFlight.delete(peerId) })
      }
    }
    return sampled
  }

  stop (): void {
    this.stopped = true
  }
}
