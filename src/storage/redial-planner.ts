/**
 * Which of the peers connected before a restart to dial, and when: at a bounded rate, a few
 * at once, never more than the connection limit allows, each retried with exponential backoff
 * and given up after a few failures. Pure: times come from the caller; no network, no timers.
 * src/storage/redialer.ts runs it against a libp2p node.
 */

export interface RedialOptions {
  /** Never dial while open connections + dials in flight would reach this (--p2p.max-connections). */
  maxConnections: number
  /** Dials started per second, at most. */
  dialsPerSecond: number
  /** Dials in flight at once, at most. */
  maxInFlight: number
  /** Attempts per peer before it is given up. */
  maxAttempts: number
  minBackoffMs: number
  maxBackoffMs: number
  /** [0, 1), for the backoff's jitter; injected in tests. */
  random: () => number
}

export const DEFAULT_REDIAL_OPTIONS: Omit<RedialOptions, 'maxConnections'> = {
  dialsPerSecond: 20,
  maxInFlight: 8,
  maxAttempts: 4,
  minBackoffMs: 2000,
  maxBackoffMs: 60_000,
  random: Math.random
}

/** How long to wait before looking again when the connection limit is reached. */
export const FULL_RECHECK_MS = 1000

interface PlannedPeer {
  attempts: number
  dueAt: number
  inFlight: boolean
}

export class RedialPlanner {
  private readonly peers = new Map<string, PlannedPeer>()
  private readonly options: RedialOptions
  private nextDialAt = -Infinity
  inFlight = 0
  /** Peers connected again (by our dial or theirs). */
  regained = 0
  /** Peers given up after maxAttempts failed dials. */
  givenUp = 0
  dialsStarted = 0

  constructor (peerIds: Iterable<string>, now: number, options: Partial<RedialOptions> & Pick<RedialOptions, 'maxConnections'>) {
    this.options = { ...DEFAULT_REDIAL_OPTIONS, ...options }
    for (const peerId of peerIds) if (!this.peers.has(peerId)) this.peers.set(peerId, { attempts: 0, dueAt: now, inFlight: false })
  }

  /** Peers still to regain (waiting or being dialled). */
  get pending (): number {
    return this.peers.size
  }

  get done (): boolean {
    return this.peers.size === 0
  }

  /**
   * The peers to dial now, marked in flight; empty when the rate, the in-flight cap or the
   * connection limit says wait, or when no peer is due.
   */
  take (now: number, openConnections: number): string[] {
    const taken: string[] = []
    const spacing = 1000 / this.options.dialsPerSecond
    for (const [peerId, peer] of this.peers) {
      if (this.inFlight >= this.options.maxInFlight) break
      if (openConnections + this.inFlight >= this.options.maxConnections) break
      if (now < this.nextDialAt) break
      if (peer.inFlight || peer.dueAt > now) continue
      peer.inFlight = true
      peer.attempts++
      this.inFlight++
      this.dialsStarted++
      // Dial starts at least 1/dialsPerSecond apart: no burst.
      this.nextDialAt = Math.max(this.nextDialAt, now) + spacing
      taken.push(peerId)
    }
    return taken
  }

  /**
   * When take() may next return something (undefined: nothing will come until a dial settles).
   * At the connection limit with nothing in flight: in FULL_RECHECK_MS, when connections may have closed.
   */
  nextWakeAt (now: number, openConnections: number): number | undefined {
    if (this.inFlight >= this.options.maxInFlight) return undefined
    if (openConnections + this.inFlight >= this.options.maxConnections) return this.inFlight > 0 || this.peers.size === 0 ? undefined : now + FULL_RECHECK_MS
    let earliest: number | undefined
    for (const peer of this.peers.values()) {
      if (peer.inFlight) continue
      if (earliest === undefined || peer.dueAt < earliest) earliest = peer.dueAt
    }
    if (earliest === undefined) return undefined
    return Math.max(earliest, this.nextDialAt, now)
  }

  /** The peer is connected (our dial succeeded, or it dialled us): nothing more to do for it. */
  connected (peerId: string): void {
    const peer = this.peers.get(peerId)
    if (peer === undefined) return
    if (peer.inFlight) this.inFlight--
    this.peers.delete(peerId)
    this.regained++
  }

  /** Our dial failed: retried after a backoff, or given up after maxAttempts. */
  failed (peerId: string, now: number): void {
    const peer = this.peers.get(peerId)
    if (peer === undefined) return
    if (peer.inFlight) { peer.inFlight = false; this.inFlight-- }
    if (peer.attempts >= this.options.maxAttempts) {
      this.peers.delete(peerId)
      this.givenUp++
      return
    }
    peer.dueAt = now + this.backoffMs(peer.attempts)
  }

  /** The wait after `failures` failed attempts: min * 2^(failures-1), capped, jittered +-20%. */
  backoffMs (failures: number): number {
    const base = Math.min(this.options.maxBackoffMs, this.options.minBackoffMs * 2 ** Math.min(Math.max(failures - 1, 0), 30))
    return Math.round(base * (0.8 + 0.4 * this.options.random()))
  }

  /** Forgets every peer (the node stops). */
  clear (): void {
    this.peers.clear()
    this.inFlight = 0
  }
}
