/**
 * Every place the tracker reaches past libp2p's public API, in one file. Each is checked by
 * test/integration/libp2p-internals.test.ts against the installed libp2p, which fails when an
 * upgrade breaks one of them:
 *
 * - dials: the connection manager's openConnection is wrapped (libp2p emits no event per dial);
 * - who closed a connection: each connection's close() and abort() are wrapped at open
 *   (libp2p 3.3's close event does not say);
 * - the peer store read one record at a time (its PersistentStore's all(), not the public
 *   all()/forEach(), which read everything without yielding);
 * - the Kad-DHT routing table's size (not on KadDHT's public interface).
 */
import { Libp2pInternalsError } from '../errors.js'
import type { PeerStoreRecords } from './peer-store-sweeper.js'
import type { Connection, PeerId, PeerStore } from '@libp2p/interface'

// --- every outbound dial, counted ----------------------------------------------------------

/** Told of each outbound dial libp2p made, whoever asked for it. */
export interface DialObserver {
  succeeded: () => void
  failed: (err: unknown) => void
  /** True while the node stops (or is stopped): dials failing then are not counted. */
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
 * Counts every outbound dial the node makes: the CLI's bootstrap keeper, Kad-DHT queries, the
 * ping service, libp2p's reconnect queue, the user's own dials. In libp2p 3 each of them goes
 * through the connection manager's openConnection (libp2p.dial, dialProtocol and openStream
 * call it; services get the same connection manager through their components), and libp2p
 * emits no event per dial, so openConnection is wrapped on the connection manager.
 *
 * Not counted: a call answered with an already-open connection, or joined to a dial already
 * in the queue (libp2p's `dial-queue:already-connected` / `already-in-dial-queue` progress
 * events; the dial it joined is counted once, by its first caller); a call on a node that is
 * not running (NotStartedError); and failures while `stopping()` (dials aborted by shutdown).
 * Returns a function that restores the connection manager. When something wrapped
 * openConnection on top of this wrapper meanwhile (another tracker, the user's code), the
 * original cannot be put back without removing that wrapper too: this one stays in the chain
 * but only passes calls through, observing nothing.
 */
export function observeDials (connectionManager: unknown, observer: DialObserver): () => void {
  const manager = connectionManager as { openConnection?: unknown } | undefined
  if (manager === undefined || manager === null || typeof manager.openConnection !== 'function') {
    throw new Libp2pInternalsError('connectionManager.openConnection', 'libp2p connection manager has no openConnection: cannot count dials (libp2p version changed?)')
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
  let detached = false
  const wrapped: OpenConnection = async function (this: unknown, target, options = {}) {
    if (detached) return await original.call(this, target, options)
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
      if (dialled && name !== 'NotStartedError' && !observer.stopping()) report(() => { observer.failed(err) })
      throw err
    }
    if (dialled) report(() => { observer.succeeded() })
    return connection
  }
  manager.openConnection = wrapped
  return () => {
    detached = true
    if (manager.openConnection !== wrapped) return
    if (hadOwn) manager.openConnection = original
    else delete manager.openConnection
  }
}

// --- who closed a connection ----------------------------------------------------------------

/**
 * Wraps this connection's close() and abort() so `closedLocally()` says whether this process
 * closed it, because libp2p 3.3 does not tell it on the close: the StreamCloseEvent's `local`
 * field is undefined for every graceful close, ours and the remote's alike
 * (AbstractMessageStream's onTransportClosed dispatches `new StreamCloseEvent()` in both
 * cases), and true for any abort, including the TCP transport aborting on a socket error the
 * remote caused (@libp2p/tcp socket-to-conn).
 */
export function watchLocalClose (connection: Connection): { closedLocally: () => boolean } {
  let closedLocally = false
  const close = connection.close
  const abort = connection.abort
  connection.close = async (options) => { closedLocally = true; await close.call(connection, options) }
  connection.abort = (err) => { closedLocally = true; abort.call(connection, err) }
  return { closedLocally: () => closedLocally }
}

// --- the whole peer store, read without blocking --------------------------------------------

/** What the sweeper needs of libp2p 3's PersistentPeerStore beyond its public interface. */
interface PeerStoreInternals { store?: { all?: () => AsyncIterable<unknown> } }

/**
 * The peer store as the sweeper (peer-store-sweeper.ts) reads it.
 *
 * Connected peers are refreshed with an empty merge: it sets the record's `updated` time and
 * keeps everything readers see (it drops only addresses older than maxAddressAge, already
 * hidden from readers), so libp2p emits no peer:update unless such addresses went; a peer
 * with no record yet gets a bare one.
 *
 * Records: the public peerStore.all() and forEach() read the whole store in one go (all()
 * into an array) without ever yielding to the event loop, 20-30 µs per record: ~3 s with
 * 100,000 records. Their own iterator, the PersistentStore's all() (what both call, deleting
 * the expired records as it reads), is pulled one record at a time instead, so the sweeper
 * can yield between records. If a libp2p version no longer has it, forEach() does the same
 * work in one go (the internals test fails then).
 */
export function peerStoreRecords (peerStore: PeerStore, connectedPeers: () => Iterable<PeerId>): PeerStoreRecords<PeerId> {
  const store = (peerStore as unknown as PeerStoreInternals).store
  const records = hasStoreIterator(peerStore)
    ? () => (store as { all: () => AsyncIterable<unknown> }).all()
    : async function * (): AsyncGenerator<undefined> {
      let count = 0
      await peerStore.forEach(() => { count++ })
      for (let i = 0; i < count; i++) yield undefined
    }
  return {
    connectedPeers,
    refresh: async (peerId) => { await peerStore.merge(peerId, {}) },
    records
  }
}

/** Whether the peer store still has the one-record-at-a-time iterator peerStoreRecords reads. */
export function hasStoreIterator (peerStore: PeerStore): boolean {
  return typeof (peerStore as unknown as PeerStoreInternals).store?.all === 'function'
}

// --- the Kad-DHT routing table -------------------------------------------------------------

interface RoutingTableHolder { routingTable?: { size?: unknown } }

/**
 * Peers in the routing table of the Kad-DHT service registered under `name` among the node's
 * components (libp2p puts each service there by its name); 0 when there is none.
 * libp2p's components throw for a name they do not have.
 */
export function dhtRoutingTableSize (components: unknown, name: string): number {
  let dht: RoutingTableHolder | undefined
  try {
    dht = (components as Record<string, RoutingTableHolder | undefined>)[name]
  } catch {
    return 0
  }
  const size = dht?.routingTable?.size
  return typeof size === 'number' ? size : 0
}
