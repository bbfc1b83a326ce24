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
import { PeerStoreSweeper, sweepIntervalMs } from './peer-store-sweeper.js'
import { pingConnection } from './ping-connection.js'
import type { TrackerLogger } from './logger.js'
import type { InsightPeerView, PeerDetailView, PeersQuery } from '../http/api.js'
import type { ExpositionFormat } from '../metrics/exposition.js'
import type { MetricSink } from '../metrics/sink.js'
import type { BuildInfo } from '../metrics/tracker-collector.js'
import type { Clock } from '../tracker/clock.js'
import type { PeerTracker as PeerAccount } from '../tracker/peer-tracker.js'
import type { PeerInsight } from '../insight/peer-insight.js'
import type { ReliabilityCounters } from '../tracker/reliability-counters.js'
import type { ConnectionLabels } from '../tracker/connection-labels.js'
import type { ComponentLogger, Connection, Libp2pEvents, PeerId, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface'
import type { Registry, RegistryContentType } from 'prom-client'

/** What the service takes from the node (libp2p passes every component; these are the ones read). */
export interface PeerTrackerComponents {
  peerId: PeerId
  events: TypedEventTarget<Libp2pEvents>
  /** The node's connection manager: its connections are read, its openConnection observed. */
  connectionManager: {
    getConnections: (peerId?: PeerId) => Connection[]
    /**
     * The open connections by peer (libp2p 3's connection manager has it); read instead of
     * getConnections(), which builds its array with one concat per peer (quadratic in N).
     */
    getConnectionsMap?: () => { values: () => Iterable<Connection[]> }
    openConnection: (...args: never[]) => Promise<Connection>
  }
  peerStore: PeerStore
  logger: ComponentLogger
}

export interface PeerTrackerInit {
  /**
   * The prom-client registry the tracker's families are registered in at start (and removed
   * from at stop); prom-client's default `register` when not given, `false` for none.
   */
  registry?: Registry<RegistryContentType> | false
  /** Most per-peer libp2p_tracker_peer_connection_duration_seconds series (the longest-connected peers); 0 for none. Default 500. */
  maxPeerSeries?: number
  /** A peer with at least this many session starts within flappingWindowMs is flapping. Default 4. */
  flappingSessions?: number
  /** Default 10 minutes. */
  flappingWindowMs?: number
  /** Peers remembered in the per-peer history (connected ones plus the most recently seen). Default 10,000. */
  historyPeers?: number
  /** Sessions remembered per peer. Default 10. */
  historySessions?: number
  /**
   * How often RTTs are sampled: each new measurement of libp2p's connection monitor once, or a
   * ping over an open connection (never a dial) where it has none yet (at most 8 in flight
   * and 10 a second on average, however many peers connect at once). 0: no sampling and no
   * pings. Default 10 s.
   */
  rttSampleIntervalMs?: number
  /**
   * How often libp2p's peer store is swept (expired records deleted, connected peers'
   * records refreshed); one sweep right after start. 0: never. Default 10 minutes (libp2p
   * deletes an expired record only when something reads it).
   */
  peerStoreSweepIntervalMs?: number
  /** Count the node's outbound dials (libp2p_tracker_dials_total) by wrapping its connection manager's openConnection. Default true. */
  observeDials?: boolean
  /**
   * Connection label sets exported as 0 from the first scrape (so rate() and alerts work at
   * once). Default: both directions over TCP with Noise and yamux.
   */
  knownConnectionLabels?: readonly ConnectionLabels[]
  /** The name the node's Kad-DHT service has (its routing table size is exported); false: none. Default 'dht'. */
  dhtService?: string | false
  /**
   * Where the tracker logs (errors it survived; peer connected/disconnected at info, at most 20
   * such lines per 10 s, the rest at debug with one info summary per 10 s: see
   * src/service/peer-event-log.ts). Default: libp2p's logger `libp2p:peer-tracker`.
   */
  logger?: TrackerLogger
  /** Counters of caught errors and gated connections; pass your own to count more into the same families. */
  reliability?: ReliabilityCounters
  /** libp2p_tracker_build_info's labels. Default: this package's version, libp2p's and Node's. */
  buildInfo?: BuildInfo
  /** libp2p_tracker_start_time_seconds. Default: when the service was created. */
  startTimeSeconds?: number
  /** The tracker's clock (ms, monotonic). Default: performance.now. For tests. */
  clock?: Clock
}

/** The counts the status read answers. */
export interface PeerTrackerStatus {
  peerId: string
  /** Peers with at least one open connection. */
  connectedPeers: number
  openConnections: number
  /** Peer sessions opened and closed since the service was created. */
  peerConnects: number
  peerDisconnects: number
}

/** The read API of a running peerTracker service (`node.services.peerTracker`). */
export interface PeerTracker extends Startable {
  /** The tracker's own families (without process metrics) in the text format 0.0.4 or OpenMetrics 1.0. */
  exposition: (format?: ExpositionFormat) => string
  status: () => PeerTrackerStatus
  /** Connected peers with insight; sorted by session duration (longest first) unless asked otherwise. */
  peers: (query?: Partial<PeersQuery>) => InsightPeerView[]
  /** One peer, connected or remembered; undefined when unknown. */
  peer: (peerId: string) => PeerDetailView | undefined
}

export const DEFAULT_MAX_PEER_SERIES = 500
export const DEFAULT_RTT_SAMPLE_INTERVAL_MS = 10_000
/** libp2p's default peer store max age is 6 h: a sweep every 10 minutes. */
export const DEFAULT_PEER_STORE_SWEEP_INTERVAL_MS = sweepIntervalMs(6 * 3_600_000)
/** How long one RTT ping may take. */
const PING_TIMEOUT_MS = 5000

const DEFAULT_CONNECTION_LABELS: readonly ConnectionLabels[] = DIRECTIONS.map(direction => ({ direction, transport: 'tcp', encryption: 'noise', muxer: 'yamux' }))

export class PeerTrackerService implements PeerTracker {
  readonly [Symbol.toStringTag] = 'libp2p-peer-tracker'
  readonly [serviceCapabilities]: string[] = ['@libp2p/peer-tracker']
  /** None required: identify (agents, protocols) and ping (RTT pings answered by peers) are used when the node has them. */
  readonly [serviceDependencies]: string[] = []

  /** The exact account of connected peers (pure state). */
  readonly account: PeerAccount
  readonly insight: PeerInsight
  readonly reliability: ReliabilityCounters
  readonly log: TrackerLogger
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
    this.state = new TrackerState({
      ...(init.clock === undefined ? {} : { clock: init.clock }),
      knownConnectionLabels: init.knownConnectionLabels ?? DEFAULT_CONNECTION_LABELS,
      maxPeerSeries: init.maxPeerSeries ?? DEFAULT_MAX_PEER_SERIES,
      flappingSessions: init.flappingSessions,
      flappingWindowMs: init.flappingWindowMs,
      historyPeers: init.historyPeers,
      historySessions: init.historySessions,
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
    const rttInterval = this.init.rttSampleIntervalMs ?? DEFAULT_RTT_SAMPLE_INTERVAL_MS
    if (rttInterval > 0) {
      const sampler = this.startRttSampler()
      this.every(rttInterval, guardedTask('rtt', this.reliability, this.log, () => {
        sampler.tick([...this.openConnections()].map(c => ({ id: c.id, peerId: c.remotePeer.toString(), rttMs: c.rtt, connection: c })))
      }))
    }
    const sweepInterval = this.init.peerStoreSweepIntervalMs ?? DEFAULT_PEER_STORE_SWEEP_INTERVAL_MS
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

/** The peerTracker service factory (src/index.ts exports it typed as the public PeerTracker). */
export function peerTrackerService (init: PeerTrackerInit = {}): (components: PeerTrackerComponents) => PeerTrackerService {
  return (components) => new PeerTrackerService(components, init)
}
