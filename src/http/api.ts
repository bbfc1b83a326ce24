/**
 * The JSON shapes of /api/v1/status and /api/v1/peers, built from the tracker's state.
 * Note for operators: peers' remote addresses (IPs) appear here, never in /metrics.
 */
import { AGENT_FAMILIES } from '../insight/agent-family.js'
import { protocolClassesOfMask } from '../insight/protocols.js'
import type { PeerInsight } from '../insight/peer-insight.js'
import type { PeerSession, PeerTracker } from '../tracker/peer-tracker.js'

export interface StatusView {
  peerId: string
  listenAddrs: string[]
  version: string
  uptimeSeconds: number
  connectedPeers: number
  openConnections: number
  peerConnects: number
  peerDisconnects: number
}

export interface ConnectionView {
  id: string
  direction: string
  remoteAddr: string
  transport: string
  encryption: string
  muxer: string
  openedAt: string
}

export interface PeerView {
  peerId: string
  direction: string
  sessionStart: string
  durationSeconds: number
  remoteAddrs: string[]
  connections: ConnectionView[]
  agentVersion: string | null
  protocols: readonly string[]
  rttMs: number | null
}

export function peerView (session: PeerSession, now: number, rttMs: number | undefined): PeerView {
  return {
    peerId: session.peerId,
    direction: session.direction,
    sessionStart: new Date(session.startedAt).toISOString(),
    durationSeconds: Math.max(0, Math.round(now - session.startedAt)) / 1000,
    remoteAddrs: [...new Set(session.connections.map(c => c.remoteAddr))],
    connections: session.connections.map(c => ({
      id: c.id,
      direction: c.direction,
      remoteAddr: c.remoteAddr,
      transport: c.transport,
      encryption: c.encryption,
      muxer: c.muxer,
      openedAt: new Date(c.openedAt).toISOString()
    })),
    agentVersion: session.agentVersion ?? null,
    protocols: session.protocols ?? [],
    rttMs: rttMs ?? null
  }
}

/** Connected peers, longest-connected first. */
export function peersView (tracker: PeerTracker, rttMs: (peerId: string) => number | undefined): PeerView[] {
  const now = tracker.now()
  const views: PeerView[] = []
  for (const session of tracker.sessionsByAge()) views.push(peerView(session, now, rttMs(session.peerId)))
  return views
}

// --- peer insight: /api/v1/peers?sort=&limit= and /api/v1/peers/{peerId} -------------------

export const PEER_SORTS = ['duration', 'rtt', 'peerId', 'sessions'] as const
export type PeerSort = typeof PEER_SORTS[number]
export const MAX_PEERS_LIMIT = 100_000

export interface PeersQuery {
  sort: PeerSort
  limit: number | undefined
}

export interface InsightPeerView extends PeerView {
  /** Client family from the agent string (`unknown` before identify). */
  agentFamily: string
  /** major.minor from the agent string, when it has one. */
  agentFamilyVersion: string | null
  /** Allow-listed protocol classes the peer speaks (docs/metrics.md, "Peer insight"). */
  protocolClasses: string[]
  /** Sessions of this peer while remembered, the current one included. */
  sessions: number
  flapping: boolean
}

export interface SessionHistoryView {
  start: string
  end: string | null
  durationSeconds: number
  direction: string
  closeReason: string | null
}

export interface PeerDetailView {
  peerId: string
  connected: boolean
  /** Present when connected. */
  peer: InsightPeerView | null
  agentVersion: string | null
  rttMs: number | null
  sessions: number
  flapping: boolean
  lastSeen: string
  /** When the first remembered session started (kept across restarts with --storage.path). */
  firstSeen: string | null
  /** The last sessions, newest first (at most --tracker.history-sessions). */
  history: SessionHistoryView[]
}

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

/** The RTT shown for a peer and sorted by: the last sample, else the connection monitor's current value. */
function shownRttMs (session: PeerSession, monitorRttMs: (peerId: string) => number | undefined, insight: PeerInsight): number | undefined {
  return insight.of(session)?.rttMs ?? monitorRttMs(session.peerId)
}

