/**
 * The tracker's history in a datastore: loaded once at start, written in batches off the
 * event path. Events only mark a peer dirty (a Set insert); a periodic flush writes every
 * dirty peer, the changed chunks of the Bloom filter and the connected peers in ONE batch,
 * which LevelDB applies atomically: a kill at any moment loses at most the batch not yet
 * written, never half of one. Works on any js-libp2p Datastore (LevelDB in the CLI, memory in tests).
 */
import {
  PEERS_PREFIX, SEEN_CHUNK_PREFIX, SEEN_CHUNK_WORDS, SEEN_META_KEY, STATE_KEY, UNCLEAN_SHUTDOWN,
  chunkChanged, decodePeer, decodeSeenChunk, decodeSeenMeta, decodeState, encodePeer, encodeSeenChunk,
  encodeSeenMeta, encodeState, peerKey, seenChunkIndex, seenChunkKey
} from './history-codec.js'
import type { PeerRecord } from '../insight/peer-history.js'
import type { Datastore } from 'interface-datastore'

export interface LoadedHistory {
  /** Remembered peers, least recently seen first (the order PeerInsight.restore wants). */
  records: PeerRecord[]
  /** The Bloom filter's words and distinct count, when one was stored with the expected size. */
  seen: { words: Uint32Array, distinct: number } | undefined
  /** Peers connected when the last batch was written (the redial list). */
  connected: string[]
  /** When the last batch was written; undefined for a store never written. */
  flushedAt: number | undefined
  /** Stored peers whose value could not be read (skipped, and deleted at the first flush). */
  skipped: string[]
  /** Peers with a session left open by a run that did not stop cleanly (closed at flushedAt, as unclean_shutdown). */
  uncleanPeers: string[]
}

/** Reads the history. `seenWords` is the filter's size in 32-bit words (SeenPeers.words.length). */
export async function loadHistory (store: Datastore, seenWords: number, hashes: number): Promise<LoadedHistory> {
  const stateBytes = await getOrUndefined(store, STATE_KEY)
  const state = stateBytes === undefined ? undefined : decodeState(stateBytes)
  const records: PeerRecord[] = []
  const skipped: string[] = []
  const uncleanPeers: string[] = []
  for await (const { key, value } of store.query({ prefix: PEERS_PREFIX })) {
    const peerId = key.toString().slice(PEERS_PREFIX.length)
    const record = decodePeer(peerId, value)
    if (record === undefined) { skipped.push(peerId); continue }
    // A session still open in the store: the run was killed while the peer was connected. It
    // ended at the latest when that run wrote its last batch.
    const last = record.recent[record.recent.length - 1]
    for (const session of record.recent) {
      if (session.endedAt !== undefined) continue
      session.endedAt = Math.max(session.startedAt, session !== last ? session.startedAt : state?.flushedAt ?? session.startedAt)
      session.closeReason = UNCLEAN_SHUTDOWN
      if (uncleanPeers[uncleanPeers.length - 1] !== peerId) uncleanPeers.push(peerId)
    }
    if (last?.endedAt !== undefined) record.lastSeen = Math.max(record.lastSeen, last.endedAt)
    records.push(record)
  }
  records.sort((a, b) => a.lastSeen - b.lastSeen)

  let seen: LoadedHistory['seen']
  const metaBytes = await getOrUndefined(store, SEEN_META_KEY)
  const meta = metaBytes === undefined ? undefined : decodeSeenMeta(metaBytes)
  if (meta !== undefined && meta.words === seenWords && meta.hashes === hashes) {
    const words = new Uint32Array(seenWords)
    let ok = true
    for await (const { key, value } of store.query({ prefix: SEEN_CHUNK_PREFIX })) {
      const index = seenChunkIndex(key.toString())
      if (index === undefined || !decodeSeenChunk(value, words, index)) ok = false
    }
    if (ok) seen = { words, distinct: meta.distinct }
  }
  return { records, seen, connected: state?.connected ?? [], flushedAt: state?.flushedAt, skipped, uncleanPeers }
}

/** What the writer reads at flush time. */
export interface HistorySource {
  /** The remembered record of a peer; undefined once evicted (its key is then deleted). */
  record: (peerId: string) => PeerRecord | undefined
  /** The Bloom filter of seen peers as it is now. */
  seen: () => { words: Uint32Array, distinct: number, hashes: number }
  /** Peers connected now (bounded by the connection limit). */
  connected: () => string[]
}

export interface FlushResult {
  /** The time the batch was made: everything that happened before it is in the store once the batch is committed. */
  flushedAt: number
  /** The batch's number (as told to onBatchMade). */
  batch: number
  peersWritten: number
  peersDeleted: number
  seenChunksWritten: number
  durationMs: number
}

