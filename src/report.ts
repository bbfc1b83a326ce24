/** The periodic peer report: how many peers, and the longest-connected ones (a bounded list). */
import type { PeerAccount } from './tracker/peer-account.js'

export interface PeerReport {
  connectedPeers: number
  openConnections: number
  connects: number
  disconnects: number
  longestConnected: Array<{ peerId: string, direction: string, durationSeconds: number, agentVersion: string | undefined }>
}

export function peerReport (tracker: PeerAccount, limit: number): PeerReport {
  const now = tracker.now()
  const longestConnected: PeerReport['longestConnected'] = []
  for (const session of tracker.sessionsByAge()) {
    if (longestConnected.length >= limit) break
    longestConnected.push({
      peerId: session.peerId,
      direction: session.direction,
      durationSeconds: Math.round(Math.max(0, now - session.startedAt) / 1000),
      agentVersion: session.agentVersion
    })
  }
  return {
    connectedPeers: tracker.connectedPeers,
    openConnections: tracker.openConnections,
    connects: tracker.totalConnects(),
    disconnects: tracker.totalDisconnects(),
    longestConnected
  }
}
