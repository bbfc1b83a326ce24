/**
 * One poll's answer as the tracker keeps it, and the difference between two polls. Pure: no
 * network, no clock. A Beacon API lists peers (one connection each); Kubo lists connections
 * (several may lead to one peer). Either way a poll is a set of connections with stable ids,
 * and the diff of two sets is what the libp2p service would have seen as events.
 */
import type { ConnectionLabels } from '../tracker/connection-labels.js'

/** A connection as a poll lists it. `id` is stable across polls for the same connection. */
export interface PolledConnection extends ConnectionLabels {
  id: string
  peerId: string
  remoteAddr: string
}

/** What a poll says about a connected peer beyond its connections (bounded before it gets here). */
export interface PolledPeer {
  agentVersion: string | undefined
  protocols: readonly string[] | undefined
  /** The node's own round-trip estimate, in ms. */
  rttMs: number | undefined
}

/** One answered poll. */
export interface Snapshot {
  connections: PolledConnection[]
  peers: Map<string, PolledPeer>
}

export interface ConnectionDiff {
  /** In this poll and not in the last one. */
  opened: PolledConnection[]
  /** In the last poll and not in this one. */
  closed: PolledConnection[]
}

/** O(previous + current). */
export function diffConnections (previous: ReadonlyMap<string, PolledConnection>, current: readonly PolledConnection[]): ConnectionDiff {
  const seen = new Set<string>()
  const opened: PolledConnection[] = []
  for (const connection of current) {
    seen.add(connection.id)
    if (!previous.has(connection.id)) opened.push(connection)
  }
  const closed: PolledConnection[] = []
  for (const [id, connection] of previous) {
    if (!seen.has(id)) closed.push(connection)
  }
  return { opened, closed }
}

/**
 * Ids for entries that may repeat: the n-th entry with the same key gets `key#n`, so two
 * connections a Kubo node lists alike (same peer, address and direction) stay two.
 */
export function uniqueIds<T> (entries: readonly T[], keyOf: (entry: T) => string): string[] {
  const counts = new Map<string, number>()
  return entries.map(entry => {
    const key = keyOf(entry)
    const n = counts.get(key) ?? 0
    counts.set(key, n + 1)
    return n === 0 ? key : `${key}#${n}`
  })
}
