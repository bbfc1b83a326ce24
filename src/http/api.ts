/**
 * The JSON shapes of /api/v1/status and /api/v1/peers, built from the tracker's state.
 * Note for operators: peers' remote addresses (IPs) appear here, never in /metrics.
 */
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
