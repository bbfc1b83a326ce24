/**
 * Bounded label values for a connection. Raw multiaddrs and protocol ids never become
 * labels: each is reduced to one of a few known values here, in one table each.
 */

export const DIRECTIONS = ['inbound', 'outbound'] as const
export type Direction = typeof DIRECTIONS[number]

export const TRANSPORTS = ['tcp', 'ws', 'wss', 'quic', 'webrtc', 'webtransport', 'circuit', 'other'] as const
export type Transport = typeof TRANSPORTS[number]

export const ENCRYPTIONS = [
  'noise', 'tls', 'plaintext', 'other',
  'unknown' // a polling source (src/sources) cannot know the connection's encryption
] as const
export type Encryption = typeof ENCRYPTIONS[number]

export const MUXERS = [
  'yamux', 'mplex', 'other',
  'unknown' // a polling source (src/sources) cannot know the connection's muxer
] as const
export type Muxer = typeof MUXERS[number]

export interface ConnectionLabels {
  direction: Direction
  transport: Transport
  encryption: Encryption
  muxer: Muxer
}

/**
 * The transport of a connection from its remote multiaddr. The outermost transport wins:
 * a relayed connection is `circuit` whatever carries it, and TCP carrying WebSockets is `ws`.
 */
export function transportOf (multiaddr: string): Transport {
  if (multiaddr.includes('/p2p-circuit')) return 'circuit'
  if (multiaddr.includes('/webtransport')) return 'webtransport'
  if (multiaddr.includes('/webrtc')) return 'webrtc'
  if (multiaddr.includes('/wss') || multiaddr.includes('/tls/ws')) return 'wss'
  if (multiaddr.includes('/ws')) return 'ws'
  if (multiaddr.includes('/quic')) return 'quic'
  if (multiaddr.includes('/tcp/')) return 'tcp'
  return 'other'
}

/** The encrypter from its protocol id, e.g. `/noise` -> noise, `/tls/1.0.0` -> tls. */
export function encryptionOf (protocol: string | undefined): Encryption {
  if (protocol === undefined) return 'other'
  if (protocol.startsWith('/noise')) return 'noise'
  if (protocol.startsWith('/tls')) return 'tls'
  if (protocol.startsWith('/plaintext')) return 'plaintext'
  return 'other'
}

/** The stream muxer from its protocol id, e.g. `/yamux/1.0.0` -> yamux, `/mplex/6.7.0` -> mplex. */
export function muxerOf (protocol: string | undefined): Muxer {
  if (protocol === undefined) return 'other'
  if (protocol.startsWith('/yamux')) return 'yamux'
  if (protocol.startsWith('/mplex')) return 'mplex'
  return 'other'
}

/** A stable key for one label combination; used to count connections per combination. */
export function labelKey (labels: ConnectionLabels): string {
  return `${labels.direction}|${labels.transport}|${labels.encryption}|${labels.muxer}`
}
