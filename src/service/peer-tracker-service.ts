/**
 * The peerTracker libp2p service: the one place the tracker meets a libp2p node. It feeds the
 * pure account (src/tracker) and peer insight from the node's events, counts the node's dials,
 * samples RTTs, sweeps the peer store, reads the DHT routing table, registers the tracker's
 * families in a prom-client registry, and answers the read API (exposition, status, peers).
 * libp2p starts and stops it with the node; after the node stops, no timer or listener of it
 * is left.
 */
import { serviceCapabilities, serviceDependencies } from '@libp2p/interface'
import { register as defaultRegistry } from 'prom-client'
import { TRACKER_DEFAULTS } from '../defaults.js'
import { RttSampler } from '../insight/rtt-sampler.js'
import { ALL_METRICS } from '../metrics/definitions.js'
import { registerFamilies } from '../metrics/prom-client-families.js'
import { DIRECTIONS } from '../tracker/connection-labels.js'
import { TrackerState } from './tracker-state.js'
import { attachInsight, attachTracker } from './libp2p-events.js'
import { dhtRoutingTableSize, observeDials, peerStoreRecords } from './libp2p-internals.js'
import { libp2pLogger } from './logger.js'
import { guardedTask, timerDelay } from './periodic-task.js'
import { survivedErrorReporter } from './survived-error.js'
import { PeerStoreSweeper } from './peer-store-sweeper.js'
import { pingConnection } from './ping-connection.js'
import type { PeerTracker, PeerTrackerComponents, PeerTrackerInit, PeerTrackerStatus } from '../peer-tracker.js'
import type { TrackerLogger } from './logger.js'
import type { InsightPeerView, PeerDetailView, PeersQuery } from '../insight/peer-views.js'
import type { ExpositionFormat } from '../metrics/exposition.js'
import type { MetricSink } from '../metrics/sink.js'
import type { PeerAccount } from '../tracker/peer-account.js'
import type { PeerInsight } from '../insight/peer-insight.js'
import type { ReliabilityCounters } from '../tracker/reliability-counters.js'
import type { ConnectionLabels } from '../tracker/connection-labels.js'
import type { Connection, PeerId } from '@libp2p/interface'

/** The values a service runs with: its init, each missing one taken from src/defaults.ts. */
export interface AppliedSettings {
  maxPeerSeries: number
  flappingSessions: number
  flappingWindowMs: number
  historyPeers: number
  historySessions: number
  rttSampleIntervalMs: number
  peerStoreSweepIntervalMs: number
}

/**
 * NOT part of the public API (src/index.ts does not export it): what the CLI (src/app.ts,
 * src/app-polling.ts) reads of a service beyond the PeerTracker interface. It may change in any
 * release.
 */
export interface PeerTrackerInternals extends PeerTracker {
  /** The exact account of connected peers (pure state). */
  readonly account: PeerAccount
  readonly insight: PeerInsight
  readonly reliability: ReliabilityCounters
  readonly log: TrackerLogger
  /** The values applied (init over src/defaults.ts). */
  readonly settings: AppliedSettings
  /** One render of every family into `sink`. */
  collect: (sink: MetricSink) => void
  /** The last sweep of libp2p's peer store runs now (or joins the one running). */
  sweepPeerStore: () => Promise<void>
  /** The lowest RTT libp2p's connection monitor last measured to each peer, in ms. */
  monitorRtts: () => (peerId: string) => number | undefined
}

/** How long one RTT ping may take. */
const PING_TIMEOUT_MS = 5000

const DEFAULT_CONNECTION_LABELS: readonly ConnectionLabels[] = DIRECTIONS.map(direction => ({ direction, transport: 'tcp', encryption: 'noise', muxer: 'yamux' }))

export class PeerTrackerService implements PeerTrackerInternals {
  readonly [Symbol.toStringTag] = 'libp2p-peer-tracker'
  readonly [serviceCapabilities]: string[] = ['@libp2p/peer-tracker']
  /** None required: identify (agents, protocols) and ping (RTT pings answered by peers) are used when the node has them. */
  readonly [serviceDependencies]: string[] = []

  /** The exact account of connected peers (pure state). */
  readonly account: PeerAccount
  readonly insight: PeerInsight
  readonly reliability: ReliabilityCounters
  readonly log: TrackerLogger
  readonly settings: AppliedSettings
  private readonly components: PeerTrackerComponents
  private readonly init: PeerTrackerInit
  /** The account, insight, collector and read views: everything not libp2p. */
  readonly state: TrackerState
  private sweeper: PeerStoreSweeper<PeerId> | undefined
  private rttSampler: RttSampler<Connection> | undefined
  private timers: Array<ReturnType<typeof setInterval>> = []
  private detachers: Array<() => void> = []
  private running = false

