/**
 * Protocol ids reduced to a bounded allow-list of protocol classes; everything else is
 * `other`. A peer's protocols become a bit mask (one bit per class), computed once per
 * identify, so counting peers per class is a few additions per identify and session end.
 */
import { MAX_PROTOCOLS } from '../tracker/sanitize.js'

export const PROTOCOL_CLASSES = [
  'identify', 'identify_push', 'ping', 'kad', 'bitswap', 'gossipsub', 'floodsub',
  'circuit_relay_hop', 'circuit_relay_stop', 'autonat', 'dcutr', 'fetch', 'rendezvous',
  'perf', 'eth2', 'filecoin', 'other'
] as const
export type ProtocolClass = typeof PROTOCOL_CLASSES[number]

const INDEX = Object.fromEntries(PROTOCOL_CLASSES.map((c, i) => [c, i])) as Record<ProtocolClass, number>

/** The allow-list, in match order: an exact id, a prefix, or a pattern. */
const PROTOCOL_TABLE: ReadonlyArray<readonly [(id: string) => boolean, ProtocolClass]> = [
  [id => id === '/ipfs/id/1.0.0', 'identify'],
  [id => id === '/ipfs/id/push/1.0.0', 'identify_push'],
  [id => id === '/ipfs/ping/1.0.0', 'ping'],
  // /ipfs/kad/1.0.0, /ipfs/lan/kad/1.0.0 and private DHTs such as /<network>/kad/1.0.0
  [id => id.endsWith('/kad/1.0.0') || id === '/ipfs/kad/1.0.0', 'kad'],
  [id => id.startsWith('/ipfs/bitswap'), 'bitswap'],
  [id => id.startsWith('/meshsub/'), 'gossipsub'],
  [id => id.startsWith('/floodsub/'), 'floodsub'],
  [id => id === '/libp2p/circuit/relay/0.2.0/hop', 'circuit_relay_hop'],
  [id => id === '/libp2p/circuit/relay/0.2.0/stop', 'circuit_relay_stop'],
  [id => id.startsWith('/libp2p/autonat/'), 'autonat'],
  [id => id.startsWith('/libp2p/dcutr'), 'dcutr'],
  [id => id.startsWith('/libp2p/fetch/'), 'fetch'],
  [id => id.startsWith('/rendezvous/'), 'rendezvous'],
  [id => id.startsWith('/perf/'), 'perf'],
  [id => id.startsWith('/eth2/'), 'eth2'],
  [id => id.startsWith('/fil/'), 'filecoin']
]

/** The class of one protocol id. */
export function protocolClassOf (id: string): ProtocolClass {
  for (const [matches, name] of PROTOCOL_TABLE) if (matches(id)) return name
  return 'other'
}

/**
 * One bit per class the peer speaks at least one protocol of. The list comes from
 * sanitizeProtocols, which keeps the first MAX_PROTOCOLS distinct ids a peer announces, so
 * the scan is bounded there; protocols announced beyond that cap are not seen at all. The same
 * cap applies here for callers that pass a raw list.
 */
export function protocolMaskOf (protocols: readonly string[] | undefined): number {
  if (protocols === undefined) return 0
  let mask = 0
  const n = Math.min(protocols.length, MAX_PROTOCOLS)
  for (let i = 0; i < n; i++) mask |= 1 << INDEX[protocolClassOf(protocols[i] as string)]
  return mask
}

/** The class names in a mask, in table order. */
export function protocolClassesOfMask (mask: number): ProtocolClass[] {
  return PROTOCOL_CLASSES.filter((_c, i) => (mask & (1 << i)) !== 0)
}
