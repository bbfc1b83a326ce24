/**
 * The libp2p node: TCP, Noise (XX), yamux and/or mplex, identify, ping and (optionally)
 * Kad-DHT, with connection limits and the peer store's ages from the configuration. Nothing
 * else in the project imports libp2p's factories. Also the places the tracker reaches into
 * the node beyond its events: counting every outbound dial, pinging over one open
 * connection, and reading the whole peer store for the sweeper.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper, removePrivateAddressesMapper } from '@libp2p/kad-dht'
import { mplex } from '@libp2p/mplex'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { NAME, VERSION } from '../version.js'
import { IpFilter, ipConnectionGater } from './connection-gater.js'
import type { Config, MuxerName } from '../config.js'
import type { PeerStoreRecords } from './peer-store-sweeper.js'
import type { Identify } from '@libp2p/identify'
import type { KadDHT, SingleKadDHT } from '@libp2p/kad-dht'
import type { Connection, Libp2p, PeerId, PrivateKey, StreamMuxerFactory } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { Datastore } from 'interface-datastore'

// A type alias, not an interface: libp2p's ServiceMap wants an index signature.
export type TrackerServices = {
  identify: Identify
  ping: Ping
  dht?: KadDHT
}

export type TrackerNode = Libp2p<TrackerServices>

const MUXER_FACTORIES: Record<MuxerName, () => () => StreamMuxerFactory> = {
  yamux: () => yamux(),
  mplex: () => mplex()
}

/** libp2p's own maxAddressAge: an address observed within it keeps a record from expiring. */
export const MAX_ADDRESS_AGE_MS = 3_600_000

/**
 * The peer store's ages for a --p2p.peer-store-max-age: records expire maxPeerAge after their
 * last update, unless an address was observed within maxAddressAge, which is capped at the
 * same age so that a shorter max age really expires records that have addresses.
 */
export function peerStoreAges (maxAgeMs: number): { maxPeerAge: number, maxAddressAge: number } {
  return { maxPeerAge: maxAgeMs, maxAddressAge: Math.min(maxAgeMs, MAX_ADDRESS_AGE_MS) }
}

/** Creates the node without starting it, so the tracker can attach before the first event. */
export async function createTrackerNode (p2p: Config['p2p'], privateKey: PrivateKey, onGated?: (direction: 'inbound' | 'outbound', addr: string) => void, datastore?: Datastore): Promise<TrackerNode> {
  const ipFilter = new IpFilter(p2p.allowCidrs ?? [], p2p.denyCidrs ?? [])
  const dht = p2p.dht === 'off'
    ? {}
    : {
        dht: kadDHT({
          clientMode: p2p.dht === 'client',
          peerInfoMapper: p2p.dhtAddressFilter === 'all' ? passthroughMapper : removePrivateAddressesMapper
        })
      }
  return await createLibp2p<TrackerServices>({
    privateKey,
    start: false,
    // --storage.path: libp2p keeps its peer store in the tracker's LevelDB (under /peers/); in memory otherwise.
    ...(datastore === undefined ? {} : { datastore }),
    nodeInfo: { name: NAME, version: VERSION },
    addresses: { listen: p2p.listen },
    peerStore: peerStoreAges(p2p.peerStoreMaxAgeMs),
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: p2p.muxers.map(m => MUXER_FACTORIES[m]()),
    connectionManager: {
      maxConnections: p2p.maxConnections,
      maxIncomingPendingConnections: p2p.maxIncomingPendingConnections,
      inboundConnectionThreshold: p2p.inboundConnectionThreshold
    },
    ...(ipFilter.active ? { connectionGater: ipConnectionGater(ipFilter, onGated) } : {}),
    services: { identify: identify(), ping: ping(), ...dht }
  })
}

/** Peers in the DHT routing table; 0 when the DHT is off. (kadDHT() is typed without it.) */
export function dhtRoutingTableSize (node: TrackerNode): number {
  return (node.services.dht as SingleKadDHT | undefined)?.routingTable.size ?? 0
}

// --- the whole peer store, read without blocking --------------------------------------------

/** What the sweeper needs of libp2p 3's PersistentPeerStore beyond its public interface. */
interface PeerStoreInternals { store?: { all?: () => AsyncIterable<unknown> } }

/**
 * The node's peer store as the sweeper (src/p2p/peer-store-sweeper.ts) reads it.
 *
 * Connected peers are refreshed with an empty merge: it sets the record's `updated` time and
 * keeps everything readers see (it drops only addresses older than maxAddressAge, already
 * hidden from readers), so libp2p emits no peer:update unless such addresses went; a peer
 * with no record yet gets a bare one.
 *
 * Records: the public peerStore.all() and forEach() read the whole store in one go (all()
 * into an array) without ever yielding to the event loop, 20-30 µs per record: ~3 s with
 * 100,000 records. Their own iterator, the PersistentStore's all() (what both call, deleting the
 * expired records as it reads), is pulled one record at a time instead, so the sweeper can
 * yield between records. If a libp2p version no longer has it, forEach() does the same work
 * in one go (test/integration/peer-store-sweeper.test.ts fails then).
 */
export function peerStoreRecords (node: TrackerNode): PeerStoreRecords<PeerId> {
  const store = (node.peerStore as unknown as PeerStoreInternals).store
  const records = typeof store?.all === 'function'
    ? () => (store as { all: () => AsyncIterable<unknown> }).all()
    : async function * (): AsyncGenerator<undefined> {
      let count = 0
      await node.peerStore.forEach(() => { count++ })
      for (let i = 0; i < count; i++) yield undefined
    }
  return {
    connectedPeers: () => node.getPeers(),
    refresh: async (peerId) => { await node.peerStore.merge(peerId, {}) },
    records
  }
}