  constructor (components: PeerTrackerComponents, init: PeerTrackerInit = {}) {
    this.components = components
    this.init = init
    this.log = init.logger ?? libp2pLogger(components.logger)
    const dhtService = init.dhtService ?? 'dht'
    this.settings = {
      maxPeerSeries: init.maxPeerSeries ?? TRACKER_DEFAULTS.maxPeerSeries,
      flappingSessions: init.flappingSessions ?? TRACKER_DEFAULTS.flappingSessions,
      flappingWindowMs: init.flappingWindowMs ?? TRACKER_DEFAULTS.flappingWindowMs,
      historyPeers: init.historyPeers ?? TRACKER_DEFAULTS.historyPeers,
      historySessions: init.historySessions ?? TRACKER_DEFAULTS.historySessions,
      rttSampleIntervalMs: init.rttSampleIntervalMs ?? TRACKER_DEFAULTS.rttSampleIntervalMs,
      peerStoreSweepIntervalMs: init.peerStoreSweepIntervalMs ?? TRACKER_DEFAULTS.peerStoreSweepIntervalMs
    }
    this.state = new TrackerState({
      ...(init.clock === undefined ? {} : { clock: init.clock }),
      knownConnectionLabels: init.knownConnectionLabels ?? DEFAULT_CONNECTION_LABELS,
      maxPeerSeries: this.settings.maxPeerSeries,
      flappingSessions: this.settings.flappingSessions,
      flappingWindowMs: this.settings.flappingWindowMs,
      historyPeers: this.settings.historyPeers,
      historySessions: this.settings.historySessions,
      ...(init.reliability === undefined ? {} : { reliability: init.reliability }),
      ...(init.buildInfo === undefined ? {} : { buildInfo: init.buildInfo }),
      ...(init.startTimeSeconds === undefined ? {} : { startTimeSeconds: init.startTimeSeconds }),
      dhtRoutingTablePeers: () => dhtService === false ? 0 : dhtRoutingTableSize(components, dhtService),
      lastPeerStoreSweep: () => this.sweeper?.last,
      currentRtts: () => this.monitorRtts()
    })
    this.account = this.state.account
    this.insight = this.state.insight
    this.reliability = this.state.reliability
  }

  /** Listens to the node's events, observes its dials and registers the families: before any connection opens. */
  async start (): Promise<void> {
    const events = this.components.events
    const countLibp2pError = (): void => { this.reliability.internalErrors.count('libp2p_event') }
    this.running = true
    if (this.insight.isShuttingDown) this.insight.endShutdown() // started again after a stop
    this.detachers.push(attachTracker(events, this.account, this.log, countLibp2pError))
    this.detachers.push(attachInsight(events, this.insight, this.account, this.log, countLibp2pError))
    if (this.init.observeDials !== false) this.observeDials(countLibp2pError)
    const registry = this.init.registry === undefined ? defaultRegistry : this.init.registry
    if (registry !== false) {
      try {
        this.detachers.push(registerFamilies(registry, ALL_METRICS, (sink) => { this.collect(sink) }))
      } catch (err) {
        this.detach()
        throw err
      }
    }
  }

  /** The timers, once the node runs: RTT sampling and the peer store sweep (one sweep at once). */
  async afterStart (): Promise<void> {
    const rttInterval = this.settings.rttSampleIntervalMs
    if (rttInterval > 0) {
      const sampler = this.startRttSampler()
      this.every(rttInterval, guardedTask('rtt', this.reliability, this.log, () => {
        sampler.tick([...this.openConnections()].map(c => ({ id: c.id, peerId: c.remotePeer.toString(), rttMs: c.rtt, connection: c })))
      }))
    }
    const sweepInterval = this.settings.peerStoreSweepIntervalMs
    if (sweepInterval > 0) {
      const sweeper = this.startSweeper()
      // sweep() never rejects (its errors are counted); one still running when the timer fires is joined.
      void sweeper.sweep()
      this.every(sweepInterval, guardedTask('peer_store_sweep', this.reliability, this.log, () => { void sweeper.sweep() }))
    }
  }

  /** Before libp2p closes the connections: timers off, and every close from here on is counted as shutdown. */
  async beforeStop (): Promise<void> {
    this.running = false // dials aborted by the shutdown are not failures
    for (const timer of this.timers.splice(0)) clearInterval(timer)
    this.rttSampler?.stop()
    await this.sweeper?.stop() // a sweep in progress ends at its next yield (a few ms)
    this.insight.beginShutdown(this.account.now())
  }

  async stop (): Promise<void> {}

  /** After libp2p closed every connection (each disconnect logged and counted): listeners off, families unregistered. */
  async afterStop (): Promise<void> {
    this.detach()
  }

  // --- the read API ----------------------------------------------------------------------

  exposition (format: ExpositionFormat = 'text'): string {
    return this.state.exposition(format)
  }

  /** One render of every family into `sink`, from the account as it is now. */
  collect (sink: MetricSink): void {
    this.state.collect(sink)
  }

