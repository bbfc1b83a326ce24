/**
 * Parsers of single values (counts, durations, listen addresses, the peer ID a multiaddr
 * ends with), shared by the tracker's flags (./parse.ts), the swarm's options and the p2p
 * code. Those given a flag name throw a ConfigError that starts with it.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { DEFAULT_WEB_PORT } from './config.js'
import { ConfigError } from './config-error.js'
import { FLAG_DURATION, durationMs } from './duration.js'

/** A whole number >= min, written in plain decimal digits. */
export function parseCount (flag: string, value: string, min: number): number {
  const trimmed = value.trim()
  if (!/^\d+$/.test(trimmed)) throw new ConfigError(`${flag}: "${value}" is not a whole number`)
  const n = Number(trimmed)
  if (!Number.isSafeInteger(n)) throw new ConfigError(`${flag}: "${value}" is too large`)
  if (n < min) throw new ConfigError(`${flag}: must be at least ${min}, got ${n}`)
  return n
}

/** A Prometheus-style duration (`500ms`, `30s`, `5m`, `1h30m`, `1d`) in milliseconds; `0` disables. */
export function parseDuration (flag: string, value: string): number {
  const total = durationMs(value.trim(), FLAG_DURATION)
  if (total === undefined) {
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

/** The peer ID a multiaddr ends with, if any. */
export function peerIdOfMultiaddr (value: string): string | undefined {
  const component = multiaddr(value).getComponents().findLast(c => c.name === 'p2p')
  return component?.value
}
