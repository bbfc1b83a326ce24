/**
 * The tracker's configuration: its type, its defaults and the validation of raw flag values.
 * Pure: the CLI turns flags and environment into strings, this module turns strings into a
 * typed Config or a ConfigError whose message names the flag.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { parseCidr } from './p2p/connection-gater.js'
import type { Cidr } from './p2p/connection-gater.js'

export type DhtMode = 'client' | 'server' | 'off'
export type DhtAddressFilter = 'public' | 'all'
export type LogFormat = 'json' | 'logfmt'
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'
export type MuxerName = 'yamux' | 'mplex'

export interface Config {
  web: {
    /** undefined: all interfaces (IPv6 and IPv4 where the system has both). */
    host: string | undefined
    port: number
    telemetryPath: string
    disableExporterMetrics: boolean
  }
  p2p: {
    identityFile: string | undefined
    listen: string[]
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

export const DEFAULTS = {
  'web.listen-address': `:${DEFAULT_WEB_PORT}`,
  'web.telemetry-path': '/metrics',
  'p2p.listen': ['/ip4/0.0.0.0/tcp/0', '/ip6/::/tcp/0'],
  'p2p.muxers': 'yamux,mplex',
  'p2p.dht': 'client',
  'p2p.dht-address-filter': 'public',
  'p2p.max-connections': '300',
  'p2p.max-incoming-pending-connections': '10',
  'p2p.inbound-connection-threshold': '5',
  'p2p.peer-store-max-age': '6h',
  'tracker.max-peer-series': '500',
  'tracker.report-interval': '30s',
  'tracker.report-peers': '10',
  'tracker.flapping-sessions': '4',
  'tracker.flapping-window': '10m',
  'tracker.history-peers': '10000',
  'tracker.history-sessions': '10',
  'tracker.rtt-sample-interval': '10s',
  'log.level': 'info',
  'log.format': 'json',
  'web.max-requests': '40',
  'storage.flush-interval': '5s'
} as const

/** A mistake in the user's input. Its message is one line that names the flag or file. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  /** The flag the message starts with (`web.listen-address` for `--web.listen-address: ...`), if any. */
  readonly flag: string | undefined

  constructor (message: string) {
    // Values quoted from the input may hold line breaks or other controls: keep one line.
    // eslint-disable-next-line no-control-regex
    super(message.replace(/[\u0000-\u001f\u007f]/g, c => c === '\n' ? '\\n' : c === '\t' ? ' ' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))
    this.flag = /^--([a-z0-9.-]+): /.exec(this.message)?.[1]
  }
}

/** The environment variable of a flag: LIBP2P_TRACKER_WEB_LISTEN_ADDRESS for web.listen-address. */
export function envName (flag: string): string {
  return `LIBP2P_TRACKER_${flag.replace(/[.-]/g, '_').toUpperCase()}`
}

/**
 * The same error, naming the environment variable when the flag's value came from it:
 * `LIBP2P_TRACKER_P2P_BOOTSTRAP (--p2p.bootstrap): ...`, so the user knows where to look.
 * Any other error is returned as it is.
 */
export function attributeToEnvironment<E> (err: E, fromEnvironment: ReadonlySet<string>): E | ConfigError {
  if (!(err instanceof ConfigError) || err.flag === undefined || !fromEnvironment.has(err.flag)) return err
  return new ConfigError(`${envName(err.flag)} (${err.message.replace(': ', '): ')}`)
}

/** Raw values as the CLI collected them (flags win over environment, both win over defaults). */
export interface RawConfig {
  'web.listen-address'?: string
  'web.telemetry-path'?: string
  'web.disable-exporter-metrics'?: boolean
  'p2p.identity-file'?: string
  'p2p.listen'?: string[]
  'p2p.bootstrap'?: string[]
  'p2p.muxers'?: string
  'p2p.dht'?: string
  'p2p.dht-address-filter'?: string
  'p2p.max-connections'?: string
  'p2p.max-incoming-pending-connections'?: string
  'p2p.inbound-connection-threshold'?: string
  'tracker.max-peer-series'?: string
  'tracker.report-interval'?: string
  'tracker.report-peers'?: string
  'tracker.flapping-sessions'?: string
  'tracker.flapping-window'?: string
  'tracker.history-peers'?: string
  'tracker.history-sessions'?: string
  'tracker.rtt-sample-interval'?: string
  'log.level'?: string
  'log.format'?: string
  'web.config.file'?: string
  'web.max-requests'?: string
  'web.disable-peer-api'?: boolean
  'p2p.allow-cidr'?: string[]
  'p2p.deny-cidr'?: string[]
  'p2p.peer-store-max-age'?: string
  'storage.path'?: string
  'storage.flush-interval'?: string
}

