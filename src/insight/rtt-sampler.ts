/**
 * Samples round-trip times on a bounded schedule. Each tick reads the RTT libp2p's connection
 * monitor last measured on each connection (Connection.rtt, refreshed by a ping every ~10 s)
 * and records it only when it is new for that connection, so one measurement is recorded once
 * however short the tick interval; per peer the lowest new value counts. Peers the monitor has
 * not measured on any connection yet are pinged over one of their open connections, at most
 * `maxPingsInFlight` at once, one per peer, and never more than `maxPingsPerSecond` on average
 * (a token bucket holding max(maxPingsInFlight, maxPingsPerSecond) pings), however short the
 * tick interval and however many peers connect at once. So a peer gets at most one sample
 * per tick from each source. No timers here: the app calls tick() on its interval.
 *
 * Remembered state is the last monitor value per open connection (rebuilt from each tick's
 * list, so connections that closed are forgotten) and the peers with a ping in flight.
 * A monitor value equal to the previous one (same millisecond) is taken for the same
 * measurement: at worst a repeated identical measurement goes unrecorded.
 */

export interface RttConnection<C> {
  /** libp2p's connection id. */
  id: string
  peerId: string
  /** Connection.rtt (ms) as the connection monitor left it; undefined before its first ping. */
  rttMs: number | undefined
  /** Handed to `ping` (the peerTracker service passes the libp2p Connection). */
  connection: C
}

export interface RttSamplerOptions<C> {
  /** Records one sample for a connected peer. */
  record: (peerId: string, rttMs: number) => void
  /** Pings over this open connection (never dials); resolves with the round trip in ms. */
  ping: (connection: C, peerId: string) => Promise<number>
  maxPingsInFlight?: number
  /** Pings started per second on average, at most. Default 10. */
  maxPingsPerSecond?: number
  /** ms, monotonic; for the ping budget. Default performance.now. */
  now?: () => number
  onPingError?: (peerId: string, err: unknown) => void
  /** `record` or `onPingError` threw after a ping settled (a tick's own errors reach its caller). */
  onError?: (err: unknown) => void
}

interface PeerTick<C> {
  /** The lowest monitor RTT new since the last tick, if any. */
  newRttMs: number | undefined
  /** Some connection of the peer has a monitor RTT (new or not). */
  measured: boolean
  connection: C
}

export class RttSampler<C> {
  private readonly options: Required<Pick<RttSamplerOptions<C>, 'record' | 'ping' | 'maxPingsInFlight' | 'maxPingsPerSecond' | 'now'>> & Pick<RttSamplerOptions<C>, 'onPingError' | 'onError'>
  /** Pings that may start now (the token bucket), refilled at maxPingsPerSecond. */
  private pingBudget: number
  private readonly pingBudgetMax: number
  private budgetAt: number
  private readonly inFlight = new Set<string>()
  /** connection id -> the monitor RTT last seen on it (open connections only). */
  private lastMonitorRtt = new Map<string, number>()
  private stopped = false

  constructor (options: RttSamplerOptions<C>) {
    this.options = { maxPingsInFlight: 8, maxPingsPerSecond: 10, now: () => performance.now(), ...options }
    this.pingBudgetMax = Math.max(this.options.maxPingsInFlight, this.options.maxPingsPerSecond)
    this.pingBudget = this.pingBudgetMax
    this.budgetAt = this.options.now()
  }

  get pingsInFlight (): number {
    return this.inFlight.size
  }

  /** Connections whose last monitor RTT is remembered. */
  get rememberedConnections (): number {
    return this.lastMonitorRtt.size
  }

  /** One round: returns how many peers got a sample from the monitor's RTT. */
  tick (connections: Iterable<RttConnection<C>>): number {
    if (this.stopped) return 0
    const seen = new Map<string, number>()
    const peers = new Map<string, PeerTick<C>>()
    for (const c of connections) {
      let peer = peers.get(c.peerId)
      if (peer === undefined) {
        peer = { newRttMs: undefined, measured: false, connection: c.connection }
        peers.set(c.peerId, peer)
      }
      const rtt = c.rttMs
      if (rtt === undefined || !Number.isFinite(rtt) || rtt < 0) continue
      peer.measured = true
      seen.set(c.id, rtt)
      if (this.lastMonitorRtt.get(c.id) !== rtt && (peer.newRttMs === undefined || rtt < peer.newRttMs)) peer.newRttMs = rtt
    }
    this.lastMonitorRtt = seen
    const now = this.options.now()
    this.pingBudget = Math.min(this.pingBudgetMax, this.pingBudget + Math.max(0, now - this.budgetAt) * this.options.maxPingsPerSecond / 1000)
    this.budgetAt = now
    let sampled = 0
    for (const [peerId, peer] of peers) {
      if (peer.newRttMs !== undefined) {
        this.options.record(peerId, peer.newRttMs)
        sampled++
      } else if (!peer.measured && this.pingBudget >= 1 && this.inFlight.size < this.options.maxPingsInFlight && !this.inFlight.has(peerId)) {
        this.pingBudget--
        this.startPing(peerId, peer.connection)
      }
    }
    return sampled
  }

  stop (): void {
    this.stopped = true
    this.lastMonitorRtt.clear()
  }

  private startPing (peerId: string, connection: C): void {
    this.inFlight.add(peerId)
    let pinged: Promise<number>
    try {
      pinged = this.options.ping(connection, peerId)
    } catch (err) {
      pinged = Promise.reject(err)
    }
    pinged.then(
      (ms) => { if (!this.stopped) this.options.record(peerId, ms) },
      (err: unknown) => { if (!this.stopped) this.options.onPingError?.(peerId, err) }
    ).finally(() => { this.inFlight.delete(peerId) }).catch((err: unknown) => {
      try {
        this.options.onError?.(err)
      } catch {
        // nothing may escape as an unhandled rejection
      }
    })
  }
}
