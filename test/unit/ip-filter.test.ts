/**
 * IpFilter (src/p2p/connection-gater.ts), the rule behind --p2p.allow-cidr and
 * --p2p.deny-cidr: deny wins over allow, also where the ranges overlap; an empty allow list
 * allows every address not denied; IPv4 and IPv6 ranges are judged by family; a multiaddr by
 * its first IP component, and one without an IP (a DNS name before resolution) not at all.
 * The end-to-end side (real peers refused before any handshake) is in
 * test/e2e/hostile-peers.test.ts.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { IpFilter, ipConnectionGater, parseCidr } from '../../src/p2p/connection-gater.js'
import type { Cidr } from '../../src/p2p/connection-gater.js'
import type { MultiaddrConnection } from '@libp2p/interface'

const cidrs = (...texts: string[]): Cidr[] => texts.map(t => {
  const c = parseCidr(t)
  if (c === undefined) throw new Error(`not a CIDR: ${t}`)
  return c
})

describe('IpFilter', () => {
  it('allows everything with empty lists, and says it is inactive', () => {
    const f = new IpFilter([], [])
    expect(f.active).toBe(false)
    for (const ip of ['127.0.0.1', '10.1.2.3', '::1', '2001:db8::1']) expect(f.denies(ip), ip).toBe(false)
  })

  it('lets deny win over an overlapping allow, in both orders of width', () => {
    // a narrow deny inside a wide allow
    const narrowDeny = new IpFilter(cidrs('10.0.0.0/8'), cidrs('10.1.0.0/16'))
    expect(narrowDeny.denies('10.2.3.4')).toBe(false)
    expect(narrowDeny.denies('10.1.3.4')).toBe(true)
    expect(narrowDeny.denies('192.0.2.1')).toBe(true) // outside the allow list
    // a wide deny around a narrow allow: nothing of the allow list gets through
    const wideDeny = new IpFilter(cidrs('10.1.0.0/16'), cidrs('10.0.0.0/8'))
    expect(wideDeny.denies('10.1.3.4')).toBe(true)
    // the same address in both lists
    expect(new IpFilter(cidrs('192.0.2.7'), cidrs('192.0.2.7')).denies('192.0.2.7')).toBe(true)
    // IPv6 alike
    const v6 = new IpFilter(cidrs('2001:db8::/32'), cidrs('2001:db8:1::/48'))
    expect(v6.denies('2001:db8:2::1')).toBe(false)
    expect(v6.denies('2001:db8:1::1')).toBe(true)
  })

  it('with only a deny list, allows every address not denied', () => {
    const f = new IpFilter([], cidrs('127.0.0.0/8', '::1'))
    expect(f.active).toBe(true)
    expect(f.denies('127.0.0.2')).toBe(true)
    expect(f.denies('::1')).toBe(true)
    expect(f.denies('10.0.0.1')).toBe(false)
    expect(f.denies('2001:db8::1')).toBe(false)
  })

  it('with an IPv4 allow list only, refuses IPv6 addresses', () => {
    const f = new IpFilter(cidrs('10.0.0.0/8'), [])
    expect(f.denies('10.0.0.1')).toBe(false)
    expect(f.denies('2001:db8::1')).toBe(true)
  })

  it('judges a multiaddr by its IP, and leaves one without an IP to after resolution', () => {
    const f = new IpFilter(cidrs('10.0.0.0/8'), cidrs('10.9.0.0/16'))
    expect(f.deniesMultiaddr(multiaddr('/ip4/10.1.0.1/tcp/4001'))).toBe(false)
    expect(f.deniesMultiaddr(multiaddr('/ip4/10.9.0.1/tcp/4001'))).toBe(true)
    expect(f.deniesMultiaddr(multiaddr('/ip4/192.0.2.1/tcp/4001'))).toBe(true)
    expect(f.deniesMultiaddr(multiaddr('/dns4/example.com/tcp/4001'))).toBe(false)
  })

  it('as a connection gater, refuses both ways and reports each refusal', async () => {
    const refused: string[] = []
    const gater = ipConnectionGater(new IpFilter(cidrs('127.0.0.0/8'), cidrs('127.0.0.1')), (direction, addr) => { refused.push(`${direction} ${addr}`) })
    const inbound = (addr: string): MultiaddrConnection => ({ remoteAddr: multiaddr(addr) }) as unknown as MultiaddrConnection
    expect(await gater.denyInboundConnection?.(inbound('/ip4/127.0.0.1/tcp/5000'))).toBe(true)
    expect(await gater.denyInboundConnection?.(inbound('/ip4/127.0.0.2/tcp/5000'))).toBe(false)
    expect(await gater.denyDialMultiaddr?.(multiaddr('/ip4/127.0.0.1/tcp/4001'))).toBe(true)
    expect(await gater.denyDialMultiaddr?.(multiaddr('/ip4/127.0.0.3/tcp/4001'))).toBe(false)
    expect(refused).toEqual(['inbound /ip4/127.0.0.1/tcp/5000', 'outbound /ip4/127.0.0.1/tcp/4001'])
  })
})
