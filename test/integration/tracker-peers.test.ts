/**
 * The tracker against real libp2p peers on 127.0.0.1: bootstrap peers it dials (one speaking
 * only yamux, one only mplex), a peer dialling in, a peer with two connections, peers leaving.
 * Every number is read from /metrics over HTTP and must be exact.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { METRICS } from '../../src/metrics/definitions.js'
import { sumOf, valueOf } from '../support/exposition.js'
import { createTestPeer, startTestPeer } from '../support/peers.js'
import { waitFor } from '../support/wait.js'
import { scrapeUntil, startTestTracker } from '../support/tracker.js'
import type { Exposition } from '../support/exposition.js'
import type { TestTracker } from '../support/tracker.js'
import type { Libp2p } from '@libp2p/interface'

const stoppers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(stoppers.splice(0).map(async stop => { await stop() }))
})

async function peer (options: Parameters<typeof createTestPeer>[0] = {}): Promise<Libp2p> {
  return await startTestPeer(options, stoppers)
}

async function tracker (raw: Parameters<typeof startTestTracker>[0] = {}): Promise<TestTracker> {
  return await startTestTracker(raw, stoppers)
}

function connectionLabels (direction: string, muxer: string): Record<string, string> {
  return { direction, transport: 'tcp', encryption: 'noise', muxer }
}

function invariant (m: Exposition): number {
  return sumOf(m, METRICS.peerConnects.name) - sumOf(m, METRICS.peerDisconnects.name) - (valueOf(m, METRICS.connectedPeers.name) ?? NaN)
}

describe('tracker with real peers', () => {
  it('counts bootstrap peers (yamux-only and mplex-only) and an inbound peer exactly', async () => {
    const yamuxPeer = await peer({ muxers: ['yamux'] })
    const mplexPeer = await peer({ muxers: ['mplex'] })
    const t = await tracker({ 'p2p.bootstrap': [yamuxPeer.getMultiaddrs()[0]?.toString() ?? '', mplexPeer.getMultiaddrs()[0]?.toString() ?? ''] })
    const inbound = await peer({ muxers: ['yamux'], listen: false })
    await inbound.dial(t.node.getMultiaddrs())

    const m = await scrapeUntil(t, 'three connected peers', m => valueOf(m, METRICS.connectedPeers.name) === 3)
    expect(valueOf(m, METRICS.peerConnects.name, { direction: 'outbound' })).toBe(2)
    expect(valueOf(m, METRICS.peerConnects.name, { direction: 'inbound' })).toBe(1)
    expect(valueOf(m, METRICS.openConnections.name, connectionLabels('outbound', 'yamux'))).toBe(1)
    expect(valueOf(m, METRICS.openConnections.name, connectionLabels('outbound', 'mplex'))).toBe(1)
    expect(valueOf(m, METRICS.openConnections.name, connectionLabels('inbound', 'yamux'))).toBe(1)
    expect(valueOf(m, METRICS.openConnections.name, connectionLabels('inbound', 'mplex'))).toBe(0)
    expect(valueOf(m, METRICS.peerSeriesDropped.name)).toBe(0)
    for (const p of [yamuxPeer, mplexPeer, inbound]) {
      expect(valueOf(m, METRICS.peerConnectionDuration.name, { peer_id: p.peerId.toString() })).toBeGreaterThanOrEqual(0)
    }
    expect(invariant(m)).toBe(0)

    // The peer API knows each peer's direction, muxer and (after identify) agent.
    await waitFor('identify of all three peers', async () => {
      const peers = await (await fetch(`${t.url}/api/v1/peers`)).json() as Array<{ agentVersion: string | null }>
      return peers.length === 3 && peers.every(p => p.agentVersion !== null)
    })
    const peers = await (await fetch(`${t.url}/api/v1/peers`)).json() as Array<Record<string, unknown>>
    const mplexView = peers.find(p => p.peerId === mplexPeer.peerId.toString())
    expect(mplexView).toMatchObject({ direction: 'outbound', connections: [{ muxer: 'mplex', encryption: 'noise', transport: 'tcp', direction: 'outbound' }] })
    expect(mplexView?.agentVersion).toMatch(/^js-libp2p\//)
    expect(mplexView?.protocols).toContain('/ipfs/id/1.0.0')
    expect(peers.find(p => p.peerId === inbound.peerId.toString())).toMatchObject({ direction: 'inbound' })
  })

  it('counts a peer with two connections once, until its last connection closes', async () => {
    const t = await tracker()
    const p = await peer({ listen: false })
    const first = await p.dial(t.node.getMultiaddrs())
    const second = await p.dial(t.node.getMultiaddrs(), { force: true })
    expect(second.id).not.toBe(first.id)

    let m = await scrapeUntil(t, 'two open connections', m => sumOf(m, METRICS.openConnections.name) === 2)
    expect(valueOf(m, METRICS.connectedPeers.name)).toBe(1)
    expect(valueOf(m, METRICS.peerConnects.name, { direction: 'inbound' })).toBe(1)
    expect(valueOf(m, METRICS.openConnections.name, connectionLabels('inbound', 'yamux'))).toBe(2)

    await first.close()
    m = await scrapeUntil(t, 'one open connection', m => sumOf(m, METRICS.openConnections.name) === 1)
    expect(valueOf(m, METRICS.connectedPeers.name)).toBe(1)
    expect(sumOf(m, METRICS.peerDisconnects.name)).toBe(0)
    expect(sumOf(m, METRICS.connectionsClosed.name)).toBe(1)

    await second.close()
    m = await scrapeUntil(t, 'the peer to leave', m => valueOf(m, METRICS.connectedPeers.name) === 0)
    expect(valueOf(m, METRICS.peerDisconnects.name, { direction: 'inbound' })).toBe(1)
    expect(valueOf(m, `${METRICS.peerSessionDuration.name}_count`, { direction: 'inbound' })).toBe(1)
    expect(valueOf(m, METRICS.peerConnectionDuration.name, { peer_id: p.peerId.toString() })).toBeUndefined()
    expect(invariant(m)).toBe(0)

    const events = t.logs().filter(l => l.peerId === p.peerId.toString()).map(l => l.msg)
    expect(events).toEqual(['peer connected', 'peer disconnected'])
  })

  it('redials a bootstrap peer that hangs up, as a new outbound session', async () => {
    const b = await peer()
    const t = await tracker({ 'p2p.bootstrap': [b.getMultiaddrs()[0]?.toString() ?? ''] })
    await scrapeUntil(t, 'the bootstrap peer', m => valueOf(m, METRICS.connectedPeers.name) === 1)

    await b.hangUp(t.node.peerId)
    const m = await scrapeUntil(t, 'the redial', m => valueOf(m, METRICS.peerConnects.name, { direction: 'outbound' }) === 2 && valueOf(m, METRICS.connectedPeers.name) === 1)
    expect(valueOf(m, METRICS.peerDisconnects.name, { direction: 'outbound' })).toBe(1)
    expect(invariant(m)).toBe(0)
  })

  it('counts every peer of a group arriving and leaving, and the invariant holds at every scrape', async () => {
    const t = await tracker()
    const group = await Promise.all(Array.from({ length: 8 }, async (_, i) => await peer({ listen: false, muxers: i % 2 === 0 ? ['yamux'] : ['mplex'] })))
    await Promise.all(group.map(async p => await p.dial(t.node.getMultiaddrs())))
    let m = await scrapeUntil(t, 'eight peers', m => valueOf(m, METRICS.connectedPeers.name) === 8)
    expect(valueOf(m, METRICS.openConnections.name, connectionLabels('inbound', 'yamux'))).toBe(4)
    expect(valueOf(m, METRICS.openConnections.name, connectionLabels('inbound', 'mplex'))).toBe(4)

    const leaving = group.slice(0, 5)
    const stops = leaving.map(async p => await p.stop())
    // Scrape while they leave: the invariant must hold at every scrape, not just at the end.
    for (let i = 0; i < 20; i++) expect(invariant(await t.scrape())).toBe(0)
    await Promise.all(stops)
    m = await scrapeUntil(t, 'three peers left', m => valueOf(m, METRICS.connectedPeers.name) === 3)
    expect(sumOf(m, METRICS.peerConnects.name)).toBe(8)
    expect(sumOf(m, METRICS.peerDisconnects.name)).toBe(5)
    expect(valueOf(m, `${METRICS.peerSessionDuration.name}_count`, { direction: 'inbound' })).toBe(5)
    const exported = m.samples.filter(s => s.name === METRICS.peerConnectionDuration.name).map(s => s.labels.peer_id).sort()
    expect(exported).toEqual(group.slice(5).map(p => p.peerId.toString()).sort())
  })
})

describe('tracker DHT', () => {
  it('exports the size of its Kad-DHT routing table, filled by DHT server peers it connects to', async () => {
    const servers = await Promise.all([peer({ dht: true }), peer({ dht: true })])
    const plain = await peer()
    const t = await tracker({
      'p2p.dht': 'client',
      'p2p.dht-address-filter': 'all',
      'p2p.bootstrap': [...servers, plain].map(p => p.getMultiaddrs()[0]?.toString() ?? '')
    })
    const m = await scrapeUntil(t, 'two DHT peers in the routing table', m => valueOf(m, METRICS.dhtRoutingTablePeers.name) === 2)
    // The peer without a DHT is connected but not in the routing table.
    expect(valueOf(m, METRICS.connectedPeers.name)).toBe(3)
  })

  it('exports 0 with the DHT off', async () => {
    const server = await peer({ dht: true })
    const t = await tracker({ 'p2p.dht': 'off', 'p2p.bootstrap': [server.getMultiaddrs()[0]?.toString() ?? ''] })
    const m = await scrapeUntil(t, 'the peer', m => valueOf(m, METRICS.connectedPeers.name) === 1)
    expect(valueOf(m, METRICS.dhtRoutingTablePeers.name)).toBe(0)
  })
})
