/** Peer insight driven through the pure tracker with an injected clock; numbers read from the real exposition. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { IpPeerIndex } from '../../src/insight/ip-peers.js'
import { PeerHistory } from '../../src/insight/peer-history.js'
import { PeerInsight } from '../../src/insight/peer-insight.js'
import { SeenPeers } from '../../src/insight/seen-peers.js'
import { INSIGHT_METRICS as M } from '../../src/metrics/definitions.js'
import { ExpositionWriter } from '../../src/metrics/exposition.js'
import { TrackerCollector } from '../../src/metrics/tracker-collector.js'
import { PeerAccount } from '../../src/tracker/peer-account.js'
import { parseExposition, samplesOf, sumOf, valueOf } from '../support/exposition.js'
import type { PeerInsightOptions } from '../../src/insight/peer-insight.js'
import type { Exposition } from '../support/exposition.js'

const MIN = 60_000
const HOUR = 60 * MIN

function setup (options: Partial<PeerInsightOptions> = {}): {
  tracker: PeerAccount
  insight: PeerInsight
  advance: (ms: number) => void
  open: (peerId: string, addr?: string) => string
  close: (connectionId: string) => void
  scrape: () => Exposition
} {
  let now = 1_700_000_000_000
  const insight = new PeerInsight(options)
  const tracker = new PeerAccount({ now: () => now }, [], insight)
  const collector = new TrackerCollector(tracker, {
    maxPeerSeries: 10,
    buildInfo: { version: '1', revision: 'r', libp2pVersion: '3', nodejsVersion: 'v20' },
    startTimeSeconds: 1,
    dhtRoutingTablePeers: () => 0,
    insight
  })
  let id = 0
  return {
    tracker,
    insight,
    advance: (ms) => { now += ms },
    open: (peerId, addr = '/ip4/10.0.0.1/tcp/4001') => {
      const connectionId = `c${++id}`
      tracker.connectionOpened({ id: connectionId, peerId, direction: 'inbound', remoteAddr: addr, transport: addr.includes('p2p-circuit') ? 'circuit' : 'tcp', encryption: 'noise', muxer: 'yamux' })
      return connectionId
    },
    close: (connectionId) => { tracker.connectionClosed(connectionId) },
    scrape: () => { const w = new ExpositionWriter('text'); collector.collect(w); return parseExposition(w.finish()) }
  }
}

describe('peer insight state', () => {
  it('exports every known label set at 0 before any peer', () => {
    const m = setup().scrape()
    expect(valueOf(m, M.peersByAgent.name, { agent: 'unknown', version: 'unknown' })).toBe(0)
    expect(valueOf(m, M.peersByAgent.name, { agent: 'kubo', version: 'other' })).toBe(0)
    expect(valueOf(m, M.peersByProtocol.name, { protocol: 'kad' })).toBe(0)
    expect(valueOf(m, M.peersByIpVersion.name, { ip_version: 'relayed' })).toBe(0)
    expect(valueOf(m, M.dials.name, { outcome: 'failure' })).toBe(0)
    expect(valueOf(m, M.dialErrors.name, { reason: 'peer_id_mismatch' })).toBe(0)
    expect(valueOf(m, M.connectionCloseReasons.name, { reason: 'pruned' })).toBe(0)
    expect(valueOf(m, `${M.peerRtt.name}_count`, { agent: 'lighthouse' })).toBe(0)
    expect(valueOf(m, M.stablePeers.name, { min_age: '7d' })).toBe(0)
    for (const name of [M.flappingPeers, M.peerReconnects, M.peersSeen, M.newPeers, M.returningPeers, M.ipsWithMultiplePeerIds, M.maxPeerIdsPerIp, M.rememberedPeers].map(d => d.name)) {
      expect(valueOf(m, name)).toBe(0)
    }
    expect(m.types.get(M.peerRtt.name)).toBe('histogram')
  })

  it('counts peers by agent family and version: unknown until identify, re-counted on change, released on close', () => {
    const { tracker, open, close, scrape } = setup({ topVersions: 2 })
    const a = open('A')
    open('B')
    open('C')
    open('D')
    let m = scrape()
    expect(valueOf(m, M.peersByAgent.name, { agent: 'unknown', version: 'unknown' })).toBe(4)
    tracker.peerIdentified('A', 'kubo/0.29.0/3f0947b', ['/ipfs/id/1.0.0', '/ipfs/kad/1.0.0'])
    tracker.peerIdentified('B', 'kubo/0.29.1/abc', ['/ipfs/id/1.0.0', '/ipfs/bitswap/1.2.0'])
    tracker.peerIdentified('C', 'kubo/0.28.0/', ['/ipfs/id/1.0.0'])
    tracker.peerIdentified('D', 'kubo/0.27.0/', ['/x/1'])
    m = scrape()
    expect(valueOf(m, M.peersByAgent.name, { agent: 'unknown', version: 'unknown' })).toBe(0)
    expect(valueOf(m, M.peersByAgent.name, { agent: 'kubo', version: '0.29' })).toBe(2)
    // top 2 versions: 0.29 (2 peers) and the lower-sorting of the 1-peer versions; the rest is other
    expect(valueOf(m, M.peersByAgent.name, { agent: 'kubo', version: '0.27' })).toBe(1)
    expect(valueOf(m, M.peersByAgent.name, { agent: 'kubo', version: 'other' })).toBe(1)
    expect(valueOf(m, M.peersByProtocol.name, { protocol: 'identify' })).toBe(3)
    expect(valueOf(m, M.peersByProtocol.name, { protocol: 'kad' })).toBe(1)
    expect(valueOf(m, M.peersByProtocol.name, { protocol: 'other' })).toBe(1)
    // identify push with a new agent and protocols: counted once, under the new values
    tracker.peerIdentified('A', 'Lighthouse/v5.3.0-d6ba8c3/x86_64-linux', ['/meshsub/1.1.0'])
    m = scrape()
    expect(valueOf(m, M.peersByAgent.name, { agent: 'lighthouse', version: '5.3' })).toBe(1)
    // kubo now has three versions with one peer each: the top 2 by version string, 0.29 folded into other
    expect(samplesOf(m, M.peersByAgent.name).filter(s => s.labels.agent === 'kubo').map(s => [s.labels.version, s.value])).toEqual([['0.27', 1], ['0.28', 1], ['other', 1]])
    expect(valueOf(m, M.peersByProtocol.name, { protocol: 'kad' })).toBe(0)
    expect(valueOf(m, M.peersByProtocol.name, { protocol: 'gossipsub' })).toBe(1)
    close(a)
    m = scrape()
    expect(valueOf(m, M.peersByAgent.name, { agent: 'lighthouse', version: '5.3' })).toBeUndefined()
    expect(valueOf(m, M.peersByAgent.name, { agent: 'lighthouse', version: 'other' })).toBe(0)
    expect(sumOf(m, M.peersByAgent.name)).toBe(3)
    expect(valueOf(m, M.peersByProtocol.name, { protocol: 'gossipsub' })).toBe(0)
  })

  it('counts peers by address family, relayed apart, and the sybil signal per IP', () => {
    const { open, close, scrape } = setup()
    const a1 = open('A', '/ip4/1.1.1.1/tcp/1')
    const a2 = open('A', '/ip4/1.1.1.1/tcp/2') // same peer, second connection: still one peer ID
    open('B', '/ip4/1.1.1.1/tcp/3')
    const c = open('C', '/ip4/1.1.1.1/tcp/4')
    open('D', '/ip6/2001:db8::1/tcp/1')
    open('E', '/ip6/2001:db8::1/tcp/2')
    open('F', '/ip4/9.9.9.9/tcp/1/p2p/QmRelay/p2p-circuit')
    let m = scrape()
    expect(valueOf(m, M.peersByIpVersion.name, { ip_version: 'ip4' })).toBe(3)
    expect(valueOf(m, M.peersByIpVersion.name, { ip_version: 'ip6' })).toBe(2)
    expect(valueOf(m, M.peersByIpVersion.name, { ip_version: 'relayed' })).toBe(1)
    expect(valueOf(m, M.ipsWithMultiplePeerIds.name)).toBe(2)
    expect(valueOf(m, M.maxPeerIdsPerIp.name)).toBe(3)
    close(a1)
    expect(valueOf(scrape(), M.maxPeerIdsPerIp.name)).toBe(3)
    close(a2)
    close(c)
    m = scrape()
    expect(valueOf(m, M.maxPeerIdsPerIp.name)).toBe(2)
    expect(valueOf(m, M.ipsWithMultiplePeerIds.name)).toBe(1)
    expect(valueOf(m, M.peersByIpVersion.name, { ip_version: 'ip4' })).toBe(1)
  })

  it('detects flapping (K sessions in W), reconnects, new vs returning peers, and forgets flapping after W', () => {
    const { tracker, open, close, advance, scrape, insight } = setup({ flappingSessions: 3, flappingWindowMs: 10 * MIN })
    for (let i = 0; i < 3; i++) { close(open('F')); advance(MIN) }
    close(open('G'))
    let m = scrape()
    expect(valueOf(m, M.flappingPeers.name)).toBe(1)
    // on the tracker's (injected) clock: F is flapping until 10 min after its first of 3 starts
    expect(insight.isFlapping('F', tracker.now())).toBe(true)
    expect(insight.isFlapping('G', tracker.now())).toBe(false)
    expect(insight.isFlapping('F', tracker.now() + 7 * MIN - 1)).toBe(true)
    expect(insight.isFlapping('F', tracker.now() + 7 * MIN)).toBe(false)
    expect(valueOf(m, M.peerReconnects.name)).toBe(2)
    expect(valueOf(m, M.newPeers.name)).toBe(2)
    expect(valueOf(m, M.returningPeers.name)).toBe(2)
    expect(valueOf(m, M.peersSeen.name)).toBe(2)
    expect(valueOf(m, M.rememberedPeers.name)).toBe(2)
    advance(8 * MIN) // the first of F's three sessions is now 11 min old
    m = scrape()
    expect(valueOf(m, M.flappingPeers.name)).toBe(0)
    advance(20 * MIN)
    close(open('F')) // back after a long pause: returning, not a reconnect
    m = scrape()
    expect(valueOf(m, M.peerReconnects.name)).toBe(2)
    expect(valueOf(m, M.returningPeers.name)).toBe(3)
    expect(valueOf(m, M.flappingPeers.name)).toBe(0)
  })

  it('counts the stable core per min_age with one scan', () => {
    const { open, advance, scrape } = setup()
    open('week'); advance(7 * 24 * HOUR - 24 * HOUR)
    open('day'); advance(24 * HOUR - 6 * HOUR)
    open('six'); advance(6 * HOUR - HOUR)
    open('hour'); advance(HOUR)
    open('new')
    const m = scrape()
    expect(samplesOf(m, M.stablePeers.name).map(s => [s.labels.min_age, s.value])).toEqual([['1h', 4], ['6h', 3], ['24h', 2], ['7d', 1]])
  })

  it('keeps the last K sessions of at most M peers, least recently seen evicted', () => {
    const { open, close, advance, insight } = setup({ historyPeers: 2, historySessions: 2 })
    for (let i = 0; i < 3; i++) { close(open('A')); advance(1000) }
    close(open('B')); advance(1000)
    close(open('A')); advance(1000) // A seen most recently
    close(open('C')) // evicts B
    expect(insight.history.get('B')).toBeUndefined()
    const a = insight.history.get('A')
    expect(a?.sessions).toBe(4)
    expect(a?.recent).toHaveLength(2)
    expect(a?.recent.every(s => s.endedAt !== undefined)).toBe(true)
    expect(insight.history.size).toBe(2)
  })

  it('never evicts a connected peer, however many others come and go, and keeps its close', () => {
    const { open, close, advance, insight, tracker } = setup({ historyPeers: 2, historySessions: 3 })
    const longLived = open('L') // connected for days while others churn
    for (let i = 0; i < 50; i++) { advance(HOUR); close(open(`p${i}`)) }
    expect(insight.history.get('L')).toBeDefined()
    expect(insight.history.size).toBe(2) // L and the most recently seen of the others
    expect(insight.history.get('p49')).toBeDefined()
    expect(insight.history.get('p48')).toBeUndefined()
    advance(HOUR)
    close(longLived)
    // the close landed in the remembered record, which L's session was using all along
    expect(insight.history.get('L')?.recent[0]?.endedAt).toBe(tracker.now())
    expect(tracker.session('L')).toBeUndefined()

    // more connected peers than M: all of them stay; the cap applies again as they leave
    const others = ['X', 'Y', 'Z'].map(p => open(p))
    expect(insight.history.size).toBe(3)
    expect(insight.history.connected).toBe(3)
    expect(insight.history.get('L')).toBeUndefined() // disconnected ones go first
    for (const c of others) close(c)
    expect(insight.history.size).toBe(2)
    expect(insight.history.connected).toBe(0)
    expect(insight.history.get('Y')).toBeDefined()
    expect(insight.history.get('Z')).toBeDefined()
  })

  it('shows a pruned close as pruned in the session history, whether the prune comes after or before the close', () => {
    const { open, close, advance, insight } = setup()
    close(open('A')) // c1
    insight.connectionCloseClassified('c1', 'A', 'local', 1_700_000_000_000)
    expect(insight.history.get('A')?.recent[0]?.closeReason).toBe('local')
    insight.connectionsPruned(['c1'], 1_700_000_000_100)
    expect(insight.history.get('A')?.recent[0]?.closeReason).toBe('pruned')
    advance(10_000)
    const c2 = open('B')
    insight.connectionsPruned([c2], 1_700_000_010_000) // the prune event first, then the close
    close(c2)
    insight.connectionCloseClassified(c2, 'B', 'local', 1_700_000_010_001)
    expect(insight.history.get('B')?.recent[0]?.closeReason).toBe('pruned')
    // a local close no prune claims stays local
    close(open('C'))
    insight.connectionCloseClassified('c3', 'C', 'local', 1_700_000_010_002)
    insight.settle(1_700_000_020_000)
    expect(insight.history.get('C')?.recent[0]?.closeReason).toBe('local')
    expect(insight.closeReasons.counts).toMatchObject({ pruned: 2, local: 1 })
  })

  it('does not relabel a later session when the pruned close\'s history entry was reused', () => {
    const { open, close, advance, insight } = setup({ historySessions: 1 })
    close(open('A')) // c1
    insight.connectionCloseClassified('c1', 'A', 'local', 1_700_000_000_000)
    advance(100)
    close(open('A')) // c2: reuses the single history entry
    insight.connectionCloseClassified('c2', 'A', 'local', 1_700_000_000_000)
    const entry = insight.history.get('A')?.recent[0]
    insight.connectionsPruned(['c1'], 1_700_000_000_001) // the first close was the prune
    expect(entry?.closeReason).toBe('local')
    insight.connectionsPruned(['c2'], 1_700_000_000_002)
    expect(entry?.closeReason).toBe('pruned')
  })

  it('records RTT samples in the histogram of the peer\'s family', () => {
    const { tracker, open, scrape, insight } = setup()
    open('A')
    tracker.peerIdentified('A', 'teku/v24.8.0/linux-x86_64', [])
    insight.rttSampled(tracker.session('A')!, 42)
    insight.rttSampled(tracker.session('A')!, -1) // ignored
    const m = scrape()
    expect(valueOf(m, `${M.peerRtt.name}_count`, { agent: 'teku' })).toBe(1)
    expect(valueOf(m, `${M.peerRtt.name}_sum`, { agent: 'teku' })).toBe(0.042)
    expect(valueOf(m, `${M.peerRtt.name}_bucket`, { agent: 'teku', le: '0.05' })).toBe(1)
    expect(valueOf(m, `${M.peerRtt.name}_bucket`, { agent: 'teku', le: '0.025' })).toBe(0)
    expect(insight.of(tracker.session('A')!)?.rttMs).toBe(42)
  })
})

describe('bounded structures', () => {
  it('IpPeerIndex matches a brute-force count under any sequence of opens and closes', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 5 })), { maxLength: 200 }), (ops) => {
      const index = new IpPeerIndex()
      const open = new Map<string, number>() // "ip|peer" -> connections
      for (const [add, ip, peer] of ops) {
        const key = `${ip}|${peer}`
        if (add) { index.add(String(ip), String(peer)); open.set(key, (open.get(key) ?? 0) + 1) } else if ((open.get(key) ?? 0) > 0) {
          index.remove(String(ip), String(peer)); open.set(key, (open.get(key) as number) - 1)
        }
        const perIp = new Map<string, number>()
        for (const [k, n] of open) if (n > 0) { const i = k.split('|')[0] as string; perIp.set(i, (perIp.get(i) ?? 0) + 1) }
        const counts = [...perIp.values()]
        expect(index.maxPeerIdsPerIp).toBe(counts.length === 0 ? 0 : Math.max(...counts))
        expect(index.ipsWithMultiplePeerIds).toBe(counts.filter(n => n >= 2).length)
        expect(index.ips).toBe(perIp.size)
      }
    }))
  })

  it('SeenPeers counts distinct peers exactly at small scale and within 1% at 200k', () => {
    const seen = new SeenPeers()
    for (let i = 0; i < 1000; i++) seen.add(`12D3KooWpeer${i}`)
    for (let i = 0; i < 1000; i++) expect(seen.add(`12D3KooWpeer${i}`)).toBe(false)
    expect(seen.distinct).toBe(1000)
    for (let i = 1000; i < 200_000; i++) seen.add(`12D3KooWpeer${i}`)
    expect(seen.distinct).toBeGreaterThan(198_000)
    expect(seen.distinct).toBeLessThanOrEqual(200_000)
  })

  it('PeerHistory stays at M peers however many pass', () => {
    const history = new PeerHistory({ maxPeers: 100, sessionsPerPeer: 3, startsPerPeer: 3 })
    for (let i = 0; i < 10_000; i++) history.sessionEnded(history.sessionStarted(`p${i}`, 'inbound', i).record, i)
    expect(history.size).toBe(100)
    expect(history.evictions).toBe(9900)
    expect(history.get('p9999')).toBeDefined()
    expect(history.get('p0')).toBeUndefined()
  })
})
