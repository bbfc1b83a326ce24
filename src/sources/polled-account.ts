/**
 * Feeds the tracker's state (account and insight) from polls, as src/service/libp2p-events.ts
 * feeds it from a libp2p node's events: each answered poll's difference from the last one
 * becomes connection opened/closed and peer identified calls, with the same rules (a peer's
 * session starts with its first connection and ends with its last). A poll that went
 * unanswered is never applied: nothing closes, nothing opens.
 */
import { diffConnections } from './connection-set.js'
import type { PolledConnection, PolledPeer, Snapshot } from './connection-set.js'
import type { CloseReason } from '../insight/close-reasons.js'
import type { TrackerState } from '../service/tracker-state.js'

export interface PolledAccountOptions {
  /** At most one RTT sample per peer this often (--tracker.rtt-sample-interval); 0: none. */
  rttSampleIntervalMs: number
  /** Told of each session that started or ended (for the peer event log). */
  onSession?: (event: 'connected' | 'disconnected', peerId: string, detail: { direction: string, durationSeconds?: number }) => void
}

export interface AppliedPoll {
  opened: number
  closed: number
}

export class PolledAccount {
  private readonly state: TrackerState
  private readonly options: PolledAccountOptions
  /** The connections of the last applied poll, by id. */
  private known = new Map<string, PolledConnection>()
  /** What each connected peer last said (agent and protocols), to tell identify only of changes. */
  private readonly identified = new Map<string, string>()
  private readonly lastRttSample = new Map<string, number>()

  constructor (state: TrackerState, options: PolledAccountOptions) {
    this.state = state
    this.options = options
  }

  /**
   * Applies an answered poll. New connections open first, then the missing ones close, so a
   * peer listed in both polls keeps its session even if its connections changed in between.
   * `closeReason` classifies the closes (source_gap after unanswered polls); none: the API does not say why.
   */
  apply (snapshot: Snapshot, closeReason?: CloseReason): AppliedPoll {
    const { opened, closed } = diffConnections(this.known, snapshot.connections)
    for (const connection of opened) this.open(connection)
    for (const connection of closed) this.close(connection, closeReason)
    this.known = new Map(snapshot.connections.map(c => [c.id, c]))
    for (const [peerId, facts] of snapshot.peers) this.learn(peerId, facts)
    return { opened: opened.length, closed: closed.length }
  }

  /** Closes every known connection (the watched node changed, or the tracker stops). */
  closeAll (reason: CloseReason): number {
    const all = [...this.known.values()]
    for (const connection of all) this.close(connection, reason)
    this.known.clear()
    return all.length
  }

  get connections (): number {
    return this.known.size
  }

  private open (connection: PolledConnection): void {
    const session = this.state.account.connectionOpened(connection)
    if (session !== undefined) this.options.onSession?.('connected', session.peerId, { direction: session.direction })
  }

  private close (connection: PolledConnection, reason: CloseReason | undefined): void {
    const account = this.state.account
    const finished = account.connectionClosed(connection.id)
    if (reason !== undefined) this.state.insight.connectionCloseClassified(connection.id, connection.peerId, reason, account.now())
    if (finished === undefined) return
    this.identified.delete(finished.peerId)
    this.lastRttSample.delete(finished.peerId)
    this.options.onSession?.('disconnected', finished.peerId, { direction: finished.direction, durationSeconds: finished.durationSeconds })
  }

  /** Agent and protocols as identify would report them (only when they change), and an RTT sample. */
  private learn (peerId: string, facts: PolledPeer): void {
    const session = this.state.account.session(peerId)
    if (session === undefined) return
    if (facts.agentVersion !== undefined || facts.protocols !== undefined) {
      const key = `${facts.agentVersion ?? ''}\n${(facts.protocols ?? []).join('\n')}`
      if (this.identified.get(peerId) !== key) {
        this.identified.set(peerId, key)
        this.state.account.peerIdentified(peerId, facts.agentVersion, facts.protocols ?? [])
      }
    }
    this.sampleRtt(peerId, facts.rttMs)
  }

  private sampleRtt (peerId: string, rttMs: number | undefined): void {
    const interval = this.options.rttSampleIntervalMs
    if (rttMs === undefined || interval <= 0) return
    const session = this.state.account.session(peerId)
    if (session === undefined) return
    const now = this.state.account.now()
    const last = this.lastRttSample.get(peerId)
    if (last !== undefined && now - last < interval) return
    this.lastRttSample.set(peerId, now)
    this.state.insight.rttSampled(session, rttMs)
  }
}