  status (): PeerTrackerStatus {
    return { peerId: this.components.peerId.toString(), ...this.state.counts() }
  }

  peers (query: Partial<PeersQuery> = {}): InsightPeerView[] {
    return this.state.peers(query)
  }

  peer (peerId: string): PeerDetailView | undefined {
    return this.state.peer(peerId)
  }

  /** The last sweep of libp2p's peer store runs now (or joins the one running); undefined when sweeping is off or stopped. */
  async sweepPeerStore (): Promise<void> {
    await this.sweeper?.sweep()
  }

  // --- the parts --------------------------------------------------------------------------

  private observeDials (countLibp2pError: () => void): void {
    try {
      // Every outbound dial libp2p makes (the user's, Kad-DHT, reconnects, services) feeds
      // libp2p_tracker_dials_total / dial_errors_total; dials the shutdown aborts do not.
      this.detachers.push(observeDials(this.components.connectionManager, {
        succeeded: () => { this.insight.dialSucceeded() },
        failed: (err) => { this.insight.dialFailed(err) },
        stopping: () => !this.running || this.insight.isShuttingDown,
        onError: (err) => { countLibp2pError(); this.log.error({ err, event: 'dial' }, 'error while counting a dial') }
      }))
    } catch (err) {
      // A libp2p without the hook: run without dial counts rather than not at all.
      countLibp2pError()
      this.log.error({ err }, 'dials cannot be counted: libp2p_tracker_dials_total stays 0')
    }
  }

  /** RTT on a bounded schedule: each new monitor measurement once, or a capped ping over an open connection. */
  private startRttSampler (): RttSampler<Connection> {
    this.rttSampler = new RttSampler<Connection>({
      record: (peerId, rttMs) => { const session = this.account.session(peerId); if (session !== undefined) this.insight.rttSampled(session, rttMs) },
      ping: async (connection) => await pingConnection(connection, AbortSignal.timeout(PING_TIMEOUT_MS)),
      onPingError: (peerId, err) => { this.log.debug({ peerId, err: (err as Error)?.message }, 'RTT ping failed') },
      onError: (err) => { survivedErrorReporter(this.reliability, this.log)('rtt', err, 'error while recording an RTT sample') }
    })
    return this.rttSampler
  }

  /** Deletes the peer store's expired records (libp2p only does when it reads one). */
  private startSweeper (): PeerStoreSweeper<PeerId> {
    const connectedPeers = (): PeerId[] => {
      const peers = new Map<string, PeerId>()
      for (const c of this.openConnections()) peers.set(c.remotePeer.toString(), c.remotePeer)
      return [...peers.values()]
    }
    this.sweeper = new PeerStoreSweeper({
      store: peerStoreRecords(this.components.peerStore, connectedPeers),
      onSwept: (r) => { this.log.debug({ records: r.records, refreshed: r.refreshed, refreshFailed: r.refreshFailed, durationMs: Math.round(r.durationMs) }, 'peer store swept') },
      onError: (err) => { survivedErrorReporter(this.reliability, this.log)('peer_store_sweep', err, 'error while sweeping libp2p\'s peer store') }
    })
    return this.sweeper
  }

  /** Not unref'd: beforeStop clears them, and test/e2e/service-exit.test.ts proves it (a timer left would keep its process alive). */
  private every (intervalMs: number, run: () => void): void {
    const timer = setInterval(run, timerDelay(intervalMs))
    this.timers.push(timer)
  }

  /** Every open connection, O(N): getConnectionsMap() when the connection manager has it. */
  private * openConnections (): Generator<Connection> {
    const manager = this.components.connectionManager
    if (manager.getConnectionsMap === undefined) {
      yield * manager.getConnections()
      return
    }
    for (const connections of manager.getConnectionsMap().values()) yield * connections
  }

  private detach (): void {
    for (const detach of this.detachers.splice(0).reverse()) detach()
  }

  /**
   * The lowest RTT libp2p's connection monitor last measured to each peer, in ms (shown before a
   * sample). Internal like `account` and `insight`: the CLI's peer view reads it.
   */
  monitorRtts (): (peerId: string) => number | undefined {
    const rtts = new Map<string, number>()
    for (const connection of this.openConnections()) {
      const rtt = connection.rtt
      if (rtt === undefined) continue
      const peerId = connection.remotePeer.toString()
      rtts.set(peerId, Math.min(rtt, rtts.get(peerId) ?? Infinity))
    }
    return (peerId) => rtts.get(peerId)
  }
}

/**
 * The factory the CLI uses: the same service as src/index.ts's peerTracker, typed with its
 * internals. Internal, not exported from src/index.ts.
 */
export function peerTrackerInternal (init: PeerTrackerInit = {}): (components: PeerTrackerComponents) => PeerTrackerInternals {
  return (components) => new PeerTrackerService(components, init)
}
