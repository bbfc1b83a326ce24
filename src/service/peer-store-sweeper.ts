/**
 * Keeps libp2p's peer store bounded. The store keeps a record for every peer ID the node ever
 * heard of (identify, Kad-DHT answers, dials) and marks a record expired once it has not been
 * updated for maxPeerAge and no address of it was observed within maxAddressAge, but deletes an
 * expired record only when something reads it. Nothing in this process reads the whole store
 * after start-up, so without this the store grows with every new peer ID for the life of the
 * process.
 *
 * A sweep first refreshes the records of the peers connected now (so a long connection never
 * loses its record: its tags rank it for libp2p's connection pruning and reconnects), then
 * reads every record once, which deletes the expired ones, yielding to the event loop every
 * `batchSize` records so /metrics stays responsive with 100,000 records. Never two at once.
 * The peerTracker service runs it on a timer (sweepIntervalMs); this module has no timer and no libp2p import.
 */
import type { Clock } from '../tracker/clock.js'

/**
 * A sweep every 10 minutes at most: an expired record lives at most that long past its age
 * (under 3 % of libp2p's default 6 h), and a sweep costs 20-30 µs of CPU per record (measured:
 * 20,000 identify-sized records in 0.6-0.8 s), so 100,000 records cost ~3 s of CPU every 10
 * minutes (0.5 % of a core), in slices of `batchSize` records.
 */
export const MAX_SWEEP_INTERVAL_MS = 10 * 60_000

/** Records read between two yields to the event loop: 5-10 ms of work each (measured: the longest event-loop gap during a 20,000-record sweep 11-45 ms, against 600 ms for peerStore.forEach). */
export const DEFAULT_SWEEP_BATCH = 256

/**
 * How often to sweep for a peer store max age: every 10 minutes, or twice per max age when it
 * is shorter, so a connected peer's record is refreshed before it could expire.
 */
export function sweepIntervalMs (maxAgeMs: number): number {
  return Math.max(1, Math.min(MAX_SWEEP_INTERVAL_MS, Math.floor(maxAgeMs / 2)))
}

/** The peer store as a sweep reads it (libp2p-internals.ts: peerStoreRecords). */
export interface PeerStoreRecords<P> {
  /** The peers connected now. */
  connectedPeers: () => Iterable<P>
  /** Marks a connected peer's record updated now, keeping what it holds. */
  refresh: (peer: P) => Promise<void>
  /** Every record, read once: the store deletes each expired record as it reads it and leaves it out. */
  records: () => AsyncIterable<unknown>
}

export interface SweepResult {
  /** Records left in the store: read and not expired. */
  records: number
  /** Connected peers whose records were refreshed first, and those whose refresh failed. */
  refreshed: number
  refreshFailed: number
  /** How long the sweep took, yields included. */
  durationMs: number
  /** When it ended, in ms since the Unix epoch. */
  endedAt: number
}

export interface PeerStoreSweeperOptions<P> {
  store: PeerStoreRecords<P>
  /** Each sweep that read the whole store. */
  onSwept?: (result: SweepResult) => void
  /** A sweep failed (reading the store threw) or some refreshes failed: once per sweep and phase. */
  onError: (err: unknown) => void
  batchSize?: number
  /** Lets timers and I/O run; setImmediate by default. */
  yieldToEventLoop?: () => Promise<void>
  /** Wall time for SweepResult.endedAt; Date.now by default. */
  clock?: Clock
  /** A monotonic ms clock for durations; performance.now by default. */
  elapsed?: () => number
}

const setImmediateYield = async (): Promise<void> => { await new Promise<void>(resolve => { setImmediate(resolve) }) }

export class PeerStoreSweeper<P> {
  private readonly options: PeerStoreSweeperOptions<P>
  private readonly batchSize: number
  private running: Promise<SweepResult | undefined> | undefined
  private stopped = false
  private lastResult: SweepResult | undefined

  constructor (options: PeerStoreSweeperOptions<P>) {
    this.options = options
    this.batchSize = Math.max(1, options.batchSize ?? DEFAULT_SWEEP_BATCH)
  }

  /** The last sweep that read the whole store; undefined before the first. */
  get last (): SweepResult | undefined {
    return this.lastResult
  }

  /**
   * Sweeps once. A call while a sweep runs joins that sweep. Never rejects: errors go to
   * onError and resolve undefined, as does a sweep cut short by stop() or called after it.
   */
  async sweep (): Promise<SweepResult | undefined> {
    if (this.stopped) return undefined
    this.running ??= this.run().finally(() => { this.running = undefined })
    return await this.running
  }

  /** Stops: a sweep in progress ends at its next yield (awaited here); later sweeps do nothing. */
  async stop (): Promise<void> {
    this.stopped = true
    await this.running
  }

  private async run (): Promise<SweepResult | undefined> {
    const elapsed = this.options.elapsed ?? (() => performance.now())
    const pause = this.options.yieldToEventLoop ?? setImmediateYield
    const started = elapsed()
    let refreshed = 0
    let refreshFailed = 0
    let firstRefreshError: unknown
    let records = 0
    try {
      // Refresh first: a connected peer's record is then never among the expired ones read next.
      for (const peer of [...this.options.store.connectedPeers()]) {
        try {
          await this.options.store.refresh(peer)
          refreshed++
        } catch (err) {
          if (refreshFailed++ === 0) firstRefreshError = err
        }
        if ((refreshed + refreshFailed) % this.batchSize === 0) {
          await pause()
          if (this.stopped) return undefined
        }
      }
      if (refreshFailed > 0) this.report(firstRefreshError)
      for await (const _record of this.options.store.records()) {
        if (++records % this.batchSize === 0) {
          await pause()
          if (this.stopped) return undefined // leaving the loop ends the store's iterator
        }
      }
    } catch (err) {
      this.report(err)
      return undefined
    }
    const result: SweepResult = { records, refreshed, refreshFailed, durationMs: elapsed() - started, endedAt: (this.options.clock ?? Date).now() }
    this.lastResult = result
    try {
      this.options.onSwept?.(result)
    } catch (err) {
      this.report(err)
    }
    return result
  }

  private report (err: unknown): void {
    try {
      this.options.onError(err)
    } catch {
      // nothing may escape a sweep: it runs from a timer
    }
  }
}
