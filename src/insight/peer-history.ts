/**
 * Bounded memory of peers: the last K sessions of at most M peers, and the per-peer facts the
 * API shows (agent, RTT, sessions count).
 *
 * Connected peers are never evicted: their record is in use by their open session, and its
 * close must land in the remembered record. Only disconnected peers are evicted, least
 * recently seen (by the end of their last session) first. So the history holds every
 * connected peer plus the most recently disconnected ones, max(M, connected peers) in all;
 * connected peers are bounded by libp2p's connection limit. Two Maps keep insertion order,
 * so every operation is O(1): `records` holds every remembered peer, `idle` the disconnected
 * ones in the order their last session ended.
 */

export interface SessionRecord {
  startedAt: number
  /** undefined while the session is open. */
  endedAt: number | undefined
  direction: string
  /** Why its last connection closed, once known. */
  closeReason: string | undefined
}

export interface PeerRecord {
  readonly peerId: string
  /** Sessions ever opened by this peer while remembered. */
  sessions: number
  /** The last K sessions, oldest first. */
  readonly recent: SessionRecord[]
  /** Start times of the last F sessions (F = flapping threshold), oldest first. */
  readonly starts: number[]
  /** When the first remembered session started. */
  firstSeen: number
  lastSeen: number
  agentVersion: string | undefined
  rttMs: number | undefined
}

export interface PeerHistoryOptions {
  /** Most peers remembered (M), unless more than M are connected. */
  maxPeers: number
  /** Sessions kept per peer (K). */
  sessionsPerPeer: number
  /** Session starts kept per peer for flapping (F). */
  startsPerPeer: number
  /** Called with each evicted record. */
  onEvict?: (record: PeerRecord) => void
}

/** Told of each change to a remembered peer (started, ended, identified, evicted): what a store writes. */
export type PeerRecordListener = (peerId: string) => void

export class PeerHistory {
  private readonly records = new Map<string, PeerRecord>()
  /** Disconnected peers, least recently seen first: the only ones eviction may take. */
  private readonly idle = new Map<string, PeerRecord>()
  private readonly options: PeerHistoryOptions
  evictions = 0
  /** Told of each change to a record (src/storage marks the peer for its next write); O(1), on the event path. */
  onChange: PeerRecordListener | undefined

  constructor (options: PeerHistoryOptions) {
    this.options = options
  }

  get size (): number {
    return this.records.size
  }

  /** Remembered peers with an open session (never evicted). */
  get connected (): number {
    return this.records.size - this.idle.size
  }

  get (peerId: string): PeerRecord | undefined {
    return this.records.get(peerId)
  }

  /** Records a session start; returns the record and the end of the previous session if remembered. */
  sessionStarted (peerId: string, direction: string, now: number): { record: PeerRecord, previousEnd: number | undefined, known: boolean } {
    let record = this.records.get(peerId)
    const known = record !== undefined
    if (record === undefined) {
      record = { peerId, sessions: 0, recent: [], starts: [], firstSeen: now, lastSeen: now, agentVersion: undefined, rttMs: undefined }
      this.records.set(peerId, record)
    } else {
      this.idle.delete(peerId) // connected now: out of eviction's reach until the session ends
    }
    const previousEnd = record.recent.length === 0 ? undefined : record.recent[record.recent.length - 1]?.endedAt
    record.sessions++
    record.lastSeen = now
    if (record.recent.length >= this.options.sessionsPerPeer) {
      // Reuse the oldest session's object: no allocation once a peer's history is full.
      const reused = record.recent.shift() as SessionRecord
      reused.startedAt = now
      reused.endedAt = undefined
      reused.direction = direction
      reused.closeReason = undefined
      record.recent.push(reused)
    } else {
      record.recent.push({ startedAt: now, endedAt: undefined, direction, closeReason: undefined })
    }
    if (record.starts.length >= this.options.startsPerPeer) record.starts.shift()
    record.starts.push(now)
    this.onChange?.(peerId)
    this.evictExcess()
    return { record, previousEnd, known }
  }

  /** Marks the peer's open session ended; the peer becomes the most recently seen disconnected one. */
  sessionEnded (record: PeerRecord, now: number): void {
    const last = record.recent[record.recent.length - 1]
    if (last !== undefined && last.endedAt === undefined) last.endedAt = now
    record.lastSeen = now
    if (this.records.get(record.peerId) !== record) return // not remembered (cannot happen: connected peers stay)
    this.idle.delete(record.peerId)
    this.idle.set(record.peerId, record)
    this.onChange?.(record.peerId)
    this.evictExcess()
  }

  /** Something else of the record changed (its agent, a session's close reason): tells the listener. */
  changed (record: PeerRecord): void {
    if (this.records.get(record.peerId) === record) this.onChange?.(record.peerId)
  }

  /**
   * Puts back a disconnected peer remembered before a restart (src/storage). Call in the order
   * their last session ended, least recent first, before any session starts; an already
   * remembered peer is left as it is. Trims the record to this history's limits.
   */
  restore (record: PeerRecord): void {
    if (this.records.has(record.peerId)) return
    if (record.recent.length > this.options.sessionsPerPeer) record.recent.splice(0, record.recent.length - this.options.sessionsPerPeer)
    if (record.starts.length > this.options.startsPerPeer) record.starts.splice(0, record.starts.length - this.options.startsPerPeer)
    this.records.set(record.peerId, record)
    this.idle.set(record.peerId, record)
    this.evictExcess()
  }

  /** Every remembered record (connected ones included), in no particular order. */
  all (): IterableIterator<PeerRecord> {
    return this.records.values()
  }

  /** Evicts disconnected peers, least recently seen first, while more than M are remembered. */
  private evictExcess (): void {
    while (this.records.size > this.options.maxPeers) {
      const first = this.idle.values().next()
      if (first.done === true) return // every remembered peer is connected
      const record = first.value
      this.idle.delete(record.peerId)
      this.records.delete(record.peerId)
      this.evictions++
      this.options.onEvict?.(record)
      this.onChange?.(record.peerId)
    }
  }
}
