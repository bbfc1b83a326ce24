/**
 * --storage.path put together: the store (libp2p's peer store and the tracker's history), the
 * history loaded back into peer insight before the node starts, the batching writer on its
 * timer with a final flush on stop, and the redial of the peers connected before the restart.
 */
import { HistoryWriter, deleteSkipped, loadHistory } from './history-store.js'
import { Redialer } from './redialer.js'
import { claimStore } from './node-identity.js'
import { StoreError, openStore } from './store.js'
import type { StoreOwner } from './node-identity.js'
import type { FlushResult, LoadedHistory } from './history-store.js'
import type { RedialerOptions } from './redialer.js'
import type { OpenStore } from './store.js'
import type { PeerInsight } from '../insight/peer-insight.js'
import type { Datastore } from 'interface-datastore'

export interface StorageSummary {
  path: string
  created: boolean
  /** Peers remembered with their sessions. */
  peers: number
  /** Distinct peers the restored Bloom filter holds (0 when none was stored). */
  seenPeers: number
  /** Peers connected when the last batch was written: the ones to redial. */
  connectedBefore: number
  /** Peers whose last session the previous run left open (killed, not stopped): closed as unclean_shutdown. */
  uncleanSessions: number
  skipped: number
  /** When the previous run wrote its last batch (ISO time), if it ever did. */
  lastWrite: string | undefined
}

export interface StorageHooks {
  /** A periodic flush failed (its peers are written with the next one). */
  onFlushError: (err: unknown) => void
  onFlushed?: (result: FlushResult) => void
}

export class TrackerStorage {
  private writer: HistoryWriter | undefined
  private flushTimer: ReturnType<typeof setInterval> | undefined
  private redialer: Redialer | undefined
  private loaded: LoadedHistory | undefined
  private closing: Promise<void> | undefined

  private constructor (private readonly store: OpenStore) {}

  /** Opens the store; a StoreError (one line, exit 2) when it cannot be used. */
  static async open (path: string): Promise<TrackerStorage> {
    return new TrackerStorage(await openStore(path))
  }

  /** For createLibp2p's `datastore`: libp2p keeps its peer store here, under /peers/. */
  get datastore (): Datastore {
    return this.store.datastore
  }

  /** Refuses (StoreError) a store made for another node; records this one in a store that names none. Call before restore(). */
  async claim (owner: StoreOwner): Promise<void> {
    await claimStore(this.store.datastore, this.store.path, owner)
  }

  /**
   * Loads the history into peer insight (before the node starts) and, from then on, marks
   * each changed peer for the next batch. `connected` lists the peers connected now.
   */
  async restore (insight: PeerInsight, connected: () => string[], now: () => number, onBatchMade?: (batch: number, flushedAt: number) => void): Promise<StorageSummary> {
    const seen = insight.seen
    let loaded: LoadedHistory
    try {
      loaded = await loadHistory(this.store.datastore, seen.words.length, seen.hashCount)
    } catch (err) {
      // LevelDB opened but a table cannot be read (a damaged .ldb file): the user's to fix, like a failed open.
      throw new StoreError(`--storage.path: cannot read the store at ${this.store.path}: ${((err as { cause?: Error }).cause ?? err as Error)?.message?.split('\n')[0] ?? String(err)}; it was left as it is: try "libp2p-peer-tracker storage repair --storage.path=${this.store.path}"`)
    }
    this.loaded = loaded
    const writer = new HistoryWriter(this.store.datastore, {
      record: (peerId) => insight.history.get(peerId),
      seen: () => ({ words: seen.words, distinct: seen.distinct, hashes: seen.hashCount }),
      connected
    }, now, onBatchMade)
    this.writer = writer
    insight.history.onChange = (peerId) => { writer.markDirty(peerId) }
    insight.restore(loaded.records, loaded.seen, now())
    writer.loadedSeen(loaded.seen?.words, loaded.seen?.distinct ?? 0)
    // Sessions closed as unclean are written back as closed.
    for (const peerId of loaded.uncleanPeers) if (insight.history.get(peerId) !== undefined) writer.markDirty(peerId)
    await deleteSkipped(this.store.datastore, loaded.skipped)
    return {
      path: this.store.path,
      created: this.store.created,
      peers: insight.history.size,
      seenPeers: loaded.seen?.distinct ?? 0,
      connectedBefore: loaded.connected.length,
      uncleanSessions: loaded.uncleanPeers.length,
      skipped: loaded.skipped.length,
      lastWrite: loaded.flushedAt === undefined ? undefined : new Date(loaded.flushedAt).toISOString()
    }
  }

  /** Writes a batch every `intervalMs` (unref'd timer; errors to hooks.onFlushError). */
  startFlushing (intervalMs: number, hooks: StorageHooks): void {
    const writer = this.writer
    if (writer === undefined) throw new Error('restore() before startFlushing()')
    this.flushTimer = setInterval(() => {
      writer.flush().then(
        (result) => { hooks.onFlushed?.(result) },
        (err: unknown) => { hooks.onFlushError(err) }
      )
    }, intervalMs)
    this.flushTimer.unref()
  }

  /** Redials the peers connected before the restart (except `skip`: this node, bootstrap peers). */
  startRedial (options: Omit<RedialerOptions, 'now'> & { skip: (peerId: string) => boolean }): number {
    const peers = (this.loaded?.connected ?? []).filter(p => !options.skip(p))
    if (peers.length === 0) return 0
    this.redialer = new Redialer(peers, options)
    this.redialer.start()
    return peers.length
  }

  /** Call on libp2p's peer:connect. */
  peerConnected (peerId: string): void {
    this.redialer?.peerConnected(peerId)
  }

  /** Call when a clean stop begins, before the node closes its connections: these are redialled next time. */
  beginStop (): void {
    this.redialer?.stop()
    clearInterval(this.flushTimer)
    this.writer?.freezeConnected()
  }

  /** The final flush (after the node stopped: every session ended) and the store's close; safe to call twice. */
  async close (): Promise<void> {
    this.closing ??= (async () => {
      this.redialer?.stop()
      clearInterval(this.flushTimer)
      try {
        await this.writer?.flush()
      } finally {
        await this.store.close()
      }
    })()
    await this.closing
  }

  /** Immediate write of what is pending (tests, and the final flush). */
  async flush (): Promise<void> {
    await this.writer?.flush()
  }
}
