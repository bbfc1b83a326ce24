/** Every classification table of peer insight over real-world strings, real errors and hostile input. */
import { createConnection } from 'node:net'
import { AbortError, InvalidCryptoExchangeError, MuxerClosedError, TimeoutError, UnexpectedPeerError } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import { ipVersionOf, remoteIpOf } from '../../src/insight/address-family.js'
import { AGENT_FAMILIES, classifyAgent } from '../../src/insight/agent-family.js'
import { CloseReasonCounter, PRUNE_GRACE_MS, classifyClose } from '../../src/insight/close-reasons.js'
import { DIAL_ERROR_REASONS, classifyDialError } from '../../src/insight/dial-errors.js'
import { PROTOCOL_CLASSES, protocolClassOf, protocolClassesOfMask, protocolMaskOf } from '../../src/insight/protocols.js'
import { MAX_PROTOCOLS, sanitizeProtocols } from '../../src/tracker/sanitize.js'

describe('agent families', () => {
  const cases: Array<[string, string, string | undefined]> = [
    ['kubo/0.29.0/3f0947b', 'kubo', '0.29'],
    ['kubo/0.32.1/', 'kubo', '0.32'],
    ['go-ipfs/0.8.0/', 'kubo', '0.8'],
    ['go-ipfs/0.4.23/', 'kubo', '0.4'],
    ['github.com/libp2p/go-libp2p@v0.36.2', 'go-libp2p', '0.36'],
    ['go-libp2p/0.33.0', 'go-libp2p', '0.33'],
    ['Lighthouse/v5.3.0-d6ba8c3/x86_64-linux', 'lighthouse', '5.3'],
    ['teku/v24.8.0/linux-x86_64/-eclipseadoptium-openjdk64bitservervm-java-21', 'teku', '24.8'],
    ['Prysm/v5.1.0/5e3b8e3b5c9f', 'prysm', '5.1'],
    ['nimbus', 'nimbus', undefined],
    ['lodestar/v1.22.0/a4f2b3c', 'lodestar', '1.22'],
    ['erigon/v2.60.8-abcdef/linux-amd64/go1.22.5', 'erigon', '2.60'],
    ['Caplin/v1.0/linux', 'erigon', '1.0'],
    ['grandine/1.0.0-1d3ef6b/x86_64-linux', 'grandine', '1.0'],
    ['rust-libp2p/0.54.0', 'rust-libp2p', '0.54'],
    ['js-libp2p/2.8.0 UserAgent=v20.10.0', 'js-libp2p', '2.8'],
    ['helia/5.x', 'helia', undefined],
    ['helia/5.1.0 libp2p/2.3.1 UserAgent=Chrome', 'helia', '5.1'],
    ['nim-libp2p', 'nim-libp2p', undefined],
    ['Substrate/2.0.0-rc6 polkadot', 'substrate', '2.0'],
    ['Parity Polkadot/v1.15.2-d6f482d5593 (node-1)', 'substrate', '1.15'],
    ['polkadot-parachain/v1.14.0-8f3b3f8 (collator)', 'substrate', '1.14'],
    ['lotus-1.28.0+mainnet+git.ab12cd', 'lotus', '1.28'],
    ['forest-0.19.2', 'forest', '0.19'],
    ['forest-0.19.0+git.1234', 'forest', '0.19'],
    // go-libp2p's identify default for a program that sets no agent: its main module path and version
    ['github.com/ipfs/vole@v0.4.0', 'go-libp2p', undefined],
    ['github.com/celestiaorg/celestia-node@v0.20.4', 'go-libp2p', undefined],
    ['github.com/some-org/polkadot-watcher@v1.2.3-rc1', 'go-libp2p', undefined],
    ['gitlab.com/group/sub/app@v2.0.0+incompatible', 'go-libp2p', undefined],
    ['github.com/myorg/myapp@3f0947b12', 'go-libp2p', undefined],
    ['github.com/myorg/myapp@3f0947b12-dirty', 'go-libp2p', undefined],
    ['github.com/myorg/myapp@', 'go-libp2p', undefined],
    ['github.com/libp2p/go-libp2p', 'go-libp2p', undefined],
    ['github.com/myorg/myapp', 'other', undefined],
    ['github.com/myorg/myapp@latest', 'other', undefined],
    ['libp2p-peer-tracker/0.1.0', 'other', undefined],
    ['edgevpn', 'other', undefined]
  ]
  it.each(cases)('%s -> %s %s', (agent, family, version) => {
    expect(classifyAgent(agent)).toEqual({ family, version })
  })

  it('is unknown without an agent string', () => {
    expect(classifyAgent(undefined)).toEqual({ family: 'unknown', version: undefined })
    expect(classifyAgent('   ')).toEqual({ family: 'unknown', version: undefined })
  })

  it('keeps hostile strings to a known family and a digits-only version', () => {
    const hostile = [
      'kubo/' + '9'.repeat(100_000), 'kubo/1.2"} evil{x="', 'kubo/\n1.2\n', 'lighthouse/v1.2\u0000\u202e',
      '\u{1F600}'.repeat(1000), '../../etc/passwd', '"}\n# TYPE x gauge', 'KUBO/1.2', ' kubo/0.29.0',
      'x'.repeat(1_000_000) + 'kubo/1.0'
    ]
    for (const agent of hostile) {
      const { family, version } = classifyAgent(agent)
      expect(AGENT_FAMILIES).toContain(family)
      if (version !== undefined) expect(version).toMatch(/^\d{1,6}\.\d{1,6}$/)
    }
    expect(classifyAgent('KUBO/1.2')).toEqual({ family: 'kubo', version: '1.2' })
    expect(classifyAgent('kubo/1.2"} evil{x="')).toEqual({ family: 'kubo', version: '1.2' })
    expect(classifyAgent('x'.repeat(1_000_000) + 'kubo/1.0').family).toBe('other')
  })
})