export class HistoryWriter {
  private dirty = new Set<string>()
  /** The filter as last written (or loaded): a chunk is written when it differs. */
  private written: Uint32Array | undefined
  private writtenDistinct = -1
  private running: Promise<FlushResult> | undefined
  private again = false
  /** Connected peers frozen at the start of a clean stop (the node is about to close every connection). */
  private frozenConnected: string[] | undefined
  flushes = 0
  /** Batches made (committed or not), numbering them. */
  private batches = 0
  lastFlush: FlushResult | undefined

  constructor (
    private readonly store: Datastore,
    private readonly source: HistorySource,
    private readonly now: () => number,
    /** Told when a batch is made (before it is committed): everything before this moment is in it. */
    private readonly onBatchMade?: (batch: number, flushedAt: number) => void
  ) {}

  /** The filter as loaded from the store: only chunks that change from here on are written. */
  loadedSeen (words: Uint32Array | undefined, distinct: number): void {
    this.written = words === undefined ? undefined : words.slice()
    this.writtenDistinct = words === undefined ? -1 : distinct
  }

  /** On the event path: O(1). */
  markDirty (peerId: string): void {
    this.dirty.add(peerId)
  }

  get pending (): number {
    return this.dirty.size
  }

  /** The peers to redial after the next start: those connected now, before a clean stop closes them. */
  freezeConnected (): void {
    this.frozenConnected = this.source.connected()
  }

  /**
   * Writes what changed since the last flush in one batch. Flushes never overlap: a call while
   * one runs waits for it and then runs once more (so whatever was marked before the call is written).
   * On a failed write the peers are marked dirty again and the error is thrown.
   */
  async flush (): Promise<FlushResult> {
    if (this.running !== undefined) {
      this.again = true
      await this.running.catch(() => {})
      if (this.running !== undefined) return await this.running
    }
    this.again = false
    this.running = this.writeBatch().finally(() => { this.running = undefined })
    const result = await this.running
    if (this.again) return await this.flush()
    return result
  }

  private async writeBatch (): Promise<FlushResult> {
    const started = performance.now()
    const flushedAt = this.now()
    const dirty = this.dirty
    this.dirty = new Set()
    const batch = this.store.batch()
    let peersWritten = 0
    let peersDeleted = 0
    for (const peerId of dirty) {
      const record = this.source.record(peerId)
      if (record === undefined) { batch.delete(peerKey(peerId)); peersDeleted++ } else { batch.put(peerKey(peerId), encodePeer(record)); peersWritten++ }
    }
    const seen = this.source.seen()
    let seenChunksWritten = 0
    const written = this.written ?? new Uint32Array(seen.words.length)
    const chunks = Math.ceil(seen.words.length / SEEN_CHUNK_WORDS)
    const changedChunks: number[] = []
    for (let i = 0; i < chunks; i++) {
      if (!chunkChanged(seen.words, written, i)) continue
      batch.put(seenChunkKey(i), encodeSeenChunk(seen.words, i))
      changedChunks.push(i)
      seenChunksWritten++
    }
    if (seen.distinct !== this.writtenDistinct) batch.put(SEEN_META_KEY, encodeSeenMeta({ words: seen.words.length, hashes: seen.hashes, distinct: seen.distinct }))
    batch.put(STATE_KEY, encodeState({ flushedAt, connected: this.frozenConnected ?? this.source.connected() }))
    const distinct = seen.distinct
    const batchNumber = ++this.batches
    this.onBatchMade?.(batchNumber, flushedAt)
    const snapshot = changedChunks.map(i => seen.words.slice(i * SEEN_CHUNK_WORDS, (i + 1) * SEEN_CHUNK_WORDS))
    try {
      await batch.commit()
    } catch (err) {
      for (const peerId of dirty) this.dirty.add(peerId)
      throw err
    }
    this.written = written
    changedChunks.forEach((chunk, j) => { written.set(snapshot[j] as Uint32Array, chunk * SEEN_CHUNK_WORDS) })
    this.writtenDistinct = distinct
    this.flushes++
    this.lastFlush = { flushedAt, batch: batchNumber, peersWritten, peersDeleted, seenChunksWritten, durationMs: performance.now() - started }
    return this.lastFlush
  }
}

/** Deletes stored peers that could not be read, so they are not counted again at every start. */
export async function deleteSkipped (store: Datastore, peerIds: readonly string[]): Promise<void> {
  if (peerIds.length === 0) return
  const batch = store.batch()
  for (const peerId of peerIds) batch.delete(peerKey(peerId))
  await batch.commit()
}

async function getOrUndefined (store: Datastore, key: Parameters<Datastore['get']>[0]): Promise<Uint8Array | undefined> {
  try {
    return await store.get(key)
  } catch (err) {
    if ((err as { name?: string })?.name === 'NotFoundError') return undefined
    throw err
  }
}
