import { describe, expect, it } from 'vitest'
import { METRICS, METRIC_NAMES } from '../../src/metrics/definitions.js'
import { ExpositionWriter } from '../../src/metrics/exposition.js'
import { TrackerCollector } from '../../src/metrics/tracker-collector.js'
import { PeerAccount } from '../../src/tracker/peer-account.js'
import { ReliabilityCounters } from '../../src/tracker/reliability-counters.js'
import { parseExposition, samplesOf, sumOf, valueOf } from '../support/exposition.js'
import type { TrackerCollectorOptions } from '../../src/metrics/tracker-collector.js'

function setup (options: Partial<TrackerCollectorOptions> = {}): { tracker: PeerAccount, advance: (ms: number) => void, render: () => string } {
  let now = 1_700_000_000_000
  const tracker = new PeerAccount({ now: () => now }, [
    { direction: 'inbound', transport: 'tcp', encryption: 'noise', muxer: 'yamux' },
    { direction: 'outbound', transport: 'tcp', encryption: 'noise', muxer: 'yamux' }
  ])
  const collector = new TrackerCollector(tracker, {
    maxPeerSeries: 500,
    buildInfo: { version: '1.2.3', revision: 'abc', libp2pVersion: '3.3.11', nodejsVersion: 'v20.20.2' },
    startTimeSeconds: 1_700_000_000,
    dhtRoutingTablePeers: () => 7,
    ...options
  })
  return {
    tracker,
    advance: (ms) => { now += ms },
    render: () => { const w = new ExpositionWriter('text'); collector.collect(w); return w.finish() }
  }
}

let id = 0
function open (tracker: PeerAccount, peerId: string, direction: 'inbound' | 'outbound' = 'inbound'): string {
  const connectionId = `c${++id}`
  tracker.connectionOpened({ id: connectionId, peerId, direction, remoteAddr: '/ip4/127.0.0.1/tcp/1', transport: 'tcp', encryption: 'noise', muxer: 'yamux' })
  return connectionId
}

describe('TrackerCollector', () => {
  it('exports every family of the contract, known label sets at 0, before any peer', () => {
    const families = parseExposition(setup().render())
    expect([...families.types.keys()]).toEqual(METRIC_NAMES)
    expect(families.types.get(METRICS.peerSessionDuration.name)).toBe('histogram')
    expect(valueOf(families, METRICS.connectedPeers.name)).toBe(0)
    expect(valueOf(families, METRICS.peerConnects.name, { direction: 'inbound' })).toBe(0)
    expect(valueOf(families, METRICS.peerConnects.name, { direction: 'outbound' })).toBe(0)
    expect(valueOf(families, METRICS.connectionsOpened.name, { direction: 'outbound', transport: 'tcp', encryption: 'noise', muxer: 'yamux' })).toBe(0)
    expect(valueOf(families, METRICS.dhtRoutingTablePeers.name)).toBe(7)
    expect(valueOf(families, METRICS.buildInfo.name, { version: '1.2.3', revision: 'abc', libp2p_version: '3.3.11', nodejs_version: 'v20.20.2' })).toBe(1)
    expect(valueOf(families, METRICS.startTime.name)).toBe(1_700_000_000)
  })

  it('exports session ages at scrape time and counts peers, not connections', () => {
    const { tracker, advance, render } = setup()
    open(tracker, 'A')
    open(tracker, 'A', 'outbound') // second connection to A: still one peer
    advance(2500)
    open(tracker, 'B', 'outbound')
    advance(500)
    const families = parseExposition(render())
    expect(valueOf(families, METRICS.connectedPeers.name)).toBe(2)
    expect(valueOf(families, METRICS.peerConnects.name, { direction: 'inbound' })).toBe(1)
    expect(valueOf(families, METRICS.peerConnects.name, { direction: 'outbound' })).toBe(1)
    expect(valueOf(families, METRICS.peerConnectionDuration.name, { peer_id: 'A' })).toBe(3)
    expect(valueOf(families, METRICS.peerConnectionDuration.name, { peer_id: 'B' })).toBe(0.5)
    expect(sumOf(families, METRICS.openConnections.name)).toBe(3)
  })

  it('caps the per-peer series to the longest-connected peers and reports the rest as dropped', () => {
    const { tracker, advance, render } = setup({ maxPeerSeries: 2 })
    for (const peer of ['A', 'B', 'C', 'D']) { open(tracker, peer); advance(1000) }
    const families = parseExposition(render())
    const exported = samplesOf(families, METRICS.peerConnectionDuration.name).map(s => s.labels.peer_id)
    expect(exported).toEqual(['A', 'B'])
    expect(valueOf(families, METRICS.peerSeriesDropped.name)).toBe(2)
  })

  it('exports no per-peer series with a cap of 0', () => {
    const { tracker, render } = setup({ maxPeerSeries: 0 })
    open(tracker, 'A')
    const families = parseExposition(render())
    expect(samplesOf(families, METRICS.peerConnectionDuration.name)).toEqual([])
    expect(valueOf(families, METRICS.peerSeriesDropped.name)).toBe(1)
  })

  it('drops a departed peer\'s series at the next scrape and observes its session', () => {
    const { tracker, advance, render } = setup()
    const a = open(tracker, 'A', 'outbound')
    open(tracker, 'B')
    advance(42_000)
    tracker.connectionClosed(a)
    const families = parseExposition(render())
    expect(valueOf(families, METRICS.peerConnectionDuration.name, { peer_id: 'A' })).toBeUndefined()
    expect(valueOf(families, METRICS.peerConnectionDuration.name, { peer_id: 'B' })).toBe(42)
    const name = METRICS.peerSessionDuration.name
    expect(valueOf(families, `${name}_count`, { direction: 'outbound' })).toBe(1)
    expect(valueOf(families, `${name}_sum`, { direction: 'outbound' })).toBe(42)
    expect(valueOf(families, `${name}_bucket`, { direction: 'outbound', le: '30' })).toBe(0)
    expect(valueOf(families, `${name}_bucket`, { direction: 'outbound', le: '60' })).toBe(1)
    expect(valueOf(families, `${name}_bucket`, { direction: 'outbound', le: '+Inf' })).toBe(1)
    expect(valueOf(families, `${name}_count`, { direction: 'inbound' })).toBe(0)
    expect(valueOf(families, METRICS.peerDisconnects.name, { direction: 'outbound' })).toBe(1)
  })

  it('exports the last peer store sweep: 0 before the first, then its records and end time; peer_store_sweep errors from 0', () => {
    let last: { records: number, endedAt: number } | undefined = undefined // set below, read by the collector at each render
    const { render } = setup({ lastPeerStoreSweep: () => last, reliability: new ReliabilityCounters() })
    let families = parseExposition(render())
    expect(valueOf(families, METRICS.peerStorePeers.name)).toBe(0)
    expect(valueOf(families, METRICS.peerStoreLastSweep.name)).toBe(0)
    expect(valueOf(families, METRICS.internalErrors.name, { component: 'peer_store_sweep' })).toBe(0)
    last = { records: 1234, endedAt: 1_700_000_123_456 }
    families = parseExposition(render())
    expect(valueOf(families, METRICS.peerStorePeers.name)).toBe(1234)
    expect(valueOf(families, METRICS.peerStoreLastSweep.name)).toBe(1_700_000_123.456)
  })
})