describe('protocol classes', () => {
  const cases: Array<[string, string]> = [
    ['/ipfs/id/1.0.0', 'identify'], ['/ipfs/id/push/1.0.0', 'identify_push'], ['/ipfs/ping/1.0.0', 'ping'],
    ['/ipfs/kad/1.0.0', 'kad'], ['/ipfs/lan/kad/1.0.0', 'kad'], ['/celestia/kad/1.0.0', 'kad'],
    ['/ipfs/bitswap/1.2.0', 'bitswap'], ['/ipfs/bitswap', 'bitswap'], ['/meshsub/1.1.0', 'gossipsub'], ['/meshsub/1.2.0', 'gossipsub'],
    ['/floodsub/1.0.0', 'floodsub'], ['/libp2p/circuit/relay/0.2.0/hop', 'circuit_relay_hop'],
    ['/libp2p/circuit/relay/0.2.0/stop', 'circuit_relay_stop'], ['/libp2p/autonat/1.0.0', 'autonat'],
    ['/libp2p/autonat/2/dial-request', 'autonat'], ['/libp2p/dcutr', 'dcutr'], ['/libp2p/fetch/0.0.1', 'fetch'],
    ['/rendezvous/1.0.0', 'rendezvous'], ['/perf/1.0.0', 'perf'],
    ['/eth2/beacon_chain/req/status/1/ssz_snappy', 'eth2'], ['/fil/hello/1.0.0', 'filecoin'],
    ['/x/custom/1.0.0', 'other'], ['', 'other'], ['/ipfs/kad/2.0.0', 'other']
  ]
  it.each(cases)('%s -> %s', (id, cls) => { expect(protocolClassOf(id)).toBe(cls) })

  it('reads at most the sanitizer\'s MAX_PROTOCOLS ids of a list', () => {
    const capped = [...Array.from({ length: MAX_PROTOCOLS }, (_, i) => `/ipfs/kad/${i}/kad/1.0.0`), '/mine/1']
    expect(protocolClassesOfMask(protocolMaskOf(capped))).toEqual(['kad'])
    // what the adapter passes on is already cut there: the id past the cap is never seen
    expect(protocolClassesOfMask(protocolMaskOf(sanitizeProtocols(capped)))).toEqual(['kad'])
  })

  it('turns a peer\'s protocol list into one bit per class', () => {
    const mask = protocolMaskOf(['/ipfs/id/1.0.0', '/ipfs/ping/1.0.0', '/meshsub/1.1.0', '/meshsub/1.2.0', '/mine/1'])
    expect(protocolClassesOfMask(mask)).toEqual(['identify', 'ping', 'gossipsub', 'other'])
    expect(protocolMaskOf(undefined)).toBe(0)
    expect(protocolMaskOf([])).toBe(0)
    // 100k random protocol ids: still only the fixed classes.
    const many = Array.from({ length: 100_000 }, (_, i) => `/evil/${i}`)
    expect(protocolClassesOfMask(protocolMaskOf(many))).toEqual(['other'])
    expect(PROTOCOL_CLASSES.length).toBeLessThanOrEqual(31)
  })
})

