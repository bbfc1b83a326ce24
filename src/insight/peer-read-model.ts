/**
 * The read model of a connected peer: what the tracker shows of it, read from the account (its
 * session and connections) and peer insight (agent family, sessions, flapping, RTT) at one
 * instant. The JSON API and the library's peers()/peer() (src/insight/peer-views.ts) and the peer view's table (src/http/peer-view/views.ts)
 * both build their rows from it, so a peer shows the same RTT, agent family, session count,
 * flapping state and age in both.
 *
 * Made once per request (it holds that request's `now` and RTT lookup); each value is computed
 * when asked, so a sort over every connected peer reads only the column it sorts by.
 */
import { AGENT_FAMILIES } from './agent-family.js'
import { protocolClassesOfMask } from './protocols.js'
import type { AgentFamily } from './agent-family.js'
import type { PeerInsight } from './peer-insight.js'
import type { PeerSession, PeerAccount } from '../tracker/peer-account.js'

/** The RTT of libp2p's connection monitor per peer (ms), when it has one. */
export type MonitorRtts = (peerId: string) => number | undefined

export class PeerReadModel {
  /** The instant every value is read at (the account's clock, ms). */
  readonly now: number
  private readonly insight: PeerInsight
  private readonly monitorRttMs: MonitorRtts

  constructor (tracker: PeerAccount, insight: PeerInsight, monitorRttMs: MonitorRtts) {
    this.now = tracker.now()
    this.insight = insight
    this.monitorRttMs = monitorRttMs
  }

  /** The RTT shown and sorted by: the last sample (a ping or the monitor, as insight took it), else the connection monitor's current value. */
  rttMs (session: PeerSession): number | undefined {
    return this.insight.of(session)?.rttMs ?? this.monitorRttMs(session.peerId)
  }

  /** Client family from the agent string (`unknown` before identify). */
  agentFamily (session: PeerSession): AgentFamily {
    return AGENT_FAMILIES[this.insight.of(session)?.family ?? AGENT_FAMILIES.length - 1] ?? 'unknown'
  }

  /** major.minor from the agent string, when it has one. */
  agentFamilyVersion (session: PeerSession): string | undefined {
    return this.insight.of(session)?.version
  }

  /** Allow-listed protocol classes the peer speaks. */
  protocolClasses (session: PeerSession): string[] {
    return protocolClassesOfMask(this.insight.of(session)?.protocolMask ?? 0)
  }

  /** Sessions of this peer while remembered, the current one included. */
  sessions (session: PeerSession): number {
    return this.insight.of(session)?.record.sessions ?? 1
  }

  flapping (peerId: string): boolean {
    return this.insight.isFlapping(peerId, this.now)
  }

  /** Age of the current session in seconds, at millisecond precision. */
  ageSeconds (session: PeerSession): number {
    return Math.max(0, Math.round(this.now - session.startedAt)) / 1000
  }

  /** Distinct transport/encryption/muxer stacks of the peer's open connections, e.g. `tcp/noise/yamux`, in connection order. */
  stacks (session: PeerSession): string[] {
    const stacks: string[] = []
    for (const c of session.connections) {
      const stack = `${c.transport}/${c.encryption}/${c.muxer}`
      if (!stacks.includes(stack)) stacks.push(stack)
    }
    return stacks
  }
}