// --- every outbound dial, counted ----------------------------------------------------------

/** Told of each outbound dial libp2p made, whoever asked for it. */
export interface DialObserver {
  succeeded: () => void
  failed: (err: unknown) => void
  /** True while this process stops the node on purpose: dials failing then are not counted. */
  stopping: () => boolean
  /** `succeeded` or `failed` threw (the dial's own outcome still reaches its caller). */
  onError?: (err: unknown) => void
}

interface ProgressEventLike { type: string }
type ProgressHandler = (evt: ProgressEventLike) => void
type OpenConnection = (target: unknown, options?: { onProgress?: ProgressHandler } & Record<string, unknown>) => Promise<Connection>

/** Progress events libp2p emits when openConnection does not dial (public: OpenConnectionProgressEvents). */
const NOT_A_DIAL = new Set(['dial-queue:already-connected', 'dial-queue:already-in-dial-queue'])

/**
 * Counts every outbound dial the node makes: the tracker's own (bootstrap keeper), Kad-DHT
 * queries, the ping service, libp2p's reconnect queue. In libp2p 3 each of them goes through
 * the connection manager's openConnection (libp2p.dial, dialProtocol and openStream call it;
 * services get the same connection manager through their components), and libp2p emits no
 * event per dial, so openConnection is wrapped on the node's connection manager. Attach
 * before the node starts.
 *
 * Not counted: a call answered with an already-open connection, or joined to a dial already
 * in the queue (libp2p's `dial-queue:already-connected` / `already-in-dial-queue` progress
 * events; the dial it joined is counted once, by its first caller); a call on a node that is
 * not running; and failures while `stopping()` (dials aborted by our own shutdown).
 * Returns a function that restores the connection manager.
 */
export function observeDials (node: TrackerNode, observer: DialObserver): () => void {
  const manager = (node as unknown as { components?: { connectionManager?: { openConnection?: unknown } } }).components?.connectionManager
  if (manager === undefined || typeof manager.openConnection !== 'function') {
    throw new Error('libp2p connection manager has no openConnection: cannot count dials (libp2p version changed?)')
  }
  const hadOwn = Object.prototype.hasOwnProperty.call(manager, 'openConnection')
  const original = manager.openConnection as OpenConnection
  const report = (notify: () => void): void => {
    try {
      notify()
    } catch (err) {
      try { observer.onError?.(err) } catch { /* never into libp2p's dial path */ }
    }
  }
  const notRunning = (): boolean => node.status === 'stopping' || node.status === 'stopped'
  const wrapped: OpenConnection = async function (this: unknown, target, options = {}) {
    let dialled = true
    const onProgress: ProgressHandler = (evt) => {
      if (NOT_A_DIAL.has(evt.type)) dialled = false
      options.onProgress?.(evt)
    }
    let connection: Connection
    try {
      connection = await original.call(this, target, { ...options, onProgress })
    } catch (err) {
      const name = (err as { name?: unknown } | null)?.name
      if (dialled && name !== 'NotStartedError' && !observer.stopping() && !notRunning()) report(() => { observer.failed(err) })
      throw err
    }
    if (dialled) report(() => { observer.succeeded() })
    return connection
  }
  manager.openConnection = wrapped
  return () => {
    if (manager.openConnection !== wrapped) return
    if (hadOwn) manager.openConnection = original
    else delete manager.openConnection
  }
}

// --- ping over one open connection -------------------------------------------------------

export const PING_PROTOCOL = '/ipfs/ping/1.0.0'
const PING_LENGTH = 32

/**
 * One ping (the libp2p ping protocol: 32 random bytes echoed back) over this connection, in
 * ms. Unlike the ping service, which takes a peer ID or address and dials when the peer is no
 * longer connected, this only opens a stream on the given connection: if it closed, the ping
 * fails and nothing is dialled.
 */
export async function pingConnection (connection: Connection, signal: AbortSignal): Promise<number> {
  signal.throwIfAborted()
  const stream = await connection.newStream(PING_PROTOCOL, { signal, runOnLimitedConnection: true })
  try {
    const sent = crypto.getRandomValues(new Uint8Array(PING_LENGTH))
    const echo = new Uint8Array(PING_LENGTH)
    let received = 0
    let start = 0
    const rttMs = await new Promise<number>((resolve, reject) => {
      const cleanup = (): void => {
        stream.removeEventListener('message', onMessage)
        stream.removeEventListener('close', onClose)
        signal.removeEventListener('abort', onAbort)
      }
      const onMessage = (evt: { data: { subarray: () => Uint8Array } }): void => {
        const chunk = evt.data.subarray()
        const n = Math.min(chunk.byteLength, PING_LENGTH - received)
        echo.set(chunk.subarray(0, n), received)
        received += n
        if (received === PING_LENGTH) { cleanup(); resolve(performance.now() - start) }
      }
      const onClose = (evt: { error?: Error }): void => { cleanup(); reject(evt.error ?? new Error('ping stream closed before the echo')) }
      const onAbort = (): void => { cleanup(); reject(signal.reason) }
      stream.addEventListener('message', onMessage)
      stream.addEventListener('close', onClose)
      signal.addEventListener('abort', onAbort)
      start = performance.now()
      stream.send(sent)
    })
    if (!sent.every((byte, i) => echo[i] === byte)) throw new Error('ping echo does not match what was sent')
    stream.close({ signal }).catch((err: unknown) => { stream.abort(err instanceof Error ? err : new Error(String(err))) })
    return rttMs
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}
