/**
 * The HTTP side of /api/v1/peers: its query string. The views it answers with are built in
 * src/insight/peer-views.ts.
 */
import { MAX_PEERS_LIMIT, PEER_SORTS } from '../insight/peer-views.js'
import type { PeerSort, PeersQuery } from '../insight/peer-views.js'

/** Validates ?sort= and ?limit=; the error is one line naming the parameter. */
export function parsePeersQuery (query: Record<string, unknown>): { query: PeersQuery } | { error: string } {
  const sort = query.sort ?? 'duration'
  if (typeof sort !== 'string' || !(PEER_SORTS as readonly string[]).includes(sort)) {
    return { error: `sort: must be one of ${PEER_SORTS.join(', ')}` }
  }
  let limit: number | undefined
  if (query.limit !== undefined) {
    if (typeof query.limit !== 'string' || !/^\d{1,7}$/.test(query.limit)) return { error: `limit: must be a whole number from 1 to ${MAX_PEERS_LIMIT}` }
    limit = Number(query.limit)
    if (limit < 1 || limit > MAX_PEERS_LIMIT) return { error: `limit: must be a whole number from 1 to ${MAX_PEERS_LIMIT}` }
  }
  return { query: { sort: sort as PeerSort, limit } }
}
