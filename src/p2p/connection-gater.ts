/**
 * Allow and deny lists of IP ranges (CIDR), applied by a libp2p connection gater before
 * any handshake: to inbound connections by their remote IP and to every address the node
 * would dial. Deny wins over allow; an empty allow list allows every address not denied.
 * Addresses without an IP (DNS names before resolution) are judged after libp2p resolves them.
 */
import { BlockList, isIP } from 'node:net'
import type { ConnectionGater, MultiaddrConnection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface Cidr {
  address: string
  prefix: number
  family: 'ipv4' | 'ipv6'
}

/**
 * `10.0.0.0/8`, `2001:db8::/32`, or a bare address (one host). Undefined when the text is
 * not one of those; the config turns that into an error naming the flag.
 */
export function parseCidr (text: string): Cidr | undefined {
  const trimmed = text.trim()
  const slash = trimmed.indexOf('/')
  const address = slash === -1 ? trimmed : trimmed.slice(0, slash)
  const version = isIP(address)
  if (version === 0) return undefined
  const family = version === 4 ? 'ipv4' : 'ipv6'
  const max = version === 4 ? 32 : 128
  if (slash === -1) return { address, prefix: max, family }
  const prefixText = trimmed.slice(slash + 1)
  if (!/^\d{1,3}$/.test(prefixText)) return undefined
  const prefix = Number(prefixText)
  if (prefix > max) return undefined
  return { address, prefix, family }
}

export class IpFilter {
  private readonly allow: BlockList | undefined
  private readonly deny: BlockList | undefined

  constructor (allow: readonly Cidr[], deny: readonly Cidr[]) {
    this.allow = allow.length === 0 ? undefined : blockListOf(allow)
    this.deny = deny.length === 0 ? undefined : blockListOf(deny)
  }

  get active (): boolean {
    return this.allow !== undefined || this.deny !== undefined
  }

  /** True when connections to or from this IP are refused. */
  denies (ip: string): boolean {
    const version = isIP(ip)
    if (version === 0) return false
    const family = version === 4 ? 'ipv4' : 'ipv6'
    if (this.deny?.check(ip, family) === true) return true
    return this.allow !== undefined && !this.allow.check(ip, family)
  }

  /** By the multiaddr's first IP component; addresses without one are not judged here. */
  deniesMultiaddr (addr: Multiaddr): boolean {
    const ip = ipOf(addr)
    return ip !== undefined && this.denies(ip)
  }
}

function blockListOf (cidrs: readonly Cidr[]): BlockList {
  const list = new BlockList()
  for (const cidr of cidrs) list.addSubnet(cidr.address, cidr.prefix, cidr.family)
  return list
}

function ipOf (addr: Multiaddr): string | undefined {
  for (const component of addr.getComponents()) {
    if (component.name === 'ip4' || component.name === 'ip6') return component.value
  }
  return undefined
}

/** The libp2p connection gater for the filter; `onDenied` is told of each refusal. */
export function ipConnectionGater (filter: IpFilter, onDenied?: (direction: 'inbound' | 'outbound', addr: string) => void): ConnectionGater {
  return {
    denyInboundConnection: (maConn: MultiaddrConnection) => {
      const denied = filter.deniesMultiaddr(maConn.remoteAddr)
      if (denied) onDenied?.('inbound', maConn.remoteAddr.toString())
      return denied
    },
    denyDialMultiaddr: (addr: Multiaddr) => {
      const denied = filter.deniesMultiaddr(addr)
      if (denied) onDenied?.('outbound', addr.toString())
      return denied
    }
  }
}
