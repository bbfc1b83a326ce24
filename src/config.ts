/**
 * The tracker's configuration: its type, its defaults and the validation of raw flag values.
 * Pure: the CLI turns flags and environment into strings, this module turns strings into a
 * typed Config or a ConfigError whose message names the flag.
 */
import { multiaddr } from '@multiformats/multiaddr'

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
  }
  tracker: {
    maxPeerSeries: number
    reportIntervalMs: number
    reportPeers: number
  }
  log: {
    level: LogLevel
    format: LogFormat
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
  'tracker.max-peer-series': '500',
  'tracker.report-interval': '30s',
  'tracker.report-peers': '10',
  'log.level': 'info',
  'log.format': 'json'
} as const

/** A mistake in the user's input. Its message is one line that names the flag or file. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
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
  'log.level'?: string
  'log.format'?: string
}

export function buildConfig (raw: RawConfig): Config {
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
      listen: parseMultiaddrs('--p2p.listen', raw['p2p.listen'] ?? [...DEFAULTS['p2p.listen']]),
      bootstrap: parseBootstrap(raw['p2p.bootstrap'] ?? [...AMINO_BOOTSTRAP]),
      muxers: parseMuxers(raw['p2p.muxers'] ?? DEFAULTS['p2p.muxers']),
      dht: oneOf('--p2p.dht', raw['p2p.dht'] ?? DEFAULTS['p2p.dht'], ['client', 'server', 'off'] as const),
      dhtAddressFilter: oneOf('--p2p.dht-address-filter', raw['p2p.dht-address-filter'] ?? DEFAULTS['p2p.dht-address-filter'], ['public', 'all'] as const),
      maxConnections: parseCount('--p2p.max-connections', raw['p2p.max-connections'] ?? DEFAULTS['p2p.max-connections'], 1),
      maxIncomingPendingConnections: parseCount('--p2p.max-incoming-pending-connections', raw['p2p.max-incoming-pending-connections'] ?? DEFAULTS['p2p.max-incoming-pending-connections'], 1),
      inboundConnectionThreshold: parseCount('--p2p.inbound-connection-threshold', raw['p2p.inbound-connection-threshold'] ?? DEFAULTS['p2p.inbound-connection-threshold'], 1)
    },
    tracker: {
      maxPeerSeries: parseCount('--tracker.max-peer-series', raw['tracker.max-peer-series'] ?? DEFAULTS['tracker.max-peer-series'], 0),
      reportIntervalMs: parseDuration('--tracker.report-interval', raw['tracker.report-interval'] ?? DEFAULTS['tracker.report-interval']),
      reportPeers: parseCount('--tracker.report-peers', raw['tracker.report-peers'] ?? DEFAULTS['tracker.report-peers'], 0)
    },
    log: {
      level: oneOf('--log.level', raw['log.level'] ?? DEFAULTS['log.level'], ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const),
      format: oneOf('--log.format', raw['log.format'] ?? DEFAULTS['log.format'], ['json', 'logfmt'] as const)
    }
  }
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
  if (value === '/' || value.startsWith('/-/') || value.startsWith('/api/')) {
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

/** Bootstrap peers must name their peer ID, so the tracker knows whom to keep redialling. */
function parseBootstrap (values: string[]): string[] {
  const list = parseMultiaddrs('--p2p.bootstrap', values)
  for (const value of list) {
    if (peerIdOfMultiaddr(value) === undefined) {
      throw new ConfigError(`--p2p.bootstrap: "${value}" has no /p2p/<peer-id> part`)
    }
  }
  return list
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
