/**
 * Bounded memory of peers: the last K sessions of at most M peers, least-recently-seen
 * evicted (a Map re-inserted on every touch is an LRU with O(1) operations).
 * Also the per-peer facts the API shows: agent, RTT, sessions count.
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
  lastSeen: number
  agentVersion: string | undefined
  rttMs: number | undefined
}

export interface PeerHistoryOptions {
  /** Most peers remembered (M). */
  maxPeers: number
  /** Sessions kept per peer (K). */
  sessionsPerPeer: number
  /** Session starts kept per peer for flapping (F). */
  startsPerPeer: number
  /** Called with each evicted record. */
  onEvict?: (record: PeerRecord) => void
}

export class PeerHistory {
  private readonly records = new Map<string, PeerRecord>()
  private readonly options: PeerHistoryOptions
  evictions = 0

  constructor (options: PeerHistoryOptions) {
    this.options = options
  }

  get size (): number {
    return this.records.size
  }

  get (peerId: string): PeerRecord | undefined {
    return this.records.get(peerId)
  }

  /** Records a session start; returns the record and the end of the previous session if remembered. */
  sessionStarted (peerId: string, direction: string, now: number): { record: PeerRecord, previousEnd: number | undefined, known: boolean } {
    let record = this.records.get(peerId)
    const known = record !== undefined
    if (record === undefined) {
      record = { peerId, sessions: 0, recent: [], starts: [], lastSeen: now, agentVersion: undefined, rttMs: undefined }
    } else {
      this.records.delete(peerId) // re-inserted below: most recently seen last
    }
    this.records.set(peerId, record)
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
    if (this.records.size > this.options.maxPeers) this.evictOldest()
    return { record, previousEnd, known }
  }

  /**
   * Marks the peer's open session ended. Recency is that of the last session start (one Map
   * move per session, not two), so a peer connected while M other peers started sessions may
   * be evicted: its record then only lives on in its session until that ends.
   */
  sessionEnded (record: PeerRecord, now: number): void {
    const last = record.recent[record.recent.length - 1]
    if (last !== undefined && last.endedAt === undefined) last.endedAt = now
    record.lastSeen = now
  }

  private evictOldest (): void {
    for (const record of this.records.values()) {
      this.records.delete(record.peerId)
      this.evictions++
      this.options.onEvict?.(record)
      return
    }
  }
}
