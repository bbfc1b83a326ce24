/**
 * Every metric the tracker exports, in one place: name, type, help and label names.
 * These names are a public contract (dashboards and alerts depend on them): never rename.
 * What feeds each one is in tracker-collector.ts, which reads the tracker at scrape time.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram'

export interface MetricDefinition {
  readonly name: string
  readonly type: MetricType
  readonly help: string
  readonly labels: readonly string[]
}

function define (name: string, type: MetricType, help: string, labels: readonly string[] = []): MetricDefinition {
  return { name, type, help, labels }
}

const CONNECTION_LABELS = ['direction', 'transport', 'encryption', 'muxer'] as const

export const METRICS = {
  connectedPeers: define('libp2p_tracker_connected_peers', 'gauge',
    'Peers with at least one open connection (unique peers, not connections).'),
  peerConnects: define('libp2p_tracker_peer_connects_total', 'counter',
    'Peer sessions opened: a peer\'s first connection opened, by the direction of that connection.', ['direction']),
  peerDisconnects: define('libp2p_tracker_peer_disconnects_total', 'counter',
    'Peer sessions closed: a peer\'s last connection closed, by the direction that opened the session.', ['direction']),
  peerConnectionDuration: define('libp2p_tracker_peer_connection_duration_seconds', 'gauge',
    'Age of each connected peer\'s current session, for the longest-connected peers up to --tracker.max-peer-series.', ['peer_id']),
  peerSeriesDropped: define('libp2p_tracker_peer_series_dropped', 'gauge',
    'Connected peers left out of libp2p_tracker_peer_connection_duration_seconds by --tracker.max-peer-series.'),
  peerSessionDuration: define('libp2p_tracker_peer_session_duration_seconds', 'histogram',
    'Duration of finished peer sessions, by the direction that opened the session.', ['direction']),
  openConnections: define('libp2p_tracker_open_connections', 'gauge',
    'Open connections (several may lead to one peer).', CONNECTION_LABELS),
  connectionsOpened: define('libp2p_tracker_connections_opened_total', 'counter',
    'Connections opened.', CONNECTION_LABELS),
  connectionsClosed: define('libp2p_tracker_connections_closed_total', 'counter',
    'Connections closed.', CONNECTION_LABELS),
  dhtRoutingTablePeers: define('libp2p_tracker_dht_routing_table_peers', 'gauge',
    'Peers in the Kad-DHT routing table (0 when the DHT is off).'),
  buildInfo: define('libp2p_tracker_build_info', 'gauge',
    'Build information of the tracker, always 1.', ['version', 'revision', 'libp2p_version', 'nodejs_version']),
  startTime: define('libp2p_tracker_start_time_seconds', 'gauge',
    'Start time of the tracker process since the Unix epoch, in seconds.')
} as const satisfies Record<string, MetricDefinition>

/** The names of every family above, in exposition order. */
export const METRIC_NAMES: readonly string[] = Object.values(METRICS).map(m => m.name)
