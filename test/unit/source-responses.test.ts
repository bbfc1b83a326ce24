/**
 * What the pollers make of the APIs' answers (src/sources/beacon-api.ts, kubo-rpc.ts,
 * credentials.ts, and Kubo's latencies read by src/config/duration.ts): the shapes each client answers in, garbage refused as
 * bad_response, strings bounded before any label.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/config/config-error.js'
import { lighthouseAgents, snapshotOf } from '../../src/sources/beacon-api.js'
import { readAuthorization, readCa } from '../../src/sources/credentials.js'
import { goDurationMs } from '../../src/config/duration.js'
import { PollError } from '../../src/sources/http-source.js'
import { kuboSnapshotOf } from '../../src/sources/kubo-rpc.js'
import { MAX_AGENT_LENGTH } from '../../src/tracker/sanitize.js'

const A = '16Uiu2HAmPeerA0000000000000000000000000000000000000a'
const B = '16Uiu2HAmPeerB0000000000000000000000000000000000000b'
const K = '12D3KooWApmhCDoUFED7qJcRjPVrbmAjmATuxCeZrMD9d5CLPFNf'

function pollErrorOf (fn: () => unknown): PollError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(PollError)
    return err as PollError
  }
  throw new Error('expected a PollError')
}

describe('goDurationMs (Kubo\'s Latency)', () => {
  it.each([
    ['1.234ms', 1.234], ['52.1µs', 0.0521], ['52.1μs', 0.0521], ['800ns', 0.0008], ['1m2.5s', 62_500], ['1h0m0s', 3_600_000], ['0s', 0], ['2s', 2000]
  ])('%s is %d ms', (text, ms) => {
    expect(goDurationMs(text)).toBeCloseTo(ms, 9)
  })

  it.each(['n/a', '', '1.2', 'ms', '5 ms', '-1ms', 12, null, 'x'.repeat(100)])('%j is no latency', (value) => {
    expect(goDurationMs(value)).toBeUndefined()
  })
})

describe('Beacon API peers', () => {
  it('reads the standard objects, with Nimbus\' agent and Teku\'s agent_version where present', () => {
    const { connections, peers } = snapshotOf({
      data: [
        { peer_id: A, enr: null, last_seen_p2p_address: '/ip4/10.0.0.1/tcp/9000', state: 'connected', direction: 'outbound', agent: 'nimbus' },
        { peer_id: B, enr: null, last_seen_p2p_address: '/ip4/10.0.0.2/udp/9001/quic-v1', state: 'connected', direction: 'inbound', agent_version: 'teku/v24.1.0/linux-x86_64/-eclipseadoptium-openjdk64bitservervm-java-21' }
      ],
      meta: { count: 2 }
    }, 'peers')
    expect(connections).toEqual([
      { id: A, peerId: A, remoteAddr: '/ip4/10.0.0.1/tcp/9000', direction: 'outbound', transport: 'tcp', encryption: 'unknown', muxer: 'unknown' },
      { id: B, peerId: B, remoteAddr: '/ip4/10.0.0.2/udp/9001/quic-v1', direction: 'inbound', transport: 'quic', encryption: 'unknown', muxer: 'unknown' }
    ])
    expect(peers.get(A)?.agentVersion).toBe('nimbus')
    expect(peers.get(B)?.agentVersion).toMatch(/^teku\/v24\.1\.0/)
  })

  it('reads Lodestar\'s agent_version ("NA" before identify is no agent), and only connected peers, each once', () => {
    const { connections, peers } = snapshotOf({
      data: [
        { peer_id: A, last_seen_p2p_address: '/ip4/127.0.0.1/tcp/9001', state: 'connected', direction: 'outbound', agent_version: 'Lodestar/v1.5.1/5d9e6ad' },
        { peer_id: A, last_seen_p2p_address: '/ip4/127.0.0.1/tcp/9001', state: 'connected', direction: 'outbound', agent_version: 'Lodestar/v1.5.1/5d9e6ad' },
        { peer_id: B, last_seen_p2p_address: '', state: 'connected', direction: 'inbound', agent_version: 'NA' },
        { peer_id: 'Cccccccccccccccccccccccccccccccccccc', last_seen_p2p_address: '', state: 'disconnecting', direction: 'inbound' }
      ]
    }, 'lodestar peers')
    expect(connections.map(c => c.peerId)).toEqual([A, B])
    expect(peers.get(A)?.agentVersion).toBe('Lodestar/v1.5.1/5d9e6ad')
    expect(peers.get(B)?.agentVersion).toBeUndefined()
    expect(connections[1]?.transport).toBe('other')
  })

  it('skips entries whose peer ID could break a label, and bounds every string', () => {
    const { connections, peers } = snapshotOf({
      data: [
        { peer_id: 'a"} 1\nevil', last_seen_p2p_address: '/ip4/1.2.3.4/tcp/1', state: 'connected', direction: 'inbound' },
        { peer_id: A, last_seen_p2p_address: `/ip4/1.2.3.4/tcp/1/${'x'.repeat(10_000)}`, state: 'connected', direction: 'sideways', agent_version: `Prysm/${'v'.repeat(1_000_000)}` }
      ]
    }, 'peers')
    expect(connections.map(c => c.peerId)).toEqual([A])
    expect(connections[0]?.remoteAddr.length).toBeLessThanOrEqual(512)
    expect(connections[0]?.direction).toBe('inbound')
    expect(peers.get(A)?.agentVersion?.length).toBeLessThanOrEqual(MAX_AGENT_LENGTH)
  })

  it.each([
    ['HTML parsed as a string', '<html>'],
    ['an object without data', { result: [] }],
    ['data that is not a list', { data: { peer_id: A } }],
    ['an absurd peer list', { data: Array(100_001).fill({}) }]
  ])('refuses %s as bad_response', (_what, body) => {
    expect(pollErrorOf(() => snapshotOf(body, 'peers')).result).toBe('bad_response')
  })

  it('reads Lighthouse\'s agents from /lighthouse/peers/connected', () => {
    const agents = lighthouseAgents([
      { peer_id: A, peer_info: { client: { kind: 'Lighthouse', version: 'v5.1.0-abc', os_version: 'x86_64-linux', protocol_version: 'eth2/1.0.0', agent_string: 'Lighthouse/v5.1.0-abc/x86_64-linux' } } },
      { peer_id: B, peer_info: { client: { kind: 'Teku', version: 'v24.1.0', os_version: 'linux', protocol_version: 'eth2/1.0.0', agent_string: null } } },
      { peer_id: K, peer_info: { client: { kind: 'Unknown', version: 'unknown', agent_string: null } } }
    ])
    expect(Object.fromEntries(agents)).toEqual({ [A]: 'Lighthouse/v5.1.0-abc/x86_64-linux', [B]: 'Teku/v24.1.0' })
  })
})

describe('Kubo swarm/peers', () => {
  /** Entries as swarm.go's connInfo encodes them with verbose=true (omitempty: no Muxer, no Direction 0). */
  const verbose = {
    Peers: [
      { Addr: '/ip4/10.0.0.7/tcp/4001', Peer: K, Latency: '23.4ms', Direction: 2, Streams: [{ Protocol: '/ipfs/bitswap/1.2.0' }], Identify: { ID: K, PublicKey: 'CAES', Addresses: ['/ip4/10.0.0.7/tcp/4001'], AgentVersion: 'kubo/0.32.1/', Protocols: ['/ipfs/id/1.0.0', '/ipfs/kad/1.0.0'] } },
      { Addr: '/ip4/10.0.0.7/udp/4001/quic-v1', Peer: K, Latency: '23.4ms', Direction: 1, Identify: { ID: K, PublicKey: 'CAES', Addresses: null, AgentVersion: 'kubo/0.32.1/', Protocols: ['/ipfs/id/1.0.0'] } },
      { Addr: '/ip4/10.0.0.8/tcp/4001', Peer: A, Latency: 'n/a', Identify: { ID: A, PublicKey: '', Addresses: null, AgentVersion: '', Protocols: null } }
    ]
  }

  it('makes one connection per entry and one peer per Peer', () => {
    const { connections, peers } = kuboSnapshotOf(verbose)
    expect(connections.map(c => [c.peerId, c.direction, c.transport, c.encryption, c.muxer])).toEqual([
      [K, 'outbound', 'tcp', 'unknown', 'unknown'],
      [K, 'inbound', 'quic', 'unknown', 'unknown'],
      [A, 'inbound', 'tcp', 'unknown', 'unknown'] // Direction omitted (0, unknown): counted as inbound
    ])
    expect(new Set(connections.map(c => c.id)).size).toBe(3)
    expect([...peers.keys()]).toEqual([K, A])
    expect(peers.get(K)).toEqual({ agentVersion: 'kubo/0.32.1/', protocols: ['/ipfs/id/1.0.0', '/ipfs/kad/1.0.0', '/ipfs/bitswap/1.2.0'], rttMs: 23.4 })
    expect(peers.get(A)).toEqual({ agentVersion: undefined, protocols: undefined, rttMs: undefined })
  })

  it('keeps two alike connections two, with ids stable from one poll to the next', () => {
    const twice = { Peers: [{ Addr: '/ip4/10.0.0.7/tcp/4001', Peer: K }, { Addr: '/ip4/10.0.0.7/tcp/4001', Peer: K }] }
    const first = kuboSnapshotOf(twice).connections.map(c => c.id)
    expect(new Set(first).size).toBe(2)
    expect(kuboSnapshotOf(twice).connections.map(c => c.id)).toEqual(first)
  })

  it('reads an answer without verbose (Identify all empty) and Go\'s null for no connections', () => {
    const bare = kuboSnapshotOf({ Peers: [{ Addr: '/ip4/10.0.0.7/tcp/4001', Peer: K, Identify: { ID: '', PublicKey: '', Addresses: null, AgentVersion: '', Protocols: null } }] })
    expect(bare.peers.get(K)).toEqual({ agentVersion: undefined, protocols: undefined, rttMs: undefined })
    expect(kuboSnapshotOf({ Peers: null }).connections).toEqual([])
  })

  it.each([
    ['a list', []],
    ['Peers that is not a list', { Peers: 'none' }],
    ['an absurd connection list', { Peers: Array(100_001).fill({}) }]
  ])('refuses %s as bad_response', (_what, body) => {
    expect(pollErrorOf(() => kuboSnapshotOf(body)).result).toBe('bad_response')
  })
})

