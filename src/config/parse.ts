/**
 * The parsing of the tracker's flags and environment: the raw strings the CLI collected
 * (flags win over environment, both over the defaults of ./config.ts) become a typed Config,
 * or a ConfigError whose message names the flag, or its environment variable when the value
 * came from there. Pure: no file, network or process access.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { parseCidr } from '../p2p/connection-gater.js'
import { AMINO_BOOTSTRAP, DEFAULTS, MIN_PEER_STORE_MAX_AGE_MS } from './config.js'
import { ConfigError } from './config-error.js'
import { parseSourceFlags } from './source.js'
import { parseCount, parseDuration, parseListenAddress, peerIdOfMultiaddr } from './values.js'
import type { Cidr } from '../p2p/connection-gater.js'
import type { Config, MuxerName } from './config.js'
import type { RawSourceConfig } from './source.js'

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
export interface RawConfig extends RawSourceConfig {
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
    source: parseSourceFlags(raw),
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
