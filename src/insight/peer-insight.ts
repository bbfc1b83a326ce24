/**
 * Peer insight: clients, protocols, address families, churn, flapping, sybil signal, RTT,
 * dial outcomes and close reasons. Pure state, driven by the tracker (as its observer) and
 * by the adapter, with the tracker's clock; every count a gauge needs is kept incrementally,
 * so a scrape costs O(exported series) and never walks the history.
 */
import { TRACKER_DEFAULTS } from '../defaults.js'
import { SessionHistogram } from '../tracker/session-histogram.js'
import { IP_VERSIONS, IP_VERSION_INDEX, ipVersionOf, remoteIpOf } from './address-family.js'
import { AGENT_FAMILIES, AGENT_FAMILY_INDEX, OTHER_FAMILY, UNKNOWN_FAMILY, classifyAgent } from './agent-family.js'
import { AgentVersionCounts, OTHER_VERSION, UNKNOWN_VERSION } from './agent-versions.js'
import { CloseReasonCounter } from './close-reasons.js'
import { DIAL_ERROR_REASONS, classifyDialError } from './dial-errors.js'
import { IpPeerIndex } from './ip-peers.js'
import { PeerHistory } from './peer-history.js'
import { PROTOCOL_CLASSES, protocolMaskOf } from './protocols.js'
import { SeenPeers } from './seen-peers.js'
import type { CloseReason } from './close-reasons.js'
import type { DialErrorReason, DialOutcome } from './dial-errors.js'
import type { PeerRecord, SessionRecord } from './peer-history.js'
import type { FinishedSession, PeerSession, TrackedConnection, TrackerObserver } from '../tracker/peer-account.js'

/** What insight keeps on each connected peer's session (from when the session starts; see PeerInsight.of). */
export interface SessionInsight {
  /** Index into AGENT_FAMILIES. */
  family: number
  /** The key this peer is counted under in AgentVersionCounts. */
  versionKey: string
  /** major.minor from the agent string, for the API. */
  version: string | undefined
  protocolMask: number
  /** Index into IP_VERSIONS, from the connection that opened the session. */
  ipVersion: number
  rttMs: number | undefined
  record: PeerRecord
}

export interface PeerInsightOptions {
  /** A peer with at least this many session starts within flappingWindowMs is flapping. */
  flappingSessions: number
  flappingWindowMs: number
  /** Most peers remembered for history and flapping. */
  historyPeers: number
  /** Sessions remembered per peer. */
  historySessions: number
  /** Versions exported per agent family before the rest become `other`. */
  topVersions: number
}

/** The shared ones from src/defaults.ts; topVersions is insight's own. */
export const DEFAULT_INSIGHT_OPTIONS: PeerInsightOptions = {
  flappingSessions: TRACKER_DEFAULTS.flappingSessions,
  flappingWindowMs: TRACKER_DEFAULTS.flappingWindowMs,
  historyPeers: TRACKER_DEFAULTS.historyPeers,
  historySessions: TRACKER_DEFAULTS.historySessions,
  topVersions: 5
}

/** Round-trip buckets in seconds: loopback to intercontinental to a struggling link. */
export const RTT_BUCKETS_SECONDS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5, 5]

export class PeerInsight implements TrackerObserver {
  readonly options: PeerInsightOptions
  readonly agentVersions = new AgentVersionCounts()
  readonly peersByProtocol = new Float64Array(PROTOCOL_CLASSES.length)
  readonly peersByIpVersion = new Float64Array(IP_VERSIONS.length)
  readonly ipPeers = new IpPeerIndex()
  readonly seen = new SeenPeers()
  readonly history: PeerHistory
  /** A local close that ended a session carries that session's history entry, so a later prune relabels it. */
  readonly closeReasons = new CloseReasonCounter<EndedSession>(({ session, startedAt, record }) => {
    if (session.startedAt === startedAt && session.closeReason === 'local') { session.closeReason = 'pruned'; this.history.changed(record) }
  })
  readonly rtt: SessionHistogram[] = AGENT_FAMILIES.map(() => new SessionHistogram(RTT_BUCKETS_SECONDS))
  readonly dials: Record<DialOutcome, number> = { success: 0, failure: 0 }
  readonly dialErrors = Object.fromEntries(DIAL_ERROR_REASONS.map(r => [r, 0])) as Record<DialErrorReason, number>
  newPeers = 0
  returningPeers = 0
  reconnects = 0
  /** Every session started (equals new + returning). */
  sessionsStarted = 0
  /** peer ID -> time its flapping ends unless it starts another session. */
  private readonly flappingUntil = new Map<string, number>()
  private shuttingDown = false
  /** Each connected peer's session insight, by the tracker's session object (the tracker knows nothing of it). */
  private readonly sessionInsights = new WeakMap<PeerSession, SessionInsight>()