function insightPeerView (session: PeerSession, now: number, monitorRttMs: (peerId: string) => number | undefined, insight: PeerInsight): InsightPeerView {
  const i = insight.of(session)
  return {
    ...peerView(session, now, shownRttMs(session, monitorRttMs, insight)),
    agentFamily: AGENT_FAMILIES[i?.family ?? AGENT_FAMILIES.length - 1] ?? 'unknown',
    agentFamilyVersion: i?.version ?? null,
    protocolClasses: protocolClassesOfMask(i?.protocolMask ?? 0),
    sessions: i?.record.sessions ?? 1,
    flapping: insight.isFlapping(session.peerId, now)
  }
}

type Comparator = (a: PeerSession, b: PeerSession) => number
const COMPARATORS: Record<Exclude<PeerSort, 'duration'>, (monitorRttMs: (peerId: string) => number | undefined, insight: PeerInsight) => Comparator> = {
  // Sorted by the value each entry shows (unknown last), computed once per peer.
  rtt: (monitorRttMs, insight) => {
    const rtts = new Map<PeerSession, number>()
    const rttOf = (s: PeerSession): number => {
      let rtt = rtts.get(s)
      if (rtt === undefined) { rtt = shownRttMs(s, monitorRttMs, insight) ?? Infinity; rtts.set(s, rtt) }
      return rtt
    }
    return (a, b) => (rttOf(a) === rttOf(b) ? 0 : rttOf(a) < rttOf(b) ? -1 : 1) || a.startedAt - b.startedAt
  },
  peerId: () => (a, b) => a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0,
  sessions: (_, insight) => (a, b) => (insight.of(b)?.record.sessions ?? 1) - (insight.of(a)?.record.sessions ?? 1) || a.startedAt - b.startedAt
}

/**
 * Connected peers with insight, sorted and limited. `duration` (longest-connected first) is
 * the tracker's own order: it stops after `limit` peers. Other sorts sort the sessions first
 * and build views for the first `limit` only.
 */
export function insightPeersView (tracker: PeerTracker, insight: PeerInsight, rttMs: (peerId: string) => number | undefined, query: PeersQuery): InsightPeerView[] {
  const now = tracker.now()
  const limit = query.limit ?? Infinity
  const views: InsightPeerView[] = []
  if (query.sort === 'duration') {
    for (const session of tracker.sessionsByAge()) {
      if (views.length >= limit) break
      views.push(insightPeerView(session, now, rttMs, insight))
    }
    return views
  }
  const sessions = [...tracker.sessionsByAge()].sort(COMPARATORS[query.sort](rttMs, insight))
  for (const session of sessions) {
    if (views.length >= limit) break
    views.push(insightPeerView(session, now, rttMs, insight))
  }
  return views
}

/** One peer, connected or remembered, with its last sessions; undefined when unknown. */
export function peerDetailView (tracker: PeerTracker, insight: PeerInsight, rttMs: (peerId: string) => number | undefined, peerId: string): PeerDetailView | undefined {
  const now = tracker.now()
  const session = tracker.session(peerId)
  const record = (session === undefined ? undefined : insight.of(session)?.record) ?? insight.history.get(peerId)
  if (session === undefined && record === undefined) return undefined
  const peer = session === undefined ? null : insightPeerView(session, now, rttMs, insight)
  return {
    peerId,
    connected: session !== undefined,
    peer,
    agentVersion: peer?.agentVersion ?? record?.agentVersion ?? null,
    rttMs: peer?.rttMs ?? record?.rttMs ?? null,
    sessions: record?.sessions ?? 1,
    flapping: insight.isFlapping(peerId, now),
    lastSeen: new Date(session === undefined ? record?.lastSeen ?? now : now).toISOString(),
    firstSeen: record === undefined ? null : new Date(record.firstSeen).toISOString(),
    history: (record?.recent ?? []).slice().reverse().map(r => ({
      start: new Date(r.startedAt).toISOString(),
      end: r.endedAt === undefined ? null : new Date(r.endedAt).toISOString(),
      durationSeconds: Math.max(0, (r.endedAt ?? now) - r.startedAt) / 1000,
      direction: r.direction,
      closeReason: r.closeReason ?? null
    }))
  }
}
