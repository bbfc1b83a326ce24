/**
 * The tracker's configuration: its type and its defaults (as the flags write them). Turning
 * flags and environment into a Config is ./parse.ts's job.
 */
import { TRACKER_DEFAULTS } from '../defaults.js'
import { DEFAULT_LISTEN } from '../p2p/transports.js'
import type { Cidr } from '../p2p/connection-gater.js'
import type { TransportName } from '../p2p/transports.js'

export type DhtMode = 'client' | 'server' | 'off'
export type DhtAddressFilter = 'public' | 'all'
export type LogFormat = 'json' | 'logfmt'
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'
export type MuxerName = 'yamux' | 'mplex'
/** How the tracker learns about peers: its own libp2p node, or a node's API it polls. */
export const SOURCE_KINDS = ['libp2p', 'beacon-api', 'kubo-rpc'] as const
export type SourceKind = typeof SOURCE_KINDS[number]
export type PollingSourceKind = Exclude<SourceKind, 'libp2p'>

/** A node's API the tracker polls (--source=beacon-api or kubo-rpc). Files are read at start, not here. */
export interface PollingSourceConfig {
  kind: PollingSourceKind
  /** The API's base URL, without credentials, query or fragment; never ends with `/`. */
  url: string
  intervalMs: number
  timeoutMs: number
  /** A file holding `bearer:TOKEN` or `basic:USER:PASSWORD` (Kubo's AuthSecret format). */
  authFile: string | undefined
  /** PEM file of the CA(s) that sign the API's TLS certificate (https URLs). */
  caFile: string | undefined
}

export type SourceConfig = { kind: 'libp2p' } | PollingSourceConfig

export interface Config {
  /** --source and --source.*: how the tracker learns about peers (docs/sources.md). */
  source: SourceConfig
  web: {
    /** undefined: all interfaces (IPv6 and IPv4 where the system has both). */
    host: string | undefined
    port: number
    telemetryPath: string
    disableExporterMetrics: boolean
  }
  p2p: {
    identityFile: string | undefined
    /** Each address turns its transport on (src/p2p/transports.ts). */
    listen: string[]
    /** The transports dialled with (--p2p.transports); the node runs these and those of `listen`. */
    transports: TransportName[]
    /** QUIC was left out of the default transports because this Node is older than 22 (logged at start). */
    quicSkipped: boolean
    bootstrap: string[]
    muxers: MuxerName[]
    dht: DhtMode
    dhtAddressFilter: DhtAddressFilter
    maxConnections: number
    maxIncomingPendingConnections: number
    inboundConnectionThreshold: number
    /** IP ranges allowed to connect and be dialled; empty: every range not denied. */
    allowCidrs: Cidr[]
    /** IP ranges refused both ways; wins over allowCidrs. */
    denyCidrs: Cidr[]
    /**
     * libp2p's peer store forgets a peer this long after the last update of its record (and
     * after its last address was observed, with addresses kept at most min(this, 1 h)); the
     * sweeper (src/service/peer-store-sweeper.ts) reads the store so expired records are deleted.
     */
    peerStoreMaxAgeMs: number
  }
  tracker: {
    maxPeerSeries: number
    reportIntervalMs: number
    reportPeers: number
  }
  /** Peer insight (docs/metrics.md, "Peer insight"), from the --tracker.* flags below. */
  insight: {
    /** K session starts within W ms make a peer flapping. */
    flappingSessions: number
    flappingWindowMs: number
    /** Peers remembered (M) and sessions per peer (K) in the per-peer history. */
    historyPeers: number
    historySessions: number
    /** How often RTTs are sampled into libp2p_tracker_peer_rtt_seconds; 0: never. */
    rttSampleIntervalMs: number
  }
  log: {
    level: LogLevel
    format: LogFormat
  }
  /** The embedded store (docs/storage.md); path undefined: everything in memory, lost at exit. */
  storage: {
    path: string | undefined
    /** How often changed history is written to the store in one batch. */
    flushIntervalMs: number
  }
  /** Who may use the HTTP endpoints, and how much of them (issue 6). */
  webAccess: {
    /** exporter-toolkit web config file (TLS, basic auth, headers); undefined: plain HTTP, open. */
    configFile: string | undefined
    /** Requests served at once before answering 503; 0: no limit. */
    maxRequests: number
    /** /api/v1/peers* answer 404 (they show peers' IP addresses). */
    disablePeerApi: boolean
  }
}

/** Not in 9100-9999 (Prometheus' exporter allocations) and not 9464 (OpenTelemetry). */
export const DEFAULT_WEB_PORT = 9089

/** The public IPFS (Amino) bootstrap peers, as Kubo and js-libp2p list them. */
export const AMINO_BOOTSTRAP: readonly string[] = [
  '/dnsaddr/bootstrap.libp2p.io/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN',
  '/dnsaddr/bootstrap.libp2p.io/p2p/QmQCU2EcMqAqQPR2i9bChDtGNJchTbq5TbXJJ16u19uLTa',
  '/dnsaddr/bootstrap.libp2p.io/p2p/QmbLHAnMoJPWSCR5Zhtx6BHJX9KiKNN6tpvbUcqanj75Nb',
  '/dnsaddr/bootstrap.libp2p.io/p2p/QmcZf59bWwK5XFi76CZX8cbJ4BhTzzA3gU1ZjYZcYW3dwt',
  '/ip4/104.131.131.82/tcp/4001/p2p/QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ'
]

/** A duration in ms as a flag writes it, in the largest unit that divides it (600000 -> '10m'). */
export function flagDuration (ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}

/** Every flag's default as --help writes it; those the library shares come from src/defaults.ts. */
export const DEFAULTS = {
  'web.listen-address': `:${DEFAULT_WEB_PORT}`,
  'web.telemetry-path': '/metrics',
  'p2p.listen': DEFAULT_LISTEN,
  'p2p.transports': 'tcp,quic,ws,webrtc-direct',
  'p2p.muxers': 'yamux,mplex',
  'p2p.dht': 'client',
  'p2p.dht-address-filter': 'public',
  'p2p.max-connections': '300',
  'p2p.max-incoming-pending-connections': '10',
  'p2p.inbound-connection-threshold': '5',
  'p2p.peer-store-max-age': flagDuration(TRACKER_DEFAULTS.peerStoreMaxAgeMs),
  'tracker.max-peer-series': String(TRACKER_DEFAULTS.maxPeerSeries),
  'tracker.report-interval': '30s',
  'tracker.report-peers': '10',
  'tracker.flapping-sessions': String(TRACKER_DEFAULTS.flappingSessions),
  'tracker.flapping-window': flagDuration(TRACKER_DEFAULTS.flappingWindowMs),
  'tracker.history-peers': String(TRACKER_DEFAULTS.historyPeers),
  'tracker.history-sessions': String(TRACKER_DEFAULTS.historySessions),
  'tracker.rtt-sample-interval': flagDuration(TRACKER_DEFAULTS.rttSampleIntervalMs),
  'log.level': 'info',
  'log.format': 'json',
  'web.max-requests': '40',
  'storage.flush-interval': '5s',
  source: 'libp2p',
  'source.poll-interval': '5s',
  'source.timeout': '4s'
} as const

/** At least a minute: below that libp2p would forget peers it met moments ago (a DHT contact between being learnt and dialled), and the store would be swept every few seconds. */
export const MIN_PEER_STORE_MAX_AGE_MS = 60_000

/** Polls at most this often: every poll lists every peer, so faster only costs the node. */
export const MIN_SOURCE_POLL_INTERVAL_MS = 500
export const MAX_SOURCE_POLL_INTERVAL_MS = 600_000
