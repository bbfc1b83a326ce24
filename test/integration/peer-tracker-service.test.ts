/**
 * The peerTracker service in a plain js-libp2p node, with real peers on 127.0.0.1: its
 * families in the user's prom-client registry (both formats, in any order, without
 * prom-client's in-place counter renaming ever showing), equal to the service's own
 * exposition of the same state, registered once per registry and removed at stop; and its
 * off switches (observeDials, rttSampleIntervalMs, peerStoreSweepIntervalMs, dhtService).
 */
import '../../src/runtime/node-shims.js'
import { Counter, Registry, register as globalRegistry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { ALL_METRICS, INSIGHT_METRICS, METRICS, METRIC_NAMES } from '../../src/index.js'
import { parseExposition, samplesOf, valueOf } from '../support/exposition.js'
import { createServiceNode, createTestPeer } from '../support/peers.js'
import { waitFor } from '../support/wait.js'
import { lintFindings, parseOpenMetrics } from '../support/promtool.js'
import type { PeerTracker, PeerTrackerInit } from '../../src/index.js'
import type { Libp2p } from '@libp2p/interface'
import type { RegistryContentType } from 'prom-client'

const stoppers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(stoppers.splice(0).map(async stop => { await stop() }))
})

type ServiceNode = Libp2p<{ peerTracker: PeerTracker }>

/** A user's node: TCP, Noise, yamux, identify, ping and the peerTracker service. */
async function serviceNode (init: PeerTrackerInit): Promise<ServiceNode> {
  const node = await createServiceNode(init)
  stoppers.push(async () => { await node.stop() })
  return node
}

async function dialingPeer (node: Libp2p): Promise<Libp2p> {
  const peer = await createTestPeer({ listen: false })
  await peer.start()
  stoppers.push(async () => { await peer.stop() })
  await peer.dial(node.getMultiaddrs())
  return peer
}

/** A clock only the test moves: every render of one state gives the same numbers. */
function manualClock (): { now: () => number, advance: (ms: number) => void } {
  let t = 1_000_000
  return { now: () => t, advance: (ms) => { t += ms } }
}

const COUNTERS = ALL_METRICS.filter(m => m.type === 'counter').map(m => m.name)

