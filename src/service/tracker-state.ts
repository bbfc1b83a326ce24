/**
 * The tracker's state apart from where its events come from: the pure account and peer
 * insight, the collector that renders every family from them, and the read views (status,
 * peers, one peer). The peerTracker libp2p service owns one and feeds it from a node's
 * events; the pollers of src/sources own one and feed it from a node's API. No libp2p here.
 */
import { insightPeersView, peerDetailView } from '../insight/peer-views.js'
import { PeerInsight } from '../insight/peer-insight.js'
import { ExpositionWriter } from '../metrics/exposition.js'
import { TrackerCollector } from '../metrics/tracker-collector.js'
import { monotonicClock } from '../tracker/clock.js'
import { PeerAccount } from '../tracker/peer-account.js'
import { ReliabilityCounters } from '../tracker/reliability-counters.js'
import { buildInfo } from '../version.js'
import type { InsightPeerView, PeerDetailView, PeersQuery } from '../insight/peer-views.js'
import type { ExpositionFormat } from '../metrics/exposition.js'
import type { MetricSink } from '../metrics/sink.js'
import type { BuildInfo } from '../metrics/tracker-collector.js'
import type { Clock } from '../tracker/clock.js'
import type { ConnectionLabels } from '../tracker/connection-labels.js'

export interface TrackerStateOptions {
  clock?: Clock
  knownConnectionLabels: readonly ConnectionLabels[]
  maxPeerSeries: number
  flappingSessions?: number
  flappingWindowMs?: number
  historyPeers?: number
  historySessions?: number
  reliability?: ReliabilityCounters
  buildInfo?: BuildInfo
  startTimeSeconds?: number
  /** Size of the DHT routing table now; 0 when there is none (a polling source). */
  dhtRoutingTablePeers?: () => number
  /** The last sweep of libp2p's peer store; undefined when none (a polling source). */
  lastPeerStoreSweep?: () => { records: number, endedAt: number } | undefined
  /** The RTT each connected peer has now, in ms, shown before a sample (libp2p's connection monitor, a poll's latency). */
  currentRtts?: () => (peerId: string) => number | undefined
}

/** The counts the status read answers. */
export interface TrackerCounts {
  /** Peers with at least one open connection. */
  connectedPeers: number
  openConnections: number
  /** Peer sessions opened and closed since the tracker was created. */
  peerConnects: number
  peerDisconnects: number
}

const NO_RTTS = (): (peerId: string) => number | undefined => () => undefined

export class TrackerState {
  /** The exact account of connected peers (pure state). */
  readonly account: PeerAccount
  readonly insight: PeerInsight
  readonly reliability: ReliabilityCounters
  private readonly collector: TrackerCollector
  private readonly currentRtts: () => (peerId: string) => number | undefined

  constructor (options: TrackerStateOptions) {
    this.reliability = options.reliability ?? new ReliabilityCounters()
    this.insight = new PeerInsight({
      ...(options.flappingSessions === undefined ? {} : { flappingSessions: options.flappingSessions }),
      ...(options.flappingWindowMs === undefined ? {} : { flappingWindowMs: options.flappingWindowMs }),
      ...(options.historyPeers === undefined ? {} : { historyPeers: options.historyPeers }),
      ...(options.historySessions === undefined ? {} : { historySessions: options.historySessions })
    })
    this.account = new PeerAccount(options.clock ?? monotonicClock, options.knownConnectionLabels, this.insight)
    this.currentRtts = options.currentRtts ?? NO_RTTS
    this.collector = new TrackerCollector(this.account, {
      maxPeerSeries: options.maxPeerSeries,
      buildInfo: options.buildInfo ?? buildInfo(),
      startTimeSeconds: options.startTimeSeconds ?? Math.floor(Date.now() / 1000),
      dhtRoutingTablePeers: options.dhtRoutingTablePeers ?? (() => 0),
      ...(options.lastPeerStoreSweep === undefined ? {} : { lastPeerStoreSweep: options.lastPeerStoreSweep }),
      reliability: this.reliability,
      insight: this.insight
    })
  }

  /** One render of every family into `sink`, from the account as it is now. */
  collect (sink: MetricSink): void {
    this.collector.collect(sink)
  }

  /** The families (without process metrics) in the text format 0.0.4 or OpenMetrics 1.0. */
  exposition (format: ExpositionFormat = 'text'): string {
    const writer = new ExpositionWriter(format)
    this.collect(writer)
    return writer.finish()
  }

  counts (): TrackerCounts {
    return {
      connectedPeers: this.account.connectedPeers,
      openConnections: this.account.openConnections,
      peerConnects: this.account.totalConnects(),
      peerDisconnects: this.account.totalDisconnects()
    }
  }

  /** Connected peers with insight; sorted by session duration (longest first) unless asked otherwise. */
  peers (query: Partial<PeersQuery> = {}): InsightPeerView[] {
    return insightPeersView(this.account, this.insight, this.currentRtts(), { sort: query.sort ?? 'duration', limit: query.limit })
  }

  /** One peer, connected or remembered; undefined when unknown. */
  peer (peerId: string): PeerDetailView | undefined {
    return peerDetailView(this.account, this.insight, this.currentRtts(), peerId)
  }

  /** The RTT each connected peer has now, in ms (for the peer view). */
  rtts (): (peerId: string) => number | undefined {
    return this.currentRtts()
  }
}
