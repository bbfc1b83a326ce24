/**
 * The JSON the peer view polls, computed at request time from the tracker's account and
 * bounded in size whatever the number of peers:
 *
 * - overview: counts now, the agent-family mix, dials and dial failures by reason
 *   (O(families × versions) + O(flapping peers), independent of the peer count);
 * - peer table: one page of connected peers, filtered and sorted on the server (O(n log n) in
 *   the connected peers for the sort, rows built for the page only, at most MAX_TABLE_LIMIT).
 */
import { AGENT_FAMILIES } from '../../insight/agent-family.js'
import { DIAL_ERROR_REASONS } from '../../insight/dial-errors.js'
import { PeerReadModel } from '../../insight/peer-read-model.js'
import type { PeerInsight } from '../../insight/peer-insight.js'
import type { PeerSession, PeerAccount } from '../../tracker/peer-account.js'

/** What the views read: the tracker, its insight, and RTTs from libp2p's connection monitor. */
export interface PeerViewAccount {
  tracker: PeerAccount
  insight: PeerInsight
  /** A lookup of the connection monitor's RTT per peer (ms), made once per request. */
  monitorRtts: () => (peerId: string) => number | undefined
}

export interface OverviewView {
  /** When this was computed (ISO 8601). */
  time: string
  connectedPeers: number
  openConnections: number
  /** Sessions opened and closed since start (all directions). */
  sessionsOpened: number
  sessionsClosed: number
  flappingPeers: number
  /** Connected peers per agent family, most first; families with none are left out. */
  agentFamilies: Array<{ family: string, peers: number }>
  dials: { success: number, failure: number }
  /** Failed outbound dials since start by reason, every reason, most first. */
  dialErrors: Array<{ reason: string, count: number }>
  /** false under --web.disable-peer-api: the page shows no table. */
  peerApi: boolean
}

export function overviewView (account: PeerViewAccount, peerApi: boolean, wallNow: number): OverviewView {
  const { tracker, insight } = account
  const agentFamilies: OverviewView['agentFamilies'] = []
  for (let f = 0; f < AGENT_FAMILIES.length; f++) {
    const { top, other } = insight.agentVersions.top(f, Number.MAX_SAFE_INTEGER)
    const peers = top.reduce((sum, v) => sum + v.count, other)
    if (peers > 0) agentFamilies.push({ family: AGENT_FAMILIES[f] as string, peers })
  }
  agentFamilies.sort((a, b) => b.peers - a.peers || (a.family < b.family ? -1 : 1))
  const dialErrors = DIAL_ERROR_REASONS.map(reason => ({ reason, count: insight.dialErrors[reason] }))
    .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1))
  return {
    time: new Date(wallNow).toISOString(),
    connectedPeers: tracker.connectedPeers,
    openConnections: tracker.openConnections,
    sessionsOpened: tracker.totalConnects(),
    sessionsClosed: tracker.totalDisconnects(),
    flappingPeers: insight.flappingPeers(tracker.now()),
    agentFamilies,
    dials: { success: insight.dials.success, failure: insight.dials.failure },
    dialErrors,
    peerApi
  }
}

// --- the peer table -------------------------------------------------------------------------

export const TABLE_SORTS = ['peerId', 'agent', 'direction', 'transport', 'age', 'rtt', 'sessions', 'flapping'] as const
export type TableSort = typeof TABLE_SORTS[number]
/** The order of each column when none is asked for: the most telling peers first. */
export const DEFAULT_ORDER: Readonly<Record<TableSort, 'asc' | 'desc'>> = {
  peerId: 'asc', agent: 'asc', direction: 'asc', transport: 'asc', age: 'desc', rtt: 'asc', sessions: 'desc', flapping: 'desc'
}
export const DEFAULT_TABLE_LIMIT = 50
export const MAX_TABLE_LIMIT = 500
export const MAX_FILTER_CHARS = 128

export interface PeerTableQuery {
  sort: TableSort
  order: 'asc' | 'desc'
  limit: number
  offset: number
  /** Case-insensitive substring of the peer ID, agent, direction, transport/muxer or remote address; '' matches every peer. */
  filter: string
}

export interface PeerTableRow {
  peerId: string
  agentVersion: string | null
  agentFamily: string
  direction: string
  /** Distinct transport/encryption/muxer stacks of the peer's open connections, e.g. `tcp/noise/yamux`. */
  transports: string[]
  connections: number
  /** The first connection's remote address. */
  remoteAddr: string
  ageSeconds: number
  rttMs: number | null
  sessions: number
  flapping: boolean
}

export interface PeerTableView {
  /** Connected peers that match the filter (all pages). */
  total: number
  /** Connected peers. */
  connectedPeers: number
  offset: number
  limit: number
  sort: TableSort
  order: 'asc' | 'desc'
  filter: string
  rows: PeerTableRow[]
}