describe('credentials files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'source-auth-'))
  const file = (name: string, text: string): string => { const path = join(dir, name); writeFileSync(path, text); return path }

  it('turns Kubo\'s AuthSecret formats into the Authorization header', () => {
    expect(readAuthorization(file('bearer', 'bearer:s3cr3t-token\n'))).toBe('Bearer s3cr3t-token')
    expect(readAuthorization(file('basic', 'basic:alice:pa:ss\n'))).toBe(`Basic ${Buffer.from('alice:pa:ss').toString('base64')}`)
  })

  it.each([
    ['missing', undefined, '--source.auth-file: cannot read'],
    ['plain', 's3cr3t', 'does not hold bearer:TOKEN or basic:USER:PASSWORD'],
    ['no-password', 'basic:alice', 'does not hold'],
    ['two-lines', 'bearer:s3cr3t\nbearer:other', 'does not hold'],
    ['empty-token', 'bearer:', 'does not hold']
  ])('refuses a %s file in one line naming the flag, never showing the secret', (name, text, message) => {
    const path = text === undefined ? join(dir, 'does-not-exist') : file(name, text)
    try {
      readAuthorization(path)
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as Error).message).toContain(message)
      expect((err as Error).message).not.toContain('s3cr3t')
    }
  })

  it('refuses a CA file without a PEM certificate', () => {
    expect(() => readCa(file('ca', 'not a certificate'))).toThrow('--source.ca-file: ')
  })
})
