/**
 * The read views of the tracker's peers (the JSON shapes of /api/v1/status and /api/v1/peers,
 * and what the library's peers() and peer() answer), built through the read model of a peer
 * (peer-read-model.ts), which the peer view's table uses too. No HTTP here: the service and
 * the HTTP server both read them.
 * Note for operators: peers' remote addresses (IPs) appear here, never in /metrics.
 */
import { PeerReadModel } from './peer-read-model.js'
import type { PeerInsight } from './peer-insight.js'
import type { MonitorRtts } from './peer-read-model.js'
import type { PeerSession, PeerAccount } from '../tracker/peer-account.js'

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

function peerView (session: PeerSession, model: PeerReadModel): PeerView {
  return {
    peerId: session.peerId,
    direction: session.direction,
    sessionStart: new Date(session.startedAt).toISOString(),
    durationSeconds: model.ageSeconds(session),
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
    rttMs: model.rttMs(session) ?? null
  }
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

function insightPeerView (session: PeerSession, model: PeerReadModel): InsightPeerView {
  return {
    ...peerView(session, model),
    agentFamily: model.agentFamily(session),
    agentFamilyVersion: model.agentFamilyVersion(session) ?? null,
    protocolClasses: model.protocolClasses(session),
    sessions: model.sessions(session),
    flapping: model.flapping(session.peerId)
  }
}

type Comparator = (a: PeerSession, b: PeerSession) => number
const COMPARATORS: Record<Exclude<PeerSort, 'duration'>, (model: PeerReadModel) => Comparator> = {
  // Sorted by the value each entry shows (unknown last), computed once per peer.
  rtt: (model) => {
    const rtts = new Map<PeerSession, number>()
    const rttOf = (s: PeerSession): number => {
      let rtt = rtts.get(s)
      if (rtt === undefined) { rtt = model.rttMs(s) ?? Infinity; rtts.set(s, rtt) }
      return rtt
    }
    return (a, b) => (rttOf(a) === rttOf(b) ? 0 : rttOf(a) < rttOf(b) ? -1 : 1) || a.startedAt - b.startedAt
  },
  peerId: () => (a, b) => a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0,
  sessions: (model) => (a, b) => model.sessions(b) - model.sessions(a) || a.startedAt - b.startedAt
}

/**
 * Connected peers with insight, sorted and limited. `duration` (longest-connected first) is
 * the tracker's own order: it stops after `limit` peers. Other sorts sort the sessions first
 * and build views for the first `limit` only.
 */
export function insightPeersView (tracker: PeerAccount, insight: PeerInsight, rttMs: MonitorRtts, query: PeersQuery): InsightPeerView[] {
  const model = new PeerReadModel(tracker, insight, rttMs)
  const limit = query.limit ?? Infinity
  const views: InsightPeerView[] = []
  const sessions = query.sort === 'duration' ? tracker.sessionsByAge() : [...tracker.sessionsByAge()].sort(COMPARATORS[query.sort](model))
  for (const session of sessions) {
    if (views.length >= limit) break
    views.push(insightPeerView(session, model))
  }
  return views
}

/** One peer, connected or remembered, with its last sessions; undefined when unknown. */
export function peerDetailView (tracker: PeerAccount, insight: PeerInsight, rttMs: MonitorRtts, peerId: string): PeerDetailView | undefined {
  const model = new PeerReadModel(tracker, insight, rttMs)
  const now = model.now
  const session = tracker.session(peerId)
  const record = (session === undefined ? undefined : insight.of(session)?.record) ?? insight.history.get(peerId)
  if (session === undefined && record === undefined) return undefined
  const peer = session === undefined ? null : insightPeerView(session, model)
  return {
    peerId,
    connected: session !== undefined,
    peer,
    agentVersion: peer?.agentVersion ?? record?.agentVersion ?? null,
    rttMs: peer?.rttMs ?? record?.rttMs ?? null,
    sessions: record?.sessions ?? 1,
    flapping: model.flapping(peerId),
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
