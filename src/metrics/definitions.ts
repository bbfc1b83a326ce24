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
  peersByTransport: define('libp2p_tracker_peers_by_transport', 'gauge',
    'Connected peers with at least one open connection over each transport (a peer over two transports counts in both).', ['transport']),
  dhtRoutingTablePeers: define('libp2p_tracker_dht_routing_table_peers', 'gauge',
    'Peers in the Kad-DHT routing table (0 when the DHT is off).'),
  peerStorePeers: define('libp2p_tracker_peer_store_peers', 'gauge',
    'Records in libp2p\'s peer store (peers it knows of, connected or not) as counted by the last sweep, after it deleted those older than --p2p.peer-store-max-age; 0 before the first sweep. When: libp2p_tracker_peer_store_last_sweep_timestamp_seconds.'),
  peerStoreLastSweep: define('libp2p_tracker_peer_store_last_sweep_timestamp_seconds', 'gauge',
    'End of the last completed sweep of libp2p\'s peer store since the Unix epoch, in seconds (one right after start, then every 10m, or half --p2p.peer-store-max-age if shorter); 0 before the first sweep.'),
  buildInfo: define('libp2p_tracker_build_info', 'gauge',
    'Build information of the tracker, always 1.', ['version', 'revision', 'libp2p_version', 'nodejs_version']),
  startTime: define('libp2p_tracker_start_time_seconds', 'gauge',
    'Start time of the tracker process since the Unix epoch, in seconds.'),
  internalErrors: define('libp2p_tracker_internal_errors_total', 'counter',
    'Errors caught inside the tracker and survived (logged), by the component where they happened.', ['component']),
  gatedConnections: define('libp2p_tracker_gated_connections_total', 'counter',
    'Connections refused by --p2p.allow-cidr / --p2p.deny-cidr before any handshake, by direction.', ['direction'])
} as const satisfies Record<string, MetricDefinition>

/**
 * Peer insight (docs/metrics.md, "Peer insight"): clients, protocols, address families, dials, close
 * reasons, RTT, flapping, churn, stable core, sybil signal. Every label value comes from a
 * fixed table in src/insight. Rendered after METRICS, in this order.
 */
export const INSIGHT_METRICS = {
  peersByAgent: define('libp2p_tracker_peers_by_agent', 'gauge',
    'Connected peers by identify agent family and major.minor version (top versions per family, the rest "other"; "unknown" until identify completes).', ['agent', 'version']),
  peersByProtocol: define('libp2p_tracker_peers_by_protocol', 'gauge',
    'Connected peers speaking at least one protocol of each allow-listed class ("other": any protocol outside the list).', ['protocol']),
  peersByIpVersion: define('libp2p_tracker_peers_by_ip_version', 'gauge',
    'Connected peers by the address family of the connection that opened their session ("relayed": a circuit relay connection).', ['ip_version']),
  dials: define('libp2p_tracker_dials_total', 'counter',
    'Outbound dials libp2p made (bootstrap keeper, Kad-DHT, reconnects, services), by outcome; not counted: a dial answered by an open connection or joined to one in progress, and dials aborted by shutdown.', ['outcome']),
  dialErrors: define('libp2p_tracker_dial_errors_total', 'counter',
    'Failed dials of libp2p_tracker_dials_total, by error class.', ['reason']),
  connectionCloseReasons: define('libp2p_tracker_connection_close_reasons_total', 'counter',
    'Connections closed, by cause: local, pruned (connection manager), remote, reset, timeout, shutdown; source_gap: a polling source found the peer gone after unanswered polls or a change of the watched node.', ['reason']),
  peerRtt: define('libp2p_tracker_peer_rtt_seconds', 'histogram',
    'Round-trip times to connected peers, by agent family: each new measurement of libp2p\'s connection monitor once, or a ping over an open connection where it has none yet; at most one sample per peer per --tracker.rtt-sample-interval from each.', ['agent']),
  flappingPeers: define('libp2p_tracker_flapping_peers', 'gauge',
    'Peers with at least --tracker.flapping-sessions session starts within --tracker.flapping-window.'),
  peerReconnects: define('libp2p_tracker_peer_reconnects_total', 'counter',
    'Sessions opened within --tracker.flapping-window of the same peer\'s previous session end.'),
  peersSeen: define('libp2p_tracker_peers_seen', 'gauge',
    'Distinct peers seen since start, or since the store was created with --storage.path (fixed-memory Bloom filter: may undercount slightly past ~1M peers).'),
  newPeers: define('libp2p_tracker_new_peers_total', 'counter',
    'Sessions of peers seen for the first time since start (with --storage.path: since the store was created).'),
  returningPeers: define('libp2p_tracker_returning_peers_total', 'counter',
    'Sessions of peers seen before since start.'),
  stablePeers: define('libp2p_tracker_stable_peers', 'gauge',
    'Connected peers whose current session is at least min_age old.', ['min_age']),
  ipsWithMultiplePeerIds: define('libp2p_tracker_ips_with_multiple_peer_ids', 'gauge',
    'Remote IPs with connections from two or more distinct connected peer IDs.'),
  maxPeerIdsPerIp: define('libp2p_tracker_max_peer_ids_per_ip', 'gauge',
    'The largest number of distinct connected peer IDs behind one remote IP.'),
  rememberedPeers: define('libp2p_tracker_remembered_peers', 'gauge',
    'Peers in the per-peer history: every connected peer, plus the most recently disconnected ones up to --tracker.history-peers in all (least recently seen evicted).')
} as const satisfies Record<string, MetricDefinition>