export interface BuildOptions {
  /** Flags whose value came from their environment variable: errors about them name the variable. */
  fromEnvironment?: ReadonlySet<string>
}

export function buildConfig (raw: RawConfig, options: BuildOptions = {}): Config {
  try {
    return buildConfigFromRaw(raw)
  } catch (err) {
    throw attributeToEnvironment(err, options.fromEnvironment ?? new Set())
  }
}

function buildConfigFromRaw (raw: RawConfig): Config {
  const { host, port } = parseListenAddress('--web.listen-address', raw['web.listen-address'] ?? DEFAULTS['web.listen-address'])
  return {
    web: {
      host,
      port,
      telemetryPath: parseTelemetryPath(raw['web.telemetry-path'] ?? DEFAULTS['web.telemetry-path']),
      disableExporterMetrics: raw['web.disable-exporter-metrics'] ?? false
    },
    p2p: {
      identityFile: nonEmpty('--p2p.identity-file', raw['p2p.identity-file']),
      listen: parseListen(raw['p2p.listen'] ?? [...DEFAULTS['p2p.listen']]),
      bootstrap: parseBootstrap(raw['p2p.bootstrap'] ?? [...AMINO_BOOTSTRAP]),
      muxers: parseMuxers(raw['p2p.muxers'] ?? DEFAULTS['p2p.muxers']),
      dht: oneOf('--p2p.dht', raw['p2p.dht'] ?? DEFAULTS['p2p.dht'], ['client', 'server', 'off'] as const),
      dhtAddressFilter: oneOf('--p2p.dht-address-filter', raw['p2p.dht-address-filter'] ?? DEFAULTS['p2p.dht-address-filter'], ['public', 'all'] as const),
      maxConnections: parseCount('--p2p.max-connections', raw['p2p.max-connections'] ?? DEFAULTS['p2p.max-connections'], 1),
      maxIncomingPendingConnections: parseCount('--p2p.max-incoming-pending-connections', raw['p2p.max-incoming-pending-connections'] ?? DEFAULTS['p2p.max-incoming-pending-connections'], 1),
      inboundConnectionThreshold: parseCount('--p2p.inbound-connection-threshold', raw['p2p.inbound-connection-threshold'] ?? DEFAULTS['p2p.inbound-connection-threshold'], 1),
      allowCidrs: parseCidrs('--p2p.allow-cidr', raw['p2p.allow-cidr'] ?? []),
      denyCidrs: parseCidrs('--p2p.deny-cidr', raw['p2p.deny-cidr'] ?? []),
      peerStoreMaxAgeMs: parsePeerStoreMaxAge(raw['p2p.peer-store-max-age'] ?? DEFAULTS['p2p.peer-store-max-age'])
    },
    tracker: {
      maxPeerSeries: parseCount('--tracker.max-peer-series', raw['tracker.max-peer-series'] ?? DEFAULTS['tracker.max-peer-series'], 0),
      reportIntervalMs: parseDuration('--tracker.report-interval', raw['tracker.report-interval'] ?? DEFAULTS['tracker.report-interval']),
      reportPeers: parseCount('--tracker.report-peers', raw['tracker.report-peers'] ?? DEFAULTS['tracker.report-peers'], 0)
    },
    insight: parseInsightFlags(raw),
    log: {
      level: oneOf('--log.level', raw['log.level'] ?? DEFAULTS['log.level'], ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const),
      format: oneOf('--log.format', raw['log.format'] ?? DEFAULTS['log.format'], ['json', 'logfmt'] as const)
    },
    storage: parseStorageFlags(raw),
    webAccess: {
      configFile: nonEmpty('--web.config.file', raw['web.config.file']),
      maxRequests: parseCount('--web.max-requests', raw['web.max-requests'] ?? DEFAULTS['web.max-requests'], 0),
      disablePeerApi: raw['web.disable-peer-api'] ?? false
    }
  }
}

/** At least a minute: below that libp2p would forget peers it met moments ago (a DHT contact between being learnt and dialled), and the store would be swept every few seconds. */
export const MIN_PEER_STORE_MAX_AGE_MS = 60_000

