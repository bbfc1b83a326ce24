/**
 * --source and its --source.* flags: which node the tracker watches and how it reaches it.
 * Pure, like ./parse.ts: the credentials and CA files are only named here; src/sources reads
 * them at start (an unreadable one is a ConfigError naming its flag there).
 */
import { DEFAULTS, MAX_SOURCE_INTERVAL_MS, MIN_SOURCE_INTERVAL_MS, SOURCE_KINDS } from './config.js'
import { ConfigError } from './config-error.js'
import { parseDuration } from './values.js'
import type { SourceConfig, SourceKind } from './config.js'

export interface RawSourceConfig {
  source?: string
  'source.url'?: string
  'source.interval'?: string
  'source.timeout'?: string
  'source.auth-file'?: string
  'source.ca-file'?: string
}

/** The flags that only mean something for a polling source. */
const POLLING_FLAGS = ['source.url', 'source.interval', 'source.timeout', 'source.auth-file', 'source.ca-file'] as const

export function parseSourceFlags (raw: RawSourceConfig): SourceConfig {
  const kind = parseKind(raw.source ?? DEFAULTS.source)
  if (kind === 'libp2p') {
    const given = POLLING_FLAGS.find(flag => raw[flag] !== undefined)
    if (given !== undefined) throw new ConfigError(`--${given}: only used with --source=beacon-api or --source=kubo-rpc (the source is libp2p)`)
    return { kind }
  }
  if (raw['source.url'] === undefined) throw new ConfigError(`--source.url: required with --source=${kind} (for example ${kind === 'kubo-rpc' ? 'http://127.0.0.1:5001' : 'http://127.0.0.1:5052'})`)
  const intervalMs = parseInterval(raw['source.interval'] ?? DEFAULTS['source.interval'])
  const timeoutMs = parseTimeout(raw['source.timeout'] ?? DEFAULTS['source.timeout'], intervalMs)
  const url = parseSourceUrl(raw['source.url'])
  if (raw['source.ca-file'] !== undefined && !url.startsWith('https:')) throw new ConfigError('--source.ca-file: only used with an https:// --source.url')
  return {
    kind,
    url,
    intervalMs,
    timeoutMs,
    authFile: filePath('--source.auth-file', raw['source.auth-file']),
    caFile: filePath('--source.ca-file', raw['source.ca-file'])
  }
}

function parseKind (value: string): SourceKind {
  if ((SOURCE_KINDS as readonly string[]).includes(value)) return value as SourceKind
  throw new ConfigError(`--source: "${value}" is not one of ${SOURCE_KINDS.join(', ')}`)
}

/**
 * An http:// or https:// URL without credentials (they come from --source.auth-file, never
 * the command line, where `ps` shows them), query or fragment. A path is kept (an API behind
 * a proxy under a prefix); a trailing `/` is dropped.
 */
export function parseSourceUrl (value: string): string {
  const flag = '--source.url'
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    throw new ConfigError(`${flag}: "${value}" is not a URL (for example http://127.0.0.1:5052)`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${flag}: "${value}" is not an http:// or https:// URL`)
  if (url.hostname === '') throw new ConfigError(`${flag}: "${value}" has no host`)
  if (url.username !== '' || url.password !== '') throw new ConfigError(`${flag}: must not hold credentials; put them in a file named by --source.auth-file`)
  if (url.search !== '' || url.hash !== '') throw new ConfigError(`${flag}: "${value}" must not have a query or fragment`)
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`
}

function parseInterval (value: string): number {
  const flag = '--source.interval'
  const ms = parseDuration(flag, value)
  if (ms < MIN_SOURCE_INTERVAL_MS) throw new ConfigError(`${flag}: must be at least 500ms, got "${value}"`)
  if (ms > MAX_SOURCE_INTERVAL_MS) throw new ConfigError(`${flag}: must be at most 10m, got "${value}"`)
  return ms
}

/** Shorter than the interval, so polls never overlap. */
function parseTimeout (value: string, intervalMs: number): number {
  const flag = '--source.timeout'
  const ms = parseDuration(flag, value)
  if (ms < 100) throw new ConfigError(`${flag}: must be at least 100ms, got "${value}"`)
  if (ms >= intervalMs) throw new ConfigError(`${flag}: must be shorter than --source.interval (${intervalMs}ms), got "${value}"`)
  return ms
}

function filePath (flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  if (value.trim() === '') throw new ConfigError(`${flag}: must not be empty`)
  return value
}
