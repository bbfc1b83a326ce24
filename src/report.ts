/**
 * The periodic peer report: how many peers, and the longest-connected ones (a bounded list),
 * logged every --tracker.report-interval by both compositions (src/app.ts, src/app-polling.ts).
 */
import { guardedTask, timerDelay } from './service/periodic-task.js'
import type { Logger } from './log.js'
import type { PeerAccount } from './tracker/peer-account.js'
import type { ReliabilityCounters } from './tracker/reliability-counters.js'

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

/** Logs peerReport every intervalMs (none when 0); a report that throws is counted and the timer goes on. Returns its stop. */
export function startPeerReports (tracker: PeerAccount, { intervalMs, peers, reliability, log }: { intervalMs: number, peers: number, reliability: ReliabilityCounters, log: Logger }): () => void {
  if (intervalMs <= 0) return () => {}
  const timer = setInterval(guardedTask('report', reliability, log, () => { log.info(peerReport(tracker, peers), 'peer report') }), timerDelay(intervalMs))
  timer.unref()
  return () => { clearInterval(timer) }
}