function parsePeerStoreMaxAge (value: string): number {
  const flag = '--p2p.peer-store-max-age'
  let ms: number
  try {
    ms = parseDuration(flag, value)
  } catch (err) {
    // parseDuration's examples offer 0 to disable: this one cannot be.
    if (err instanceof ConfigError && err.message.includes('is not a duration')) throw new ConfigError(`${flag}: "${value}" is not a duration (examples: 30m, 6h, 1d)`)
    throw err
  }
  if (ms < MIN_PEER_STORE_MAX_AGE_MS) throw new ConfigError(`${flag}: must be at least 1m, got "${value}"`)
  return ms
}

/** IP ranges in CIDR notation (or single addresses), repeated or comma-separated. */
function parseCidrs (flag: string, values: string[]): Cidr[] {
  return splitList(values).map(value => {
    const cidr = parseCidr(value)
    if (cidr === undefined) throw new ConfigError(`${flag}: "${value}" is not an IP range (examples: 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)`)
    return cidr
  })
}

function nonEmpty (flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  if (value.trim() === '') throw new ConfigError(`${flag}: must not be empty`)
  return value
}

function oneOf<T extends string> (flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T
  throw new ConfigError(`${flag}: "${value}" is not one of ${allowed.join(', ')}`)
}

/** A whole number >= min, written in plain decimal digits. */
export function parseCount (flag: string, value: string, min: number): number {
  const trimmed = value.trim()
  if (!/^\d+$/.test(trimmed)) throw new ConfigError(`${flag}: "${value}" is not a whole number`)
  const n = Number(trimmed)
  if (!Number.isSafeInteger(n)) throw new ConfigError(`${flag}: "${value}" is too large`)
  if (n < min) throw new ConfigError(`${flag}: must be at least ${min}, got ${n}`)
  return n
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** A Prometheus-style duration (`500ms`, `30s`, `5m`, `1h30m`, `1d`) in milliseconds; `0` disables. */
export function parseDuration (flag: string, value: string): number {
  const trimmed = value.trim()
  if (trimmed === '0') return 0
  const part = /(\d+)(ms|s|m|h|d)/y
  let total = 0
  let index = 0
  while (index < trimmed.length) {
    part.lastIndex = index
    const match = part.exec(trimmed)
    if (match === null) break
    total += Number(match[1]) * (DURATION_UNITS_MS[match[2] as string] as number)
    index = part.lastIndex
  }
  if (trimmed === '' || index !== trimmed.length) {
    throw new ConfigError(`${flag}: "${value}" is not a duration (examples: 500ms, 30s, 5m, 1h30m, or 0 to disable)`)
  }
  if (!Number.isSafeInteger(total)) throw new ConfigError(`${flag}: "${value}" is too long`)
  return total
}

/** `HOST:PORT`, `:PORT` (all interfaces) or `[IPv6]:PORT`. */
export function parseListenAddress (flag: string, value: string): { host: string | undefined, port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim())
  if (match === null) throw new ConfigError(`${flag}: "${value}" is not HOST:PORT (for example :${DEFAULT_WEB_PORT} or 127.0.0.1:${DEFAULT_WEB_PORT})`)
  const port = Number(match[3])
  if (port > 65535) throw new ConfigError(`${flag}: port ${port} is out of range 0-65535`)
  const host = match[1] ?? (match[2] === '' ? undefined : match[2])
  return { host, port }
}

