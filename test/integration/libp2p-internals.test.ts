/**
 * What src/service/libp2p-internals.ts assumes of libp2p beyond its public API, checked
 * against the installed libp2p with real peers on 127.0.0.1: a libp2p upgrade that breaks one
 * of these assumptions fails here. (Who closed a connection: test/integration/insight-peers.test.ts,
 * "tells local from remote closes although libp2p's close event does not".)
 */
import '../../src/runtime/node-shims.js'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { INSIGHT_METRICS, METRICS } from '../../src/index.js'
import { dhtRoutingTableSize, hasStoreIterator } from '../../src/service/libp2p-internals.js'
import { parseExposition, valueOf } from '../support/exposition.js'
import { createServiceNode, createTestPeer, startTestPeer } from '../support/peers.js'
import { waitFor } from '../support/wait.js'
import type { PeerTracker } from '../../src/index.js'
import type { Libp2p } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'

const stoppers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(stoppers.splice(0).map(async stop => { await stop() }))
})

type Node = Libp2p<{ peerTracker: PeerTracker, ping: Ping }>

/** The components libp2p hands its services (what the peerTracker service receives). */
function componentsOf (node: Libp2p): Record<string, unknown> & { connectionManager: Record<string, unknown> } {
  return (node as unknown as { components: Record<string, unknown> & { connectionManager: Record<string, unknown> } }).components
}

async function serviceNode (registry: Registry, dht: boolean): Promise<Node> {
  const node = await createServiceNode({ registry, rttSampleIntervalMs: 0 }, { dht })
  stoppers.push(async () => { await node.stop() })
  return node
}

async function peer (options: Parameters<typeof createTestPeer>[0] = {}): Promise<Libp2p> {
  return await startTestPeer(options, stoppers)
}

describe('libp2p internals the peerTracker service relies on', () => {
  it('dials: every dial goes through the connection manager\'s openConnection, which the service wraps and restores', async () => {
    const registry = new Registry()
    const node = await serviceNode(registry, false)
    const manager = componentsOf(node).connectionManager
    expect(typeof manager.openConnection).toBe('function')
    expect(Object.prototype.hasOwnProperty.call(manager, 'openConnection')).toBe(false) // a prototype method
    await node.start()
    expect(Object.prototype.hasOwnProperty.call(manager, 'openConnection')).toBe(true) // wrapped on the instance
    const [a, b] = [await peer(), await peer()]
    await node.dial(a.getMultiaddrs()) // libp2p.dial
    await node.services.ping.ping(b.getMultiaddrs()) // a service dialling through its components
    const m = parseExposition(await registry.metrics())
    expect(valueOf(m, INSIGHT_METRICS.dials.name, { outcome: 'success' })).toBe(2) // the node's dial and the ping service's
    await node.stop()
    expect(Object.prototype.hasOwnProperty.call(manager, 'openConnection')).toBe(false) // restored
  })

  it('peer store: its PersistentStore still has the record iterator the sweeper reads one record at a time', async () => {
    const node = await serviceNode(new Registry(), false)
    expect(hasStoreIterator(node.peerStore)).toBe(true)
    expect(componentsOf(node).peerStore).toBe(node.peerStore)
  })

  it('DHT: the service finds the Kad-DHT among the components by its name and reads its routing table size', async () => {
    const registry = new Registry()
    const node = await serviceNode(registry, true)
    expect(dhtRoutingTableSize(componentsOf(node), 'no-such-service')).toBe(0) // libp2p's components throw for an unknown name
    await node.start()
    const server = await peer({ dht: true })
    await node.dial(server.getMultiaddrs())
    const table = (node as unknown as Libp2p<{ dht: { routingTable: { size: number } } }>).services.dht.routingTable
    await waitFor('the DHT server in the routing table', () => table.size === 1)
    expect(dhtRoutingTableSize(componentsOf(node), 'dht')).toBe(1)
    expect(valueOf(parseExposition(await registry.metrics()), METRICS.dhtRoutingTablePeers.name)).toBe(1)
  })
})
