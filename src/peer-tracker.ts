/**
 * The contract of the peerTracker service, in one file: the public interface (PeerTracker),
 * what it takes (PeerTrackerInit, PeerTrackerComponents) and what status() answers
 * (PeerTrackerStatus). src/index.ts re-exports it with the factory; the class that implements
 * it is src/service/peer-tracker-service.ts (which imports this file, so the contract is not in
 * src/index.ts itself: that would be an import cycle). Defaults: src/defaults.ts.
 */
import type { InsightPeerView, PeerDetailView, PeersQuery } from './insight/peer-views.js'
import type { ExpositionFormat } from './metrics/exposition.js'
import type { BuildInfo } from './metrics/tracker-collector.js'
import type { TrackerLogger } from './service/logger.js'
import type { Clock } from './tracker/clock.js'
import type { ConnectionLabels } from './tracker/connection-labels.js'
import type { ReliabilityCounters } from './tracker/reliability-counters.js'
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
  /** Most per-peer libp2p_tracker_peer_connection_duration_seconds series (the longest-connected peers); 0 for none. Default TRACKER_DEFAULTS.maxPeerSeries (500). */
  maxPeerSeries?: number
  /** A peer with at least this many session starts within flappingWindowMs is flapping. Default TRACKER_DEFAULTS.flappingSessions (4). */
  flappingSessions?: number
  /** Default TRACKER_DEFAULTS.flappingWindowMs (10 minutes). */
  flappingWindowMs?: number
  /** Peers remembered in the per-peer history (connected ones plus the most recently seen). Default TRACKER_DEFAULTS.historyPeers (10,000). */
  historyPeers?: number
  /** Sessions remembered per peer. Default TRACKER_DEFAULTS.historySessions (10). */
  historySessions?: number
  /**
   * How often RTTs are sampled: each new measurement of libp2p's connection monitor once, or a
   * ping over an open connection (never a dial) where it has none yet (at most 8 in flight
   * and 10 a second on average, however many peers connect at once). 0: no sampling and no
   * pings. Default TRACKER_DEFAULTS.rttSampleIntervalMs (10 s).
   */
  rttSampleIntervalMs?: number
  /**
   * How often libp2p's peer store is swept (expired records deleted, connected peers'
   * records refreshed); one sweep right after start. 0: never. Default
   * TRACKER_DEFAULTS.peerStoreSweepIntervalMs (10 minutes (libp2p
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
