/**
 * The transports of the CLI's node, and the listen addresses each one serves. Pure: which
 * transport a listen address needs, which transports this Node can run, and the default listen
 * addresses of a set of transports. The factories themselves are in ./node.ts.
 */
import { multiaddr } from '@multiformats/multiaddr'

export const TRANSPORT_NAMES = ['tcp', 'quic', 'ws', 'webrtc-direct'] as const
export type TransportName = typeof TRANSPORT_NAMES[number]

/** @chainsafe/libp2p-quic 2.x declares Node >= 22 (its native binding needs it). */
export const QUIC_MIN_NODE_MAJOR = 22

/** Whether QUIC can run on the Node of this version string (process.version by default). */
export function quicSupported (nodeVersion: string = process.version): boolean {
  return Number(/^v?(\d+)\./.exec(nodeVersion)?.[1] ?? 0) >= QUIC_MIN_NODE_MAJOR
}

/**
 * The default listen addresses: TCP, QUIC-v1 and WebRTC-direct on IPv4 and IPv6, as Kubo
 * listens (WebSockets is dialled, not listened on, by default: no network's nodes dial a
 * WebSockets address of a node that has TCP). Port 0: the OS picks a port for each, since
 * js-libp2p's QUIC and WebRTC-direct cannot share one UDP port as go-libp2p's do. Each is
 * used only when its transport is on; IPv6 is left out where the machine has none (libp2p's
 * rule: when every IPv4 address is served and every IPv6 one fails).
 */
export const DEFAULT_LISTEN: readonly string[] = [
  '/ip4/0.0.0.0/tcp/0',
  '/ip6/::/tcp/0',
  '/ip4/0.0.0.0/udp/0/quic-v1',
  '/ip6/::/udp/0/quic-v1',
  '/ip4/0.0.0.0/udp/0/webrtc-direct',
  '/ip6/::/udp/0/webrtc-direct'
]

/**
 * The transport that serves a listen address, or undefined when none of the four does:
 * /ip4|ip6/<ip>/tcp/<port> (tcp), .../tcp/<port>/ws (ws), .../udp/<port>/quic-v1 (quic),
 * .../udp/<port>/webrtc-direct (webrtc-direct; a certhash is made by the node itself).
 */
export function listenTransportOf (address: string): TransportName | undefined {
  let names: string[]
  try {
    names = multiaddr(address).getComponents().map(c => c.name)
  } catch {
    return undefined
  }
  if (names[0] !== 'ip4' && names[0] !== 'ip6') return undefined
  const rest = names.slice(1).join('/')
  if (rest === 'tcp') return 'tcp'
  if (rest === 'tcp/ws') return 'ws'
  if (rest === 'udp/quic-v1') return 'quic'
  if (rest === 'udp/webrtc-direct') return 'webrtc-direct'
  return undefined
}

/** The UDP port of a listen address (QUIC, WebRTC-direct), or undefined. */
export function udpPortOf (address: string): { host: string, port: number } | undefined {
  const components = multiaddr(address).getComponents()
  const udp = components.find(c => c.name === 'udp')
  if (udp === undefined) return undefined
  return { host: components[0]?.value ?? '', port: Number(udp.value) }
}