describe('the peerTracker service in the user\'s prom-client registry', () => {
  it('renders exact counts in text, OpenMetrics, then text again, with _total names every time', { timeout: 60_000 }, async () => {
    const registry = new Registry<RegistryContentType>()
    // A prom-client counter of the user's own in the same registry, to show what prom-client does to it.
    const own = new Counter({ name: 'app_requests_total', help: 'The app\'s own counter.', registers: [registry] })
    own.inc()
    // No sweeps and no RTT pings: nothing but the peers changes the state between the renders.
    const node = await serviceNode({ registry, clock: manualClock(), peerStoreSweepIntervalMs: 0, rttSampleIntervalMs: 0 })
    await node.start()
    const [a, b] = [await dialingPeer(node), await dialingPeer(node)]
    await waitFor('two peers', () => node.services.peerTracker.status().connectedPeers === 2)
    await a.stop()
    await waitFor('one peer left, identified', () => node.services.peerTracker.status().peerDisconnects === 1 && node.services.peerTracker.peers()[0]?.agentVersion != null)

    const text1 = await registry.metrics()
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE)
    const om = await registry.metrics()
    registry.setContentType(Registry.PROMETHEUS_CONTENT_TYPE)
    const text2 = await registry.metrics()

    for (const text of [text1, text2]) {
      const m = parseExposition(text)
      expect(valueOf(m, METRICS.connectedPeers.name)).toBe(1)
      expect(valueOf(m, METRICS.peerConnects.name, { direction: 'inbound' })).toBe(2)
      expect(valueOf(m, METRICS.peerDisconnects.name, { direction: 'inbound' })).toBe(1)
      expect(valueOf(m, `${METRICS.peerSessionDuration.name}_count`, { direction: 'inbound' })).toBe(1)
      expect(samplesOf(m, METRICS.peerConnectionDuration.name).map(s => s.labels.peer_id)).toEqual([b.peerId.toString()])
      for (const name of COUNTERS) expect(text, name).toContain(`# TYPE ${name} counter\n`)
    }
    // The pitfall is prom-client's (its own counter lost _total after the OpenMetrics render); never the tracker's.
    expect(text2).toContain('# TYPE app_requests counter')
    const tracked = (text: string): string => text.split('\n').filter(line => !line.includes('app_requests')).join('\n')
    expect(tracked(text1)).toContain(METRICS.peerConnects.name)
    expect(tracked(text2)).toBe(tracked(text1))

    // OpenMetrics: counter families without _total, their samples with it; Prometheus' own parser reads it.
    for (const name of COUNTERS) expect(om, name).toContain(`# TYPE ${name.replace(/_total$/, '')} counter\n`)
    const parsed = await parseOpenMetrics(om)
    expect(valueOf(parsed, `${METRICS.peerConnects.name}`, { direction: 'inbound' })).toBe(2)
    expect(valueOf(parsed, METRICS.connectedPeers.name)).toBe(1)
  })

  it('equals the service\'s own exposition of the same state; one render is one instant; JSON has the types', { timeout: 60_000 }, async () => {
    const registry = new Registry()
    const clock = manualClock()
    // No sweeps and no RTT pings: nothing but the test changes the state between two renders.
    const node = await serviceNode({ registry, clock, maxPeerSeries: 1, peerStoreSweepIntervalMs: 0, rttSampleIntervalMs: 0 })
    await node.start()
    await dialingPeer(node)
    await waitFor('the first peer', () => node.services.peerTracker.status().connectedPeers === 1)
    clock.advance(1500)
    await dialingPeer(node)
    await waitFor('two peers identified', () => node.services.peerTracker.peers().every(p => p.agentVersion !== null) && node.services.peerTracker.status().connectedPeers === 2)
    clock.advance(2500)

    const fromRegistry = parseExposition(await registry.metrics())
    const fromService = parseExposition(node.services.peerTracker.exposition('text'))
    expect(fromRegistry.samples).toEqual(fromService.samples)
    expect(fromRegistry.types).toEqual(fromService.types)
    // The per-peer cap and the insight families are there.
    expect(samplesOf(fromRegistry, METRICS.peerConnectionDuration.name)).toEqual([{ name: METRICS.peerConnectionDuration.name, labels: expect.any(Object) as object, value: 4 }])
    expect(valueOf(fromRegistry, METRICS.peerSeriesDropped.name)).toBe(1)
    expect(valueOf(fromRegistry, INSIGHT_METRICS.peersByProtocol.name, { protocol: 'ping' })).toBe(2)
    expect([...fromRegistry.types.keys()].filter(n => n.startsWith('libp2p_tracker_'))).toEqual([...METRIC_NAMES])

    const json = await registry.getMetricsAsJSON()
    const typeOf = new Map(json.map(f => [f.name, String(f.type)]))
    for (const m of ALL_METRICS) expect(typeOf.get(m.name), m.name).toBe(m.type)
    const connects = json.find(f => f.name === METRICS.peerConnects.name)
    expect(connects?.values).toEqual([{ value: 2, labels: { direction: 'inbound' } }, { value: 0, labels: { direction: 'outbound' } }])
    const histogram = json.find(f => f.name === METRICS.peerSessionDuration.name)
    expect(histogram?.values.find(v => (v as { metricName?: string }).metricName === `${METRICS.peerSessionDuration.name}_count`)).toEqual({ value: 0, labels: { direction: 'inbound' }, metricName: `${METRICS.peerSessionDuration.name}_count` })

    // Renders while peers come and go: in every one, connects - disconnects = connected.
    const churn = await Promise.all([0, 1, 2].map(async () => await dialingPeer(node)))
    let renders = 0
    while (renders < 20) {
      const m = parseExposition(await registry.metrics())
      const connects = (valueOf(m, METRICS.peerConnects.name, { direction: 'inbound' }) ?? 0) + (valueOf(m, METRICS.peerConnects.name, { direction: 'outbound' }) ?? 0)
      const disconnects = (valueOf(m, METRICS.peerDisconnects.name, { direction: 'inbound' }) ?? 0) + (valueOf(m, METRICS.peerDisconnects.name, { direction: 'outbound' }) ?? 0)
      expect(connects - disconnects).toBe(valueOf(m, METRICS.connectedPeers.name))
      if (renders++ === 5) await Promise.all(churn.map(async p => { await p.stop() }))
    }
  })

  it('passes promtool check metrics with nothing in libp2p_tracker_*', { timeout: 60_000 }, async () => {
    const registry = new Registry()
    const node = await serviceNode({ registry })
    await node.start()
    await dialingPeer(node)
    await waitFor('a peer', () => node.services.peerTracker.status().connectedPeers === 1)
    expect(await lintFindings(await registry.metrics())).toEqual([])
  })

  it('registers once per registry: a second tracker in the same one fails clearly, two registries do not collide', { timeout: 60_000 }, async () => {
    const shared = new Registry()
    const first = await serviceNode({ registry: shared })
    await first.start()
    const second = await serviceNode({ registry: shared })
    await expect(second.start()).rejects.toThrow(/peerTracker: this prom-client registry already has a metric named libp2p_tracker_connected_peers/)
    await expect(second.start()).rejects.toMatchObject({ name: 'RegistryClashError', metric: METRICS.connectedPeers.name })
    // the first tracker's families are untouched
    expect(valueOf(parseExposition(await shared.metrics()), METRICS.connectedPeers.name)).toBe(0)

    const [r1, r2] = [new Registry(), new Registry()]
    const one = await serviceNode({ registry: r1 })
    const two = await serviceNode({ registry: r2 })
    await Promise.all([one.start(), two.start()])
    await dialingPeer(one)
    await waitFor('a peer on one', () => one.services.peerTracker.status().connectedPeers === 1)
    expect(valueOf(parseExposition(await r1.metrics()), METRICS.connectedPeers.name)).toBe(1)
    expect(valueOf(parseExposition(await r2.metrics()), METRICS.connectedPeers.name)).toBe(0)
  })

  it('uses prom-client\'s default registry when given none, unregisters at stop, and registers again on restart', { timeout: 60_000 }, async () => {
    const node = await serviceNode({})
    expect(globalRegistry.getSingleMetric(METRICS.connectedPeers.name)).toBeUndefined()
    // The event target libp2p hands its services (the node re-dispatches its events to users).
    const events = (node as unknown as { components: { events: { listenerCount: (type: string) => number } } }).components.events
    const EVENTS = ['connection:open', 'connection:close', 'connection:prune', 'peer:identify']
    const listeners = (): number[] => EVENTS.map(type => events.listenerCount(type))
    const before = listeners()
    await node.start()
    expect(listeners().every((n, i) => n > (before[i] as number))).toBe(true)
    expect(await globalRegistry.metrics()).toContain(`${METRICS.connectedPeers.name} 0\n`)
    await node.stop()
    expect(METRIC_NAMES.filter(name => globalRegistry.getSingleMetric(name) !== undefined)).toEqual([])
    expect(listeners()).toEqual(before)
    await node.start()
    await dialingPeer(node)
    await waitFor('a peer after the restart', () => node.services.peerTracker.status().connectedPeers === 1)
    expect(valueOf(parseExposition(await globalRegistry.metrics()), METRICS.connectedPeers.name)).toBe(1)
    await node.stop()
    expect(METRIC_NAMES.filter(name => globalRegistry.getSingleMetric(name) !== undefined)).toEqual([])
  })

  it('registers nothing with registry: false, and still answers its read API', { timeout: 60_000 }, async () => {
    const node = await serviceNode({ registry: false })
    await node.start()
    const peer = await dialingPeer(node)
    await waitFor('a peer', () => node.services.peerTracker.status().connectedPeers === 1)
    expect(METRIC_NAMES.filter(name => globalRegistry.getSingleMetric(name) !== undefined)).toEqual([])
    expect(node.services.peerTracker.status()).toMatchObject({ peerId: node.peerId.toString(), connectedPeers: 1, openConnections: 1, peerConnects: 1, peerDisconnects: 0 })
    expect(node.services.peerTracker.peers().map(p => p.peerId)).toEqual([peer.peerId.toString()])
    expect(node.services.peerTracker.peer(peer.peerId.toString())).toMatchObject({ peerId: peer.peerId.toString(), connected: true })
    expect(node.services.peerTracker.exposition('openmetrics')).toMatch(/# TYPE libp2p_tracker_peer_connects counter\n[^]*# EOF\n$/)
  })
})