function one (query: Record<string, unknown>, name: string): string | undefined | { error: string } {
  const value = query[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') return { error: `${name}: give it once, as a plain value` }
  return value
}

/** Validates ?sort=&order=&limit=&offset=&filter=; the error is one line naming the parameter. */
export function parsePeerTableQuery (query: Record<string, unknown>): { query: PeerTableQuery } | { error: string } {
  const sort = one(query, 'sort') ?? 'age'
  if (typeof sort !== 'string') return sort
  if (!(TABLE_SORTS as readonly string[]).includes(sort)) return { error: `sort: must be one of ${TABLE_SORTS.join(', ')}` }
  const order = one(query, 'order') ?? DEFAULT_ORDER[sort as TableSort]
  if (typeof order !== 'string') return order
  if (order !== 'asc' && order !== 'desc') return { error: 'order: must be asc or desc' }
  const limitText = one(query, 'limit') ?? String(DEFAULT_TABLE_LIMIT)
  if (typeof limitText !== 'string') return limitText
  const limit = /^\d{1,4}$/.test(limitText) ? Number(limitText) : NaN
  if (!(limit >= 1 && limit <= MAX_TABLE_LIMIT)) return { error: `limit: must be a whole number from 1 to ${MAX_TABLE_LIMIT}` }
  const offsetText = one(query, 'offset') ?? '0'
  if (typeof offsetText !== 'string') return offsetText
  if (!/^\d{1,9}$/.test(offsetText)) return { error: 'offset: must be a whole number from 0' }
  const filter = one(query, 'filter') ?? ''
  if (typeof filter !== 'string') return filter
  if (filter.length > MAX_FILTER_CHARS) return { error: `filter: at most ${MAX_FILTER_CHARS} characters` }
  return { query: { sort: sort as TableSort, order, limit, offset: Number(offsetText), filter: filter.trim().toLowerCase() } }
}

function matches (model: PeerReadModel, session: PeerSession, filter: string): boolean {
  if (session.peerId.toLowerCase().includes(filter)) return true
  if (session.agentVersion?.toLowerCase().includes(filter) === true) return true
  if (model.agentFamily(session).includes(filter) || session.direction.includes(filter)) return true
  for (const c of session.connections) {
    if (c.remoteAddr.toLowerCase().includes(filter)) return true
    if (`${c.transport}/${c.encryption}/${c.muxer}`.includes(filter)) return true
  }
  return false
}

/** null: unknown (an RTT not measured yet, an agent before identify), last in either order. */
type Key = string | number | null
function keyOf (sort: TableSort, session: PeerSession, model: PeerReadModel): Key {
  switch (sort) {
    case 'peerId': return session.peerId
    case 'agent': return session.agentVersion ?? null
    case 'direction': return session.direction
    case 'transport': return model.stacks(session).join(' ')
    case 'age': return model.now - session.startedAt
    case 'rtt': return model.rttMs(session) ?? null
    case 'sessions': return model.sessions(session)
    case 'flapping': return model.flapping(session.peerId) ? 1 : 0
  }
}

/**
 * One page of the connected peers that match the filter, sorted by a column, unknown values
 * last (ties: longest connected first, then peer ID, so pages are stable between requests).
 */
export function peerTableView (account: PeerViewAccount, query: PeerTableQuery): PeerTableView {
  const { tracker, insight } = account
  const model = new PeerReadModel(tracker, insight, account.monitorRtts())

  const entries: Array<{ session: PeerSession, key: Key }> = []
  for (const session of tracker.sessionsByAge()) {
    if (query.filter !== '' && !matches(model, session, query.filter)) continue
    entries.push({ session, key: keyOf(query.sort, session, model) })
  }
  const direction = query.order === 'asc' ? 1 : -1
  entries.sort((a, b) => {
    if (a.key !== b.key) {
      if (a.key === null) return 1
      if (b.key === null) return -1
      return (a.key < b.key ? -1 : 1) * direction
    }
    return a.session.startedAt - b.session.startedAt || (a.session.peerId < b.session.peerId ? -1 : a.session.peerId > b.session.peerId ? 1 : 0)
  })

  const rows: PeerTableRow[] = []
  for (const { session } of entries.slice(query.offset, query.offset + query.limit)) {
    rows.push({
      peerId: session.peerId,
      agentVersion: session.agentVersion ?? null,
      agentFamily: model.agentFamily(session),
      direction: session.direction,
      transports: model.stacks(session),
      connections: session.connections.length,
      remoteAddr: session.connections[0]?.remoteAddr ?? '',
      ageSeconds: model.ageSeconds(session),
      rttMs: model.rttMs(session) ?? null,
      sessions: model.sessions(session),
      flapping: model.flapping(session.peerId)
    })
  }
  return {
    total: entries.length,
    connectedPeers: tracker.connectedPeers,
    offset: query.offset,
    limit: query.limit,
    sort: query.sort,
    order: query.order,
    filter: query.filter,
    rows
  }
}