function parseTelemetryPath (value: string): string {
  if (!value.startsWith('/') || /[\s?#]/.test(value)) {
    throw new ConfigError(`--web.telemetry-path: "${value}" must be a path starting with / (for example /metrics)`)
  }
  if (value === '/' || value.startsWith('/-/') || value.startsWith('/api/') || value.startsWith('/peer-view/')) {
    throw new ConfigError(`--web.telemetry-path: "${value}" collides with the landing page, health or API paths`)
  }
  return value
}

function parseMultiaddrs (flag: string, values: string[]): string[] {
  const list = splitList(values)
  for (const value of list) {
    try {
      multiaddr(value)
    } catch {
      throw new ConfigError(`${flag}: "${value}" is not a valid multiaddr`)
    }
  }
  return list
}

/**
 * Addresses this node listens on. A /p2p/<peer-id> part would name a peer, and the node
 * cannot listen as another peer (libp2p appends this node's own ID when it announces them).
 */
function parseListen (values: string[]): string[] {
  const list = parseMultiaddrs('--p2p.listen', values)
  for (const value of list) {
    const peerId = peerIdOfMultiaddr(value)
    if (peerId !== undefined) {
      throw new ConfigError(`--p2p.listen: "${value}" names a peer (/p2p/${peerId}); a listen address is this node's own, without /p2p/ (libp2p adds this node's peer ID itself)`)
    }
  }
  return list
}

/**
 * Bootstrap peers must name a valid peer ID, so the tracker knows whom to keep redialling
 * (a typo in the ID would otherwise be redialled forever, failing the identity check each time).
 */
function parseBootstrap (values: string[]): string[] {
  const list = parseMultiaddrs('--p2p.bootstrap', values)
  for (const value of list) {
    const peerId = peerIdOfMultiaddr(value)
    if (peerId === undefined) {
      throw new ConfigError(`--p2p.bootstrap: "${value}" has no /p2p/<peer-id> part`)
    }
    if (!isPeerId(peerId)) {
      throw new ConfigError(`--p2p.bootstrap: "${value}" has an invalid peer ID "${peerId}" (expected one like 12D3KooW... or Qm...)`)
    }
  }
  return list
}

function isPeerId (value: string): boolean {
  try {
    peerIdFromString(value)
    return true
  } catch {
    return false
  }
}

/** The peer ID a multiaddr ends with, if any. */
export function peerIdOfMultiaddr (value: string): string | undefined {
  const component = multiaddr(value).getComponents().findLast(c => c.name === 'p2p')
  return component?.value
}

function parseMuxers (value: string): MuxerName[] {
  const list = splitList([value])
  if (list.length === 0) throw new ConfigError('--p2p.muxers: name at least one of yamux, mplex')
  const muxers = list.map(m => oneOf('--p2p.muxers', m, ['yamux', 'mplex'] as const))
  if (new Set(muxers).size !== muxers.length) throw new ConfigError(`--p2p.muxers: "${value}" names a muxer twice`)
  return muxers
}

/** Repeated flags and comma-separated values (environment variables) alike; blanks dropped. */
function splitList (values: string[]): string[] {
  return values.flatMap(v => v.split(',')).map(v => v.trim()).filter(v => v !== '')
}

/** The peer-insight flags (docs/metrics.md, "Peer insight"), each validated with its flag named. */
function parseInsightFlags (raw: RawConfig): Config['insight'] {
  const flappingSessions = parseCount('--tracker.flapping-sessions', raw['tracker.flapping-sessions'] ?? DEFAULTS['tracker.flapping-sessions'], 2)
  if (flappingSessions > 1000) throw new ConfigError(`--tracker.flapping-sessions: must be at most 1000, got ${flappingSessions}`)
  const flappingWindowMs = parseDuration('--tracker.flapping-window', raw['tracker.flapping-window'] ?? DEFAULTS['tracker.flapping-window'])
  if (flappingWindowMs < 1000) throw new ConfigError('--tracker.flapping-window: must be at least 1s')
  if (flappingWindowMs > 7 * 86_400_000) throw new ConfigError('--tracker.flapping-window: must be at most 7d')
  const historyPeers = parseCount('--tracker.history-peers', raw['tracker.history-peers'] ?? DEFAULTS['tracker.history-peers'], 1)
  if (historyPeers > 10_000_000) throw new ConfigError(`--tracker.history-peers: must be at most 10000000, got ${historyPeers}`)
  const historySessions = parseCount('--tracker.history-sessions', raw['tracker.history-sessions'] ?? DEFAULTS['tracker.history-sessions'], 1)
  if (historySessions > 1000) throw new ConfigError(`--tracker.history-sessions: must be at most 1000, got ${historySessions}`)
  const rttSampleIntervalMs = parseDuration('--tracker.rtt-sample-interval', raw['tracker.rtt-sample-interval'] ?? DEFAULTS['tracker.rtt-sample-interval'])
  if (rttSampleIntervalMs !== 0 && rttSampleIntervalMs < 100) throw new ConfigError('--tracker.rtt-sample-interval: must be at least 100ms, or 0 to turn sampling off')
  return { flappingSessions, flappingWindowMs, historyPeers, historySessions, rttSampleIntervalMs }
}

/** --storage.path and --storage.flush-interval (docs/storage.md). */
function parseStorageFlags (raw: RawConfig): Config['storage'] {
  const flushIntervalMs = parseDuration('--storage.flush-interval', raw['storage.flush-interval'] ?? DEFAULTS['storage.flush-interval'])
  if (flushIntervalMs < 100) throw new ConfigError('--storage.flush-interval: must be at least 100ms')
  if (flushIntervalMs > 600_000) throw new ConfigError('--storage.flush-interval: must be at most 10m')
  return { path: nonEmpty('--storage.path', raw['storage.path']), flushIntervalMs }
}