/**
 * The health of the CLI's source (src/sources), rendered by the CLI after INSIGHT_METRICS: all of
 * them with a polling source (--source=beacon-api or kubo-rpc); with the libp2p source only
 * source_up (1) and source_info{source="libp2p"}. The peerTracker service in a user's node has none.
 */
export const SOURCE_METRICS = {
  sourceUp: define('libp2p_tracker_source_up', 'gauge',
    '1 if the last poll of the watched node\'s API succeeded, 0 otherwise (like Prometheus\' up; always 1 with the libp2p source); while 0 the peer families stay at what the last good poll said.'),
  sourcePolls: define('libp2p_tracker_source_polls_total', 'counter',
    'Polls of the watched node\'s API, by result: success, unreachable, timeout, http_error (a status other than 2xx), bad_response (not the expected JSON, or an absurd peer count), too_large (body over the cap).', ['result']),
  sourcePollDuration: define('libp2p_tracker_source_poll_duration_seconds', 'histogram',
    'Duration of polls of the watched node\'s API, answered or not.'),
  sourcePollInterval: define('libp2p_tracker_source_poll_interval_seconds', 'gauge',
    'The poll interval (--source.poll-interval): a session shorter than this can be missed.'),
  sourceLastSuccess: define('libp2p_tracker_source_last_success_timestamp_seconds', 'gauge',
    'End of the last successful poll since the Unix epoch, in seconds; 0 before the first.'),
  sourceNodeChanges: define('libp2p_tracker_source_node_changes_total', 'counter',
    'Changes of the watched node seen by the source: identity (another peer ID answers), restart (detected from the API; not every restart can be).', ['change']),
  sourceInfo: define('libp2p_tracker_source_info', 'gauge',
    'The source (libp2p, beacon-api, kubo-rpc) and the watched node\'s client family and major.minor version, always 1.', ['source', 'client', 'version'])
} as const satisfies Record<string, MetricDefinition>

/** The names of the polling source's families, in exposition order. */
export const SOURCE_METRIC_NAMES: readonly string[] = Object.values(SOURCE_METRICS).map(m => m.name)

/** The names of the tracker's families (METRICS and INSIGHT_METRICS, not SOURCE_METRICS), in exposition order. */
export const METRIC_NAMES: readonly string[] = [...Object.values(METRICS), ...Object.values(INSIGHT_METRICS)].map(m => m.name)

/** The tracker's families (METRICS and INSIGHT_METRICS, not SOURCE_METRICS), in exposition order. */
export const ALL_METRICS: readonly MetricDefinition[] = [...Object.values(METRICS), ...Object.values(INSIGHT_METRICS)]
