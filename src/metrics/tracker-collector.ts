/**
 * Renders the tracker's families from its state at scrape time. Everything here is O(what is
 * exported): the per-peer series stop at the cap, the rest are a few fixed label sets.
 */
import { DIRECTIONS, TRANSPORTS } from '../tracker/connection-labels.js'
import { METRICS } from './definitions.js'
import { formatLabels } from './exposition.js'
import type { MetricSink } from './sink.js'
import type { PeerAccount } from '../tracker/peer-account.js'
import { collectInsight } from './insight-collector.js'
import { PeerInsight } from '../insight/peer-insight.js'
import { ReliabilityCounters } from '../tracker/reliability-counters.js'

export interface BuildInfo {
  version: string
  revision: string
  libp2pVersion: string
  nodejsVersion: string
}

export interface TrackerCollectorOptions {
  /** Most per-peer duration series to export (the longest-connected peers). */
  maxPeerSeries: number
  buildInfo: BuildInfo
  startTimeSeconds: number
  /** Size of the DHT routing table now; 0 when there is no DHT. */
  dhtRoutingTablePeers: () => number
  /**
   * The last sweep of libp2p's peer store (src/service/peer-store-sweeper.ts): records left and
   * when it ended (ms since the epoch); undefined before the first, and when not given.
   */
  lastPeerStoreSweep?: () => { records: number, endedAt: number } | undefined
  /** Internal errors and gated connections; all 0 when not given. */
  reliability?: ReliabilityCounters
  /** Peer insight (the tracker's observer); an empty one (all 0) when not given. */
  insight?: PeerInsight
}

const DIRECTION_LABELS = Object.fromEntries(DIRECTIONS.map(d => [d, formatLabels(['direction'], [d])]))
const DIRECTION_BODIES = Object.fromEntries(DIRECTIONS.map(d => [d, `direction="${d}"`]))

export class TrackerCollector {
  private readonly tracker: PeerAccount
  private readonly options: TrackerCollectorOptions
  private readonly buildInfoLabels: string

  constructor (tracker: PeerAccount, options: TrackerCollectorOptions) {
    this.tracker = tracker
    this.options = options
    const b = options.buildInfo
    this.buildInfoLabels = formatLabels(METRICS.buildInfo.labels, [b.version, b.revision, b.libp2pVersion, b.nodejsVersion])
  }

  private idleInsight: PeerInsight | undefined

  private emptyInsight (): PeerInsight {
    this.idleInsight ??= new PeerInsight()
    return this.idleInsight
  }

  private collectReliability (w: MetricSink): void {
    const r = this.options.reliability ?? EMPTY_RELIABILITY
    w.family(METRICS.internalErrors)
    for (const [component, count] of r.internalErrors.entries()) w.sample(METRICS.internalErrors.name, componentLabel(component), count)
    w.family(METRICS.gatedConnections)
    for (const d of DIRECTIONS) w.sample(METRICS.gatedConnections.name, DIRECTION_LABELS[d] as string, r.gatedConnections[d])
  }

  collect (w: MetricSink): void {
    const t = this.tracker
    const now = t.now()

    w.family(METRICS.connectedPeers)
    w.sample(METRICS.connectedPeers.name, '', t.connectedPeers)

    w.family(METRICS.peerConnects)
    for (const d of DIRECTIONS) w.sample(METRICS.peerConnects.name, DIRECTION_LABELS[d] as string, t.connects[d])
    w.family(METRICS.peerDisconnects)
    for (const d of DIRECTIONS) w.sample(METRICS.peerDisconnects.name, DIRECTION_LABELS[d] as string, t.disconnects[d])

    w.family(METRICS.peerConnectionDuration)
    let exported = 0
    if (this.options.maxPeerSeries > 0) {
      for (const session of t.sessionsByAge()) {
        // Peer IDs are base58 or base32: nothing in them needs escaping.
        w.sample(METRICS.peerConnectionDuration.name, `{peer_id="${session.peerId}"}`, Math.max(0, Math.round(now - session.startedAt)) / 1000) // ms precision
        if (++exported === this.options.maxPeerSeries) break
      }
    }
    w.family(METRICS.peerSeriesDropped)
    w.sample(METRICS.peerSeriesDropped.name, '', t.connectedPeers - exported)

    w.family(METRICS.peerSessionDuration)
    for (const d of DIRECTIONS) {
      const h = t.finishedSessions[d]
      w.histogram(METRICS.peerSessionDuration.name, DIRECTION_BODIES[d] as string, h.bounds, h.cumulative(), h.sum, h.count)
    }

    w.family(METRICS.openConnections)
    for (const c of t.connectionCountsByLabels()) w.sample(METRICS.openConnections.name, connectionLabels(c.labels), c.opened - c.closed)
    w.family(METRICS.connectionsOpened)
    for (const c of t.connectionCountsByLabels()) w.sample(METRICS.connectionsOpened.name, connectionLabels(c.labels), c.opened)
    w.family(METRICS.connectionsClosed)
    for (const c of t.connectionCountsByLabels()) w.sample(METRICS.connectionsClosed.name, connectionLabels(c.labels), c.closed)

    w.family(METRICS.peersByTransport)
    const byTransport = new Map<string, number>(TRANSPORTS.map(tr => [tr, 0]))
    for (const session of t.sessionsByAge()) {
      for (const transport of new Set(session.connections.map(c => c.transport))) byTransport.set(transport, (byTransport.get(transport) ?? 0) + 1)
    }
    for (const [transport, peers] of byTransport) w.sample(METRICS.peersByTransport.name, `{transport="${transport}"}`, peers)

    w.family(METRICS.dhtRoutingTablePeers)
    w.sample(METRICS.dhtRoutingTablePeers.name, '', this.options.dhtRoutingTablePeers())

    // A sweep's result, not state read now: counting the store at each scrape would read (and
    // expire) every record per scrape. Exported with the sweep's time.
    const sweep = this.options.lastPeerStoreSweep?.()
    w.family(METRICS.peerStorePeers)
    w.sample(METRICS.peerStorePeers.name, '', sweep?.records ?? 0)
    w.family(METRICS.peerStoreLastSweep)
    w.sample(METRICS.peerStoreLastSweep.name, '', sweep === undefined ? 0 : sweep.endedAt / 1000)

    w.family(METRICS.buildInfo)
    w.sample(METRICS.buildInfo.name, this.buildInfoLabels, 1)

    w.family(METRICS.startTime)
    w.sample(METRICS.startTime.name, '', this.options.startTimeSeconds)

    this.collectReliability(w)

    // Peer insight last (INSIGHT_METRICS follow METRICS in the exposition).
    collectInsight(w, this.options.insight ?? this.emptyInsight(), t, now)
  }
}

const EMPTY_RELIABILITY = new ReliabilityCounters()
const COMPONENT_LABELS = new Map<string, string>()

function componentLabel (component: string): string {
  let labels = COMPONENT_LABELS.get(component)
  if (labels === undefined) {
    labels = formatLabels(['component'], [component])
    COMPONENT_LABELS.set(component, labels)
  }
  return labels
}

function connectionLabels (labels: { direction: string, transport: string, encryption: string, muxer: string }): string {
  return `{direction="${labels.direction}",transport="${labels.transport}",encryption="${labels.encryption}",muxer="${labels.muxer}"}`
}
