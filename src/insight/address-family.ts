/**
 * The address family of a connection from its remote multiaddr string, and the IP it comes
 * from (for the sybil signal). Relayed (circuit) connections are counted apart: their
 * remote address is the relay's, not the peer's.
 */

export const IP_VERSIONS = ['ip4', 'ip6', 'relayed', 'other'] as const
export type IpVersion = typeof IP_VERSIONS[number]
export const IP_VERSION_INDEX = Object.fromEntries(IP_VERSIONS.map((v, i) => [v, i])) as Record<IpVersion, number>

export function ipVersionOf (multiaddr: string, relayed: boolean): IpVersion {
  if (relayed || multiaddr.includes('/p2p-circuit')) return 'relayed'
  if (multiaddr.startsWith('/ip4/')) return 'ip4'
  if (multiaddr.startsWith('/ip6/') || multiaddr.startsWith('/ip6zone/')) return 'ip6'
  return 'other'
}

/** The IP of a direct connection (`/ip4/1.2.3.4/tcp/1` -> `1.2.3.4`); undefined for relayed or non-IP addresses. */
export function remoteIpOf (multiaddr: string): string | undefined {
  if (!multiaddr.startsWith('/ip4/') && !multiaddr.startsWith('/ip6/')) return undefined
  if (multiaddr.includes('/p2p-circuit')) return undefined
  const end = multiaddr.indexOf('/', 5)
  return end === -1 ? multiaddr.slice(5) : multiaddr.slice(5, end)
}