  constructor (options: Partial<PeerInsightOptions> = {}) {
    this.options = { ...DEFAULT_INSIGHT_OPTIONS, ...options }
    this.history = new PeerHistory({
      maxPeers: this.options.historyPeers,
      sessionsPerPeer: this.options.historySessions,
      startsPerPeer: this.options.flappingSessions,
      onEvict: (record) => { this.flappingUntil.delete(record.peerId) }
    })
  }

  // --- tracker observer: connection and session events -------------------------------------

  connectionOpened (connection: TrackedConnection): void {
    const ip = remoteIpOf(connection.remoteAddr)
    if (ip !== undefined) this.ipPeers.add(ip, connection.peerId)
  }

  connectionClosed (connection: TrackedConnection): void {
    const ip = remoteIpOf(connection.remoteAddr)
    if (ip !== undefined) this.ipPeers.remove(ip, connection.peerId)
  }

  sessionStarted (session: PeerSession, connection: TrackedConnection): void {
    const now = session.startedAt
    this.sessionsStarted++
    const { record, previousEnd, known } = this.history.sessionStarted(session.peerId, session.direction, now)
    // A remembered peer was seen before: only peers the history does not know need the filter.
    if (!known && this.seen.add(session.peerId)) this.newPeers++
    else this.returningPeers++
    const window = this.options.flappingWindowMs
    if (previousEnd !== undefined && now - previousEnd <= window) this.reconnects++
    const k = this.options.flappingSessions
    if (record.starts.length >= k) {
      const until = (record.starts[record.starts.length - k] as number) + window
      if (until > now) this.flappingUntil.set(session.peerId, until)
    }

    const ipVersion = IP_VERSION_INDEX[ipVersionOf(connection.remoteAddr, connection.transport === 'circuit')]
    this.peersByIpVersion[ipVersion] = (this.peersByIpVersion[ipVersion] as number) + 1
    const insight: SessionInsight = {
      family: UNKNOWN_FAMILY,
      versionKey: this.agentVersions.add(UNKNOWN_FAMILY, UNKNOWN_VERSION),
      version: undefined,
      protocolMask: 0,
      ipVersion,
      rttMs: undefined,
      record
    }
    this.sessionInsights.set(session, insight)
  }

  sessionEnded (session: PeerSession, finished: FinishedSession): void {
    const insight = this.sessionInsights.get(session)
    if (insight === undefined) return
    this.agentVersions.remove(insight.family, insight.versionKey)
    this.addMask(insight.protocolMask, -1)
    this.peersByIpVersion[insight.ipVersion] = (this.peersByIpVersion[insight.ipVersion] as number) - 1
    this.history.sessionEnded(insight.record, finished.endedAt)
  }

  /** identify (or identify push) told us the peer's agent and protocols; reclassify only what changed. */
  peerIdentified (session: PeerSession, previousAgent: string | undefined): void {
    const insight = this.sessionInsights.get(session)
    if (insight === undefined) return
    const agent = session.agentVersion
    if (insight.family === UNKNOWN_FAMILY || agent !== previousAgent) {
      const { family, version } = classifyAgent(agent)
      const familyIndex = AGENT_FAMILY_INDEX[family]
      this.agentVersions.remove(insight.family, insight.versionKey)
      insight.family = familyIndex
      insight.version = version
      insight.versionKey = this.agentVersions.add(familyIndex, versionKeyOf(familyIndex, version))
      insight.record.agentVersion = agent === undefined ? undefined : agent.slice(0, 256)
      this.history.changed(insight.record)
    }
    const mask = protocolMaskOf(session.protocols)
    if (mask !== insight.protocolMask) {
      this.addMask(insight.protocolMask, -1)
      this.addMask(mask, 1)
      insight.protocolMask = mask
    }
  }

  // --- fed by the adapter and the app --------------------------------------------------------

