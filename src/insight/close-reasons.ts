/**
 * Why a connection ended, from what the adapter saw: whether this node asked for the close
 * (Connection.close/abort called here), its final status, the error it closed with, and
 * whether the tracker was shutting down. Pruning by the connection manager is known only
 * after the fact (libp2p emits `connection:prune` once the pruned connections closed), so a
 * local graceful close is held back for a grace period in which a prune event can claim it.
 */

export const CLOSE_REASONS = [
  'local', 'pruned', 'remote', 'reset', 'timeout', 'shutdown',
  /**
   * A polling source (src/sources) found the peer gone after polls that went unanswered, or
   * the watched node changed identity or restarted: the session ended somewhere in the gap.
   * A peer that leaves between two answered polls has no reason (the API does not say why).
   */
  'source_gap'
] as const
export type CloseReason = typeof CLOSE_REASONS[number]

export interface ClosedConnectionFacts {
  /** The tracker is stopping its node: every close from here on is a shutdown. */
  shuttingDown: boolean
  /** This node called close() or abort() on the connection. */
  closedLocally: boolean
  /** Connection.status after the close: closed, aborted or reset. */
  status: string
  /** The error the connection closed with, if any. */
  error: unknown
}

function isTimeout (err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false
  const { name, code, message } = err as { name?: unknown, code?: unknown, message?: unknown }
  return name === 'TimeoutError' || code === 'ETIMEDOUT' ||
    (typeof message === 'string' && /timed? ?out|timeout/i.test(message.slice(0, 256)))
}

/** The reason class; `local` may later become `pruned` (see CloseReasonCounter). */
export function classifyClose (facts: ClosedConnectionFacts): CloseReason {
  if (facts.shuttingDown) return 'shutdown'
  if (facts.error !== undefined && facts.error !== null) return isTimeout(facts.error) ? 'timeout' : 'reset'
  if (facts.status === 'reset' || facts.status === 'aborted') return 'reset'
  return facts.closedLocally ? 'local' : 'remote'
}

/** How long a local close waits for a `connection:prune` to claim it (libp2p prunes with a 1 s close timeout). */
export const PRUNE_GRACE_MS = 2000
/** Most local closes held back at once; beyond this the oldest is settled as `local`. */
export const MAX_PENDING_LOCAL_CLOSES = 4096

/** Told when a pending local close turns out to be a prune, with the tag it was recorded with. */
export type PrunedCallback<T> = (tag: T) => void

interface PendingClose<T> {
  at: number
  tag: T | undefined
}

/**
 * Counts close reasons. Local closes are pending until a prune claims them or the grace
 * period passes (settled on the next event or scrape): bounded, no timers. A local close may
 * carry a tag (the session history entry it set), handed to `onPruned` when a prune claims it.
 */
export class CloseReasonCounter<T = never> {
  readonly counts: Record<CloseReason, number> = { local: 0, pruned: 0, remote: 0, reset: 0, timeout: 0, shutdown: 0, source_gap: 0 }
  /** connection id -> the local close, oldest first. */
  private readonly pending = new Map<string, PendingClose<T>>()
  /** Connection ids a prune named before their close was seen. */
  private readonly prunedEarly = new Map<string, number>()
  private readonly onPruned: PrunedCallback<T> | undefined

  constructor (onPruned?: PrunedCallback<T>) {
    this.onPruned = onPruned
  }

  /** Counts a close; returns its reason as known now (`local` may still become `pruned`). */
  record (connectionId: string, reason: CloseReason, now: number, tag?: T): CloseReason {
    this.settle(now)
    if (reason !== 'local') { this.counts[reason]++; return reason }
    if (this.prunedEarly.delete(connectionId)) { this.counts.pruned++; return 'pruned' }
    this.pending.set(connectionId, { at: now, tag })
    if (this.pending.size > MAX_PENDING_LOCAL_CLOSES) this.settleOldest()
    return 'local'
  }

  /** libp2p's connection:prune: the named connections that closed locally were pruned. */
  pruned (connectionIds: readonly string[], now: number): void {
    for (const id of connectionIds) {
      const pending = this.pending.get(id)
      if (pending !== undefined) {
        this.pending.delete(id)
        this.counts.pruned++
        if (pending.tag !== undefined) this.onPruned?.(pending.tag)
      } else if (this.prunedEarly.size < MAX_PENDING_LOCAL_CLOSES) {
        this.prunedEarly.set(id, now)
      }
    }
    this.settle(now)
  }

  /** Counts local closes older than the grace period as `local`; `all` settles every one (shutdown). */
  settle (now: number, all = false): void {
    for (const [id, { at }] of this.pending) {
      if (!all && now - at < PRUNE_GRACE_MS) break
      this.pending.delete(id)
      this.counts.local++
    }
    for (const [id, at] of this.prunedEarly) {
      if (!all && now - at < PRUNE_GRACE_MS) break
      this.prunedEarly.delete(id) // the pruned connection stayed open (it had streams in use)
    }
  }

  get pendingLocal (): number {
    return this.pending.size
  }

  private settleOldest (): void {
    const first = this.pending.keys().next()
    if (first.done === true) return
    this.pending.delete(first.value)
    this.counts.local++
  }
}
