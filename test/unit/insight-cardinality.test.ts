/**
 * However hostile the peers: 100k distinct peer IDs, each announcing its own agent string
 * (random families, versions, garbage) and protocol list, straight into the pure tracker.
 * The exposition's insight series stay within a fixed bound, with no peer ID or raw string in it.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AGENT_FAMILIES } from '../../src/insight/agent-family.js'
import { IP_VERSIONS } from '../../src/insight/address-family.js'
import { CLOSE_REASONS } from '../../src/insight/close-reasons.js'
import { DIAL_ERROR_REASONS, DIAL_OUTCOMES } from '../../src/insight/dial-errors.js'
import { STABLE_AGES } from '../../src/metrics/insight-collector.js'
import { PeerInsight, RTT_BUCKETS_SECONDS } from '../../src/insight/peer-insight.js'
import { PROTOCOL_CLASSES } from '../../src/insight/protocols.js'
import { INSIGHT_METRICS } from '../../src/metrics/definitions.js'
import { ExpositionWriter } from '../../src/metrics/exposition.js'
import { TrackerCollector } from '../../src/metrics/tracker-collector.js'
import { PeerAccount } from '../../src/tracker/peer-account.js'
import { parseExposition, samplesOf, valueOf } from '../support/exposition.js'

const TOP_VERSIONS = 5
const N = 100_000

/** The most insight series there can ever be, from the fixed tables alone. */
const FAMILIES_WITH_VERSIONS = AGENT_FAMILIES.length - 2 // not unknown and other
const BOUND = {
  [INSIGHT_METRICS.peersByAgent.name]: FAMILIES_WITH_VERSIONS * (TOP_VERSIONS + 1) + 2,
  [INSIGHT_METRICS.peersByProtocol.name]: PROTOCOL_CLASSES.length,
  [INSIGHT_METRICS.peersByIpVersion.name]: IP_VERSIONS.length,
  [INSIGHT_METRICS.dials.name]: DIAL_OUTCOMES.length,
  [INSIGHT_METRICS.dialErrors.name]: DIAL_ERROR_REASONS.length,
  [INSIGHT_METRICS.connectionCloseReasons.name]: CLOSE_REASONS.length,
  [INSIGHT_METRICS.stablePeers.name]: STABLE_AGES.length
}

describe('insight cardinality', () => {
  // 12 s alone on a loaded 2-core machine, 40 s beside two other test files: far from the 30 s default.
  it(`stays bounded with ${N} distinct peers and agent strings`, { timeout: 180_000 }, () => {
    let now = 1_700_000_000_000
    const insight = new PeerInsight({ topVersions: TOP_VERSIONS, historyPeers: 1000 })
    const tracker = new PeerAccount({ now: () => now }, [], insight)
    const collector = new TrackerCollector(tracker, {
      maxPeerSeries: 0,
      buildInfo: { version: '1', revision: 'r', libp2pVersion: '3', nodejsVersion: 'v20' },
      startTimeSeconds: 1,
      dhtRoutingTablePeers: () => 0,
      insight
    })
    const agents = fc.sample(fc.oneof(
      fc.tuple(fc.constantFrom(...AGENT_FAMILIES, 'go-ipfs', 'Lighthouse', 'Parity Polkadot'), fc.nat(99_999), fc.nat(99_999), fc.string())
        .map(([f, a, b, s]) => `${f}/v${a}.${b}.0-${s}`),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ maxLength: 2000 })
    ), { numRuns: N, seed: 42 })
    const peers: string[] = []
    for (let i = 0; i < N; i++) {
      const peerId = `12D3KooW${i.toString(36).padStart(44, '0')}`
      peers.push(peerId)
      tracker.connectionOpened({ id: `c${i}`, peerId, direction: i % 2 === 0 ? 'inbound' : 'outbound', remoteAddr: `/ip4/10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/tcp/4001`, transport: 'tcp', encryption: 'noise', muxer: 'yamux' })
      tracker.peerIdentified(peerId, agents[i], [`/evil/${i}`, '/ipfs/kad/1.0.0', `/meshsub/${i}`])
      insight.rttSampled(tracker.session(peerId)!, i % 500)
      if (i % 3 === 0) insight.dialFailed(new Error(`random failure ${i} ECONNREFUSED`))
      now += 10
    }
    const text = (() => { const w = new ExpositionWriter('text'); collector.collect(w); return w.finish() })()
    const m = parseExposition(text)

    for (const [name, bound] of Object.entries(BOUND)) expect(samplesOf(m, name).length, name).toBeLessThanOrEqual(bound)
    const rttSeries = samplesOf(m, `${INSIGHT_METRICS.peerRtt.name}_bucket`).length
    expect(rttSeries).toBe(AGENT_FAMILIES.length * (RTT_BUCKETS_SECONDS.length + 1))
    const insightSeries = m.samples.filter(s => Object.values(INSIGHT_METRICS).some(d => s.name.startsWith(d.name))).length
    expect(insightSeries).toBeLessThan(700)
    // every peer is counted, in a bounded set of series
    const agentSum = samplesOf(m, INSIGHT_METRICS.peersByAgent.name).reduce((s, x) => s + x.value, 0)
    expect(tracker.connectedPeers).toBe(N)
    expect(agentSum).toBe(N)
    expect(valueOf(m, INSIGHT_METRICS.peersByProtocol.name, { protocol: 'kad' })).toBe(N)
    expect(valueOf(m, INSIGHT_METRICS.peersByProtocol.name, { protocol: 'other' })).toBe(N)
    // connected peers are never evicted from the history: all N are remembered while connected
    expect(valueOf(m, INSIGHT_METRICS.rememberedPeers.name)).toBe(N)
    // no peer ID, IP or raw agent string leaks into the exposition
    for (const s of m.samples) {
      for (const value of Object.values(s.labels)) {
        expect(value).toMatch(/^[a-z0-9_.+-]*$|^\+Inf$/i)
        expect(value.length).toBeLessThan(32)
      }
    }
    expect(text.includes('12D3KooW')).toBe(false)
    expect(text.includes('10.0.')).toBe(false)
    // once they leave, the history is back to --tracker.history-peers, the most recently seen
    for (let i = 0; i < N; i++) tracker.connectionClosed(`c${i}`)
    expect(insight.history.size).toBe(1000)
    expect(insight.history.get(peers[N - 1] as string)).toBeDefined()
    expect(insight.history.get(peers[N - 1001] as string)).toBeUndefined()
    const after = parseExposition((() => { const w = new ExpositionWriter('text'); collector.collect(w); return w.finish() })())
    expect(valueOf(after, INSIGHT_METRICS.rememberedPeers.name)).toBe(1000)
    for (const [name, bound] of Object.entries(BOUND)) expect(samplesOf(after, name).length, name).toBeLessThanOrEqual(bound)
  })
})