  /** A round trip measured to a connected peer (by libp2p's connection monitor or a ping). */
  rttSampled (session: PeerSession, rttMs: number): void {
    const insight = this.sessionInsights.get(session)
    if (insight === undefined || !Number.isFinite(rttMs) || rttMs < 0) return
    insight.rttMs = rttMs
    insight.record.rttMs = rttMs
    ;(this.rtt[insight.family] as SessionHistogram).observe(rttMs / 1000)
  }

  dialSucceeded (): void {
    this.dials.success++
  }

  dialFailed (err: unknown): DialErrorReason {
    const reason = classifyDialError(err)
    this.dials.failure++
    this.dialErrors[reason]++
    return reason
  }

  /** Why a connection closed (known just after the tracker saw the close). */
  connectionCloseClassified (connectionId: string, peerId: string, reason: CloseReason, now: number): void {
    const effective = this.shuttingDown ? 'shutdown' : reason
    const record = this.history.get(peerId)
    const last = record?.recent[record.recent.length - 1]
    // The close that ended the session (the tracker saw it just before) names the session's reason.
    const endsSession = last !== undefined && last.endedAt !== undefined && last.closeReason === undefined
    // The session entry object is reused once the peer's history is full: its start time tells it is still the same session.
    const counted = this.closeReasons.record(connectionId, effective, now, endsSession && record !== undefined ? { session: last, startedAt: last.startedAt, record } : undefined)
    if (endsSession) last.closeReason = counted
  }

  connectionsPruned (connectionIds: readonly string[], now: number): void {
    this.closeReasons.pruned(connectionIds, now)
  }

  /** From now on every close is a shutdown; local closes still pending are settled. */
  beginShutdown (now: number): void {
    this.shuttingDown = true
    this.closeReasons.settle(now, true)
  }

  /** What insight keeps on this connected peer's session; undefined for a session it was not told of. */
  of (session: PeerSession): SessionInsight | undefined {
    return this.sessionInsights.get(session)
  }

  /** The node runs again after a stop: closes are classified as usual. */
  endShutdown (): void {
    this.shuttingDown = false
  }

  get isShuttingDown (): boolean {
    return this.shuttingDown
  }

  // --- read at scrape time and by the API ----------------------------------------------------

  /**
   * Puts back what a store kept from before a restart (src/storage): the remembered peers,
   * least recently seen first, with their flapping state (from their session starts, as
   * sessionStarted finds it), and the Bloom filter of seen peers. Call before any session starts.
   */
  restore (records: readonly PeerRecord[], seen: { words: Uint32Array, distinct: number } | undefined, now: number): void {
    if (seen !== undefined) this.seen.restore(seen.words, seen.distinct)
    const k = this.options.flappingSessions
    for (const record of records) this.history.restore(record)
    for (const record of records) {
      if (this.history.get(record.peerId) !== record || record.starts.length < k) continue
      const until = (record.starts[record.starts.length - k] as number) + this.options.flappingWindowMs
      if (until > now) this.flappingUntil.set(record.peerId, until)
    }
  }

  /** Peers flapping now; drops the ones whose window has passed (O(flapping peers)). */
  flappingPeers (now: number): number {
    for (const [peerId, until] of this.flappingUntil) {
      if (until <= now) this.flappingUntil.delete(peerId)
    }
    return this.flappingUntil.size
  }

  isFlapping (peerId: string, now: number): boolean {
    const until = this.flappingUntil.get(peerId)
    return until !== undefined && until > now
  }

  /** Settles pending local closes whose prune grace period has passed. */
  settle (now: number): void {
    this.closeReasons.settle(now)
  }

  private addMask (mask: number, delta: number): void {
    for (let bit = 0; mask !== 0; bit++, mask >>>= 1) {
      if ((mask & 1) !== 0) this.peersByProtocol[bit] = (this.peersByProtocol[bit] as number) + delta
    }
  }
}

/** The history entry of a session a local close ended, while a prune may still claim that close. */
interface EndedSession {
  session: SessionRecord
  startedAt: number
  record: PeerRecord
}

/** The version label a family's peer is counted under: `unknown` for no agent, `other` for unknown clients. */
function versionKeyOf (family: number, version: string | undefined): string {
  if (family === UNKNOWN_FAMILY) return UNKNOWN_VERSION
  if (family === OTHER_FAMILY) return OTHER_VERSION
  return version ?? UNKNOWN_VERSION
}