describe('address families', () => {
  it('classifies connections and extracts the remote IP', () => {
    expect(ipVersionOf('/ip4/1.2.3.4/tcp/4001/p2p/QmX', false)).toBe('ip4')
    expect(ipVersionOf('/ip6/2001:db8::1/udp/4001/quic-v1', false)).toBe('ip6')
    expect(ipVersionOf('/ip4/1.2.3.4/tcp/4001/p2p/QmRelay/p2p-circuit/p2p/QmX', false)).toBe('relayed')
    expect(ipVersionOf('/ip4/1.2.3.4/tcp/4001', true)).toBe('relayed')
    expect(ipVersionOf('/dns4/example.org/tcp/443/wss', false)).toBe('other')
    expect(remoteIpOf('/ip4/1.2.3.4/tcp/4001/p2p/QmX')).toBe('1.2.3.4')
    expect(remoteIpOf('/ip6/2001:db8::1/tcp/1')).toBe('2001:db8::1')
    expect(remoteIpOf('/ip4/1.2.3.4/tcp/4001/p2p/QmR/p2p-circuit')).toBeUndefined()
    expect(remoteIpOf('/dns4/example.org/tcp/1')).toBeUndefined()
  })
})

/** A real ECONNREFUSED from the OS: connect to a port nothing listens on. */
async function refusedSocketError (): Promise<Error> {
  const { createServer } = await import('node:net')
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>(resolve => server.close(() => { resolve() }))
  return await new Promise<Error>(resolve => {
    const socket = createConnection({ host: '127.0.0.1', port })
    socket.on('error', resolve)
  })
}

function named (name: string, message: string): Error {
  const err = new Error(message)
  err.name = name
  return err
}

function coded (code: string, message: string): Error {
  return Object.assign(new Error(message), { code })
}

