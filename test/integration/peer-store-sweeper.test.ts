/**
 * The peer store sweeper against libp2p's real peer store, in a node built by
 * createTrackerNode with a max age far below the flag's minimum (the config is built, then its
 * age replaced): records older than the age are deleted from the datastore, fresh ones and
 * connected peers' records (with their tags) stay, the read interleaves with other work, and
 * the app exports the sweep's result.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { buildConfig } from '../../src/config/parse.js'
import { METRICS } from '../../src/metrics/definitions.js'
import { createTrackerNode, peerStoreAges } from '../../src/p2p/node.js'
import { peerStoreRecords as storeRecords } from '../../src/service/libp2p-internals.js'
import { pingConnection } from '../../src/service/ping-connection.js'
import { PeerStoreSweeper, sweepIntervalMs } from '../../src/service/peer-store-sweeper.js'
import { valueOf } from '../support/exposition.js'
import { createTestPeer } from '../support/peers.js'
import { waitFor } from '../support/wait.js'
import { startTestTracker } from '../support/tracker.js'
import type { TrackerNode } from '../../src/p2p/node.js'
import type { Libp2p, PeerId } from '@libp2p/interface'

const stoppers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(stoppers.splice(0).map(async stop => { await stop() }))
})

async function trackerNode (maxAgeMs: number): Promise<TrackerNode> {
  const config = buildConfig({ 'p2p.listen': ['/ip4/127.0.0.1/tcp/0'], 'p2p.bootstrap': [], 'p2p.dht': 'off', 'p2p.inbound-connection-threshold': '1000' })
  const node = await createTrackerNode({ ...config.p2p, peerStoreMaxAgeMs: maxAgeMs }, await generateKeyPair('Ed25519'))
  await node.start()
  stoppers.push(async () => { await node.stop() })
  return node
}

async function listeningPeer (): Promise<Libp2p> {
  const peer = await createTestPeer()
  await peer.start()
  stoppers.push(async () => { await peer.stop() })
  return peer
}

const AGENT = new TextEncoder().encode('kubo/0.32.1/')

/** Writes `n` records as identify would (protocols, an address, agent), for new peer IDs. */
async function mergeFakePeers (node: TrackerNode, n: number, from = 0): Promise<PeerId[]> {
  const ids: PeerId[] = []
  for (let i = from; i < from + n; i++) {
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    await node.peerStore.merge(id, {
      protocols: ['/ipfs/id/1.0.0', '/ipfs/ping/1.0.0', '/ipfs/kad/1.0.0', '/ipfs/bitswap/1.2.0'],
      multiaddrs: [multiaddr(`/ip4/10.0.${(i >> 8) & 255}.${i & 255}/tcp/4001`)],
      metadata: { AgentVersion: AGENT }
    })
    ids.push(id)
  }
  return ids
}

/** The node's peer store as the service's sweeper reads it. */
function peerStoreRecords (node: TrackerNode): ReturnType<typeof storeRecords> {
  return storeRecords(node.peerStore, () => node.getPeers())
}

/** Peer records in the node's datastore, expired or not (reading them this way deletes nothing). */
async function storedRecords (node: TrackerNode): Promise<number> {
  const datastore = (node as unknown as { components: { datastore: { queryKeys: (q: { prefix: string }) => AsyncIterable<unknown> } } }).components.datastore
  let n = 0
  for await (const _key of datastore.queryKeys({ prefix: '/peers/' })) n++
  return n
}

const ids = (list: Array<{ id: PeerId }> | PeerId[]): string[] => list.map(p => ('id' in p ? p.id : p).toString()).sort()