/**
 * docs/library.md's off switches, each beside a node with the switch on (the positive control:
 * the same peers, so "nothing happened" is not just "too early").
 */
describe('the library\'s off switches', () => {
  async function pair (on: PeerTrackerInit, off: PeerTrackerInit, options: { dht?: boolean, connectionMonitor?: boolean } = {}): Promise<Array<{ node: ServiceNode, registry: Registry<RegistryContentType>, scrape: () => Promise<ReturnType<typeof parseExposition>> }>> {
    return await Promise.all([on, off].map(async init => {
      const registry = new Registry<RegistryContentType>()
      const node = await createServiceNode({ registry, ...init }, options)
      stoppers.push(async () => { await node.stop() })
      await node.start()
      return { node, registry, scrape: async () => parseExposition(await registry.metrics()) }
    }))
  }
  const quiet: PeerTrackerInit = { rttSampleIntervalMs: 0, peerStoreSweepIntervalMs: 0, observeDials: false }

  it('observeDials: false counts no dial', { timeout: 60_000 }, async () => {
    const [on, off] = await pair({ ...quiet, observeDials: true }, quiet) as [Awaited<ReturnType<typeof pair>>[0], Awaited<ReturnType<typeof pair>>[0]]
    const target = await createTestPeer()
    stoppers.push(async () => { await target.stop() })
    for (const { node } of [on, off]) await node.dial(target.getMultiaddrs())
    expect(valueOf(await on.scrape(), INSIGHT_METRICS.dials.name, { outcome: 'success' })).toBe(1)
    const offDials = samplesOf(await off.scrape(), INSIGHT_METRICS.dials.name)
    expect(offDials.length).toBeGreaterThan(0) // exported, as 0
    expect(offDials.filter(d => d.value !== 0)).toEqual([])
  })

  it('rttSampleIntervalMs: 0 samples no RTT and sends no ping', { timeout: 60_000 }, async () => {
    // without libp2p's connection monitor, whose pings (every 10 s) would count here too
    const [on, off] = await pair({ ...quiet, rttSampleIntervalMs: 100 }, quiet, { connectionMonitor: false }) as [Awaited<ReturnType<typeof pair>>[0], Awaited<ReturnType<typeof pair>>[0]]
    // a peer that counts the pings it answers (no ping service of its own)
    const target = await createTestPeer({ noStandardServices: true })
    stoppers.push(async () => { await target.stop() })
    const pingsFrom = new Map<string, number>()
    await target.handle('/ipfs/ping/1.0.0', (stream, connection) => {
      pingsFrom.set(connection.remotePeer.toString(), (pingsFrom.get(connection.remotePeer.toString()) ?? 0) + 1)
      stream.abort(new Error('counted'))
    })
    for (const { node } of [on, off]) await node.dial(target.getMultiaddrs())
    const rttCount = async (t: typeof on): Promise<number> => valueOf(await t.scrape(), `${INSIGHT_METRICS.peerRtt.name}_count`) ?? 0
    await waitFor('the sampling node to ping the peer', () => (pingsFrom.get(on.node.peerId.toString()) ?? 0) >= 2)
    expect(pingsFrom.get(off.node.peerId.toString())).toBeUndefined()
    expect(await rttCount(off)).toBe(0)
  })

  it('peerStoreSweepIntervalMs: 0 never sweeps the peer store', { timeout: 60_000 }, async () => {
    const [on, off] = await pair({ ...quiet, peerStoreSweepIntervalMs: 100 }, quiet) as [Awaited<ReturnType<typeof pair>>[0], Awaited<ReturnType<typeof pair>>[0]]
    const last = async (t: typeof on): Promise<number | undefined> => valueOf(await t.scrape(), METRICS.peerStoreLastSweep.name)
    await waitFor('the sweeping node to sweep', async () => ((await last(on)) ?? 0) > 0)
    const swept = await last(on) as number
    await waitFor('a second sweep', async () => ((await last(on)) ?? 0) > swept)
    expect(await last(off)).toBe(0)
  })

  it('dhtService: false exports no routing table size, although the node has one', { timeout: 60_000 }, async () => {
    const [on, off] = await pair(quiet, { ...quiet, dhtService: false }, { dht: true }) as [Awaited<ReturnType<typeof pair>>[0], Awaited<ReturnType<typeof pair>>[0]]
    const server = await createTestPeer({ dht: true })
    stoppers.push(async () => { await server.stop() })
    const tableOf = (t: typeof on): { size: number } => (t.node as unknown as Libp2p<{ dht: { routingTable: { size: number } } }>).services.dht.routingTable
    for (const { node } of [on, off]) await node.dial(server.getMultiaddrs())
    await waitFor('the DHT server in both routing tables', () => tableOf(on).size === 1 && tableOf(off).size === 1)
    expect(valueOf(await on.scrape(), METRICS.dhtRoutingTablePeers.name)).toBe(1)
    expect(valueOf(await off.scrape(), METRICS.dhtRoutingTablePeers.name)).toBe(0)
  })
})