describe('dial error reasons', () => {
  it('maps what js-libp2p 3 and Node throw to the fixed reasons', async () => {
    const refused = await refusedSocketError()
    expect((refused as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
    const cases: Array<[unknown, string]> = [
      [refused, 'refused'],
      // libp2p's dial queue: one AggregateError when every address failed
      [new AggregateError([refused, coded('ECONNREFUSED', 'connect ECONNREFUSED ::1:4001')], 'All multiaddr dials failed'), 'refused'],
      [coded('EHOSTUNREACH', 'connect EHOSTUNREACH 10.0.0.1:4001'), 'unreachable'],
      [coded('ENETUNREACH', 'connect ENETUNREACH'), 'unreachable'],
      [coded('ENOTFOUND', 'getaddrinfo ENOTFOUND bootstrap.example'), 'unreachable'],
      [coded('ETIMEDOUT', 'connect ETIMEDOUT 1.2.3.4:4001'), 'timeout'],
      [new TimeoutError('Connection timeout after 5001ms'), 'timeout'],
      [named('TimeoutError', 'The operation was aborted due to timeout'), 'timeout'],
      // Noise's identity check, wrapped by libp2p's upgrader in EncryptionFailedError
      [named('EncryptionFailedError', 'Payload identity key 080112 does not match expected remote identity key 080113'), 'peer_id_mismatch'],
      [new UnexpectedPeerError('Unexpected peer'), 'peer_id_mismatch'],
      // a self-dial is not a mismatch: nothing was dialled
      [named('InvalidPeerIdError', 'Can not dial self'), 'other'],
      [named('DialError', 'Tried to dial self'), 'other'],
      // the handshake with a port that accepts TCP and never answers: a timeout wrapped in EncryptionFailedError
      [named('EncryptionFailedError', 'The operation was aborted due to timeout'), 'timeout'],
      [named('MuxerUnavailableError', 'The operation was aborted due to timeout'), 'timeout'],
      [named('EncryptionFailedError', 'This operation was aborted'), 'aborted'],
      // libp2p re-throws an address error as TimeoutError when the dial's own signal fired
      [new TimeoutError('This operation was aborted'), 'timeout'],
      // Node's AbortError for a timeout signal: the reason is its cause
      [Object.assign(named('AbortError', 'The operation was aborted'), { code: 'ABORT_ERR', cause: named('TimeoutError', 'The operation was aborted due to timeout') }), 'timeout'],
      [Object.assign(named('AbortError', 'The operation was aborted'), { code: 'ABORT_ERR', cause: named('AbortError', 'This operation was aborted') }), 'aborted'],
      [named('NoValidAddressesError', 'The dial request has no valid addresses for peer: 12D3KooW'), 'no_valid_addresses'],
      [named('DialError', 'Peer had more than maxPeerAddrsToDial'), 'no_valid_addresses'],
      [named('EncryptionFailedError', 'Encryption failed'), 'encryption_failed'],
      [new InvalidCryptoExchangeError('bad handshake'), 'encryption_failed'],
      [named('MuxerUnavailableError', 'No muxer configured for protocol "/mplex/6.7.0"'), 'muxer_failed'],
      [new MuxerClosedError('closed'), 'muxer_failed'],
      [new AbortError(), 'aborted'],
      [named('AbortError', 'This operation was aborted'), 'aborted'],
      [named('DialError', 'Dial queue is full'), 'resource_limit'],
      [coded('EMFILE', 'too many open files'), 'resource_limit'],
      [named('DialDeniedError', 'The dial request is blocked by gater.allowDialPeer'), 'denied'],
      [named('DialDeniedError', 'The connection gater denied all addresses in the dial request for peer: 12D3KooW'), 'denied'],
      [named('ConnectionInterceptedError', 'The multiaddr connection is blocked by gater.denyOutboundConnection'), 'denied'],
      [new Error('something else'), 'other'],
      ['ECONNREFUSED as a string', 'refused'],
      [undefined, 'other'],
      [null, 'other'],
      [42, 'other'],
      [new Error('wrapper', { cause: refused }), 'refused'],
      [new AggregateError([new Error('x'), new TimeoutError('t')]), 'timeout']
    ]
    for (const [err, reason] of cases) {
      expect({ err: String(err), reason: classifyDialError(err) }).toEqual({ err: String(err), reason })
      expect(DIAL_ERROR_REASONS).toContain(reason)
    }
  })

  it('survives hostile errors: cycles, huge messages, getters', () => {
    const cyclic = new Error('loop') as Error & { cause?: unknown }
    cyclic.cause = cyclic
    expect(classifyDialError(cyclic)).toBe('other')
    expect(classifyDialError(new Error('x'.repeat(10_000_000)))).toBe('other')
    const nested: unknown = Array.from({ length: 100 }).reduce<unknown>((inner) => new AggregateError([inner]), new Error('deep'))
    expect(classifyDialError(nested)).toBe('other')
    expect(classifyDialError({ name: 5, code: {}, message: [] })).toBe('other')
  })
})

describe('close reasons', () => {
  it('classifies from who closed, the status and the error', () => {
    const base = { shuttingDown: false, closedLocally: false, status: 'closed', error: undefined }
    expect(classifyClose(base)).toBe('remote')
    expect(classifyClose({ ...base, closedLocally: true })).toBe('local')
    expect(classifyClose({ ...base, shuttingDown: true, closedLocally: true })).toBe('shutdown')
    expect(classifyClose({ ...base, status: 'reset' })).toBe('reset')
    expect(classifyClose({ ...base, status: 'aborted', error: coded('ECONNRESET', 'read ECONNRESET') })).toBe('reset')
    expect(classifyClose({ ...base, status: 'aborted', closedLocally: true, error: new TimeoutError('ping timeout') })).toBe('timeout')
    expect(classifyClose({ ...base, status: 'aborted', error: named('AbortError', 'The operation was aborted due to timeout') })).toBe('timeout')
  })

  it('lets a prune event claim local closes within the grace period, and only those', () => {
    const c = new CloseReasonCounter()
    c.record('a', 'local', 0)
    c.record('b', 'local', 10)
    c.record('r', 'remote', 10)
    c.pruned(['a', 'open-one'], 500) // 'open-one' was named but stayed open (streams in use)
    expect(c.counts).toMatchObject({ pruned: 1, local: 0, remote: 1 })
    c.settle(10 + PRUNE_GRACE_MS - 1)
    expect(c.counts.local).toBe(0)
    c.settle(10 + PRUNE_GRACE_MS)
    expect(c.counts).toMatchObject({ pruned: 1, local: 1, remote: 1 })
    // a prune seen before the close still counts it as pruned
    c.pruned(['late'], 20_000)
    c.record('late', 'local', 20_001)
    expect(c.counts.pruned).toBe(2)
    // shutdown settles everything pending at once
    c.record('z', 'local', 30_000)
    c.settle(30_000, true)
    expect(c.counts.local).toBe(2)
    expect(c.pendingLocal).toBe(0)
  })
})