describe('peer store sweeper with libp2p\'s peer store', () => {
  it('caps libp2p\'s address age at the max age', () => {
    expect(peerStoreAges(6 * 3_600_000)).toEqual({ maxPeerAge: 6 * 3_600_000, maxAddressAge: 3_600_000 })
    expect(peerStoreAges(120_000)).toEqual({ maxPeerAge: 120_000, maxAddressAge: 120_000 })
  })

  it('deletes records older than the max age; keeps fresh ones and connected peers\' records with their tags', async () => {
    // Sweeps every maxAge/2 refresh the connected peer: the age leaves room for an event loop
    // stalled by a loaded machine (at 1 s a stalled refresh let the record expire with its tag).
    const maxAgeMs = 4000
    const node = await trackerNode(maxAgeMs)
    const peer = await listeningPeer()
    await node.dial(peer.getMultiaddrs())
    await waitFor('identify of the connected peer', async () => (await node.peerStore.get(peer.peerId).catch(() => undefined))?.protocols.includes('/ipfs/ping/1.0.0') === true)
    await node.peerStore.merge(peer.peerId, { tags: { bootstrap: { value: 50 } } })

    // Sweeps on the app's schedule (twice per max age) refresh the connected peer's record.
    const errors: unknown[] = []
    const sweeper = new PeerStoreSweeper({ store: peerStoreRecords(node), onError: (err) => { errors.push(err) } })
    const timer = setInterval(() => { void sweeper.sweep() }, sweepIntervalMs(maxAgeMs))
    stoppers.push(async () => { clearInterval(timer); await sweeper.stop() })

    const before = await storedRecords(node)
    await mergeFakePeers(node, 300)
    const staleAt = Date.now()
    await waitFor('a sweep after the records passed the max age', () => (sweeper.last?.endedAt ?? 0) > staleAt + maxAgeMs + 50)
    clearInterval(timer)
    const fresh = await mergeFakePeers(node, 20, 300)
    const result = await sweeper.sweep()
    expect(errors).toEqual([])
    expect(result).toMatchObject({ records: 21, refreshed: 1, refreshFailed: 0 })
    // Deleted from the datastore, not only hidden: the 300 stale records are gone, the 20 fresh ones there.
    expect(await storedRecords(node)).toBe(before + 20)
    expect(ids(await node.peerStore.all())).toEqual(ids([...fresh, peer.peerId]))
    // The connected peer's record is whole: what identify wrote and its tag.
    const record = await node.peerStore.get(peer.peerId)
    expect(record.tags.get('bootstrap')?.value).toBe(50)
    expect(record.protocols).toContain('/ipfs/id/1.0.0')
    expect(node.getConnections(peer.peerId)).toHaveLength(1)
  })

  it('without the refresh a connected peer\'s expired record is deleted with its tags, and the connection still works', async () => {
    const maxAgeMs = 1000
    const node = await trackerNode(maxAgeMs)
    const peer = await listeningPeer()
    const connection = await node.dial(peer.getMultiaddrs())
    await waitFor('identify of the connected peer', async () => (await node.peerStore.get(peer.peerId).catch(() => undefined))?.protocols.includes('/ipfs/ping/1.0.0') === true)
    await node.peerStore.merge(peer.peerId, { tags: { bootstrap: { value: 50 } } })
    const taggedAt = Date.now()
    await waitFor('the record to pass the max age', () => Date.now() > taggedAt + maxAgeMs + 50)

    // What libp2p itself does on any read of an expired record (its pruner, dialler and
    // reconnect queue read records of connected peers): the sweep, minus the refresh.
    const noRefresh = new PeerStoreSweeper({ store: { ...peerStoreRecords(node), connectedPeers: () => [] }, onError: (err) => { throw err } })
    expect((await noRefresh.sweep())?.records).toBe(0)
    expect(await node.peerStore.has(peer.peerId)).toBe(false) // the tag that ranks it for pruning is gone
    // The connection is not touched: it stays open and carries streams.
    expect(connection.status).toBe('open')
    expect(await pingConnection(connection, AbortSignal.timeout(5000))).toBeGreaterThanOrEqual(0)
    // The next sweep writes a bare record for it (identify's data comes back with its next push).
    const sweeper = new PeerStoreSweeper({ store: peerStoreRecords(node), onError: (err) => { throw err } })
    expect(await sweeper.sweep()).toMatchObject({ records: 1, refreshed: 1 })
    expect((await node.peerStore.get(peer.peerId)).tags.has('bootstrap')).toBe(false)
  })

  it('reads the store incrementally: a record written while the sweep yields is read by the same sweep', async () => {
    const node = await trackerNode(60_000)
    await mergeFakePeers(node, 1000)
    let written: PeerId[] = []
    const sweeper = new PeerStoreSweeper({
      store: peerStoreRecords(node),
      onError: (err) => { throw err },
      batchSize: 100,
      yieldToEventLoop: async () => {
        // At the first yield, other work writes a new peer (as identify would), then the sweep goes on.
        if (written.length === 0) written = await mergeFakePeers(node, 1, 5000)
        await new Promise(resolve => setImmediate(resolve))
      }
    })
    // peerStore.all() and forEach() read everything before returning: they would count 1000.
    expect((await sweeper.sweep())?.records).toBe(1001)
    expect(written).toHaveLength(1)
  })

  it('the tracker sweeps once at start, then exports the records left and the time of each sweep', async () => {
    const started = Date.now()
    const t = await startTestTracker({ 'p2p.peer-store-max-age': '1m' })
    stoppers.push(async () => { await t.stop() })
    // The sweep at start (an empty store) sets both gauges at once, not an interval later.
    let m = await t.scrape()
    for (let i = 0; i < 100 && (valueOf(m, METRICS.peerStoreLastSweep.name) ?? 0) === 0; i++) {
      await new Promise(resolve => setTimeout(resolve, 50))
      m = await t.scrape()
    }
    expect((valueOf(m, METRICS.peerStoreLastSweep.name) ?? 0) * 1000).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000)
    expect(valueOf(m, METRICS.peerStorePeers.name)).toBe(0)
    expect(valueOf(m, METRICS.internalErrors.name, { component: 'peer_store_sweep' })).toBe(0)

    await mergeFakePeers(t.node, 5)
    const before = Date.now()
    await t.peerTracker.sweepPeerStore()
    m = await t.scrape()
    expect(valueOf(m, METRICS.peerStorePeers.name)).toBe(5)
    const at = valueOf(m, METRICS.peerStoreLastSweep.name) ?? 0
    expect(at * 1000).toBeGreaterThanOrEqual(before)
    expect(at * 1000).toBeLessThanOrEqual(Date.now())
    expect(valueOf(m, METRICS.internalErrors.name, { component: 'peer_store_sweep' })).toBe(0)
  })
})
