/**
 * Renders the peer-insight families at scrape time. O(exported series): fixed label sets,
 * the top versions per family, one prefix scan of the sessions for the stable core (it stops
 * at the first session younger than the smallest threshold), and the flapping peers.
 */
import { INSIGHT_METRICS } from './definitions.js'
import { IP_VERSIONS } from '../insight/address-family.js'
import { AGENT_FAMILIES, UNKNOWN_FAMILY } from '../insight/agent-family.js'
import { OTHER_VERSION, UNKNOWN_VERSION } from '../insight/agent-versions.js'
import { CLOSE_REASONS } from '../insight/close-reasons.js'
import { DIAL_ERROR_REASONS, DIAL_OUTCOMES } from '../insight/dial-errors.js'
import { PROTOCOL_CLASSES } from '../insight/protocols.js'
import type { PeerInsight } from '../insight/peer-insight.js'
import type { MetricSink } from './sink.js'
import type { PeerAccount } from '../tracker/peer-account.js'

/** min_age label and threshold, youngest first (the exposition order). */
export const STABLE_AGES: ReadonlyArray<readonly [string, number]> = [
  ['1h', 3_600_000], ['6h', 21_600_000], ['24h', 86_400_000], ['7d', 604_800_000]
]

const M = INSIGHT_METRICS
const labelsOf = (name: string, values: readonly string[]): string[] => values.map(v => `{${name}="${v}"}`)
const PROTOCOL_LABELS = labelsOf('protocol', PROTOCOL_CLASSES)
const IP_VERSION_LABELS = labelsOf('ip_version', IP_VERSIONS)
const OUTCOME_LABELS = labelsOf('outcome', DIAL_OUTCOMES)
const DIAL_REASON_LABELS = labelsOf('reason', DIAL_ERROR_REASONS)
const CLOSE_REASON_LABELS = labelsOf('reason', CLOSE_REASONS)
const STABLE_LABELS = labelsOf('min_age', STABLE_AGES.map(([label]) => label))
const RTT_BODIES = AGENT_FAMILIES.map(f => `agent="${f}"`)

export function collectInsight (w: MetricSink, insight: PeerInsight, tracker: PeerAccount, now: number): void {
  insight.settle(now)

  w.family(M.peersByAgent)
  const k = insight.options.topVersions
  for (let f = 0; f < AGENT_FAMILIES.length; f++) {
    const family = AGENT_FAMILIES[f] as string
    const { top, other } = insight.agentVersions.top(f, k)
    if (f === UNKNOWN_FAMILY) {
      w.sample(M.peersByAgent.name, `{agent="${family}",version="${UNKNOWN_VERSION}"}`, top[0]?.count ?? 0)
      continue
    }
    // Versions are digits and dots or `unknown` (see classifyAgent): nothing to escape.
    for (const { version, count } of top) w.sample(M.peersByAgent.name, `{agent="${family}",version="${version}"}`, count)
    w.sample(M.peersByAgent.name, `{agent="${family}",version="${OTHER_VERSION}"}`, other)
  }

  w.family(M.peersByProtocol)
  for (let i = 0; i < PROTOCOL_CLASSES.length; i++) w.sample(M.peersByProtocol.name, PROTOCOL_LABELS[i] as string, insight.peersByProtocol[i] as number)

  w.family(M.peersByIpVersion)
  for (let i = 0; i < IP_VERSIONS.length; i++) w.sample(M.peersByIpVersion.name, IP_VERSION_LABELS[i] as string, insight.peersByIpVersion[i] as number)

  w.family(M.dials)
  for (let i = 0; i < DIAL_OUTCOMES.length; i++) w.sample(M.dials.name, OUTCOME_LABELS[i] as string, insight.dials[DIAL_OUTCOMES[i] as typeof DIAL_OUTCOMES[number]])
  w.family(M.dialErrors)
  for (let i = 0; i < DIAL_ERROR_REASONS.length; i++) w.sample(M.dialErrors.name, DIAL_REASON_LABELS[i] as string, insight.dialErrors[DIAL_ERROR_REASONS[i] as typeof DIAL_ERROR_REASONS[number]])

  w.family(M.connectionCloseReasons)
  for (let i = 0; i < CLOSE_REASONS.length; i++) w.sample(M.connectionCloseReasons.name, CLOSE_REASON_LABELS[i] as string, insight.closeReasons.counts[CLOSE_REASONS[i] as typeof CLOSE_REASONS[number]])

  w.family(M.peerRtt)
  for (let f = 0; f < AGENT_FAMILIES.length; f++) {
    const h = insight.rtt[f]
    if (h !== undefined) w.histogram(M.peerRtt.name, RTT_BODIES[f] as string, h.bounds, h.cumulative(), h.sum, h.count)
  }

  w.family(M.flappingPeers)
  w.sample(M.flappingPeers.name, '', insight.flappingPeers(now))
  w.family(M.peerReconnects)
  w.sample(M.peerReconnects.name, '', insight.reconnects)

  w.family(M.peersSeen)
  w.sample(M.peersSeen.name, '', insight.seen.distinct)
  w.family(M.newPeers)
  w.sample(M.newPeers.name, '', insight.newPeers)
  w.family(M.returningPeers)
  w.sample(M.returningPeers.name, '', insight.returningPeers)

  w.family(M.stablePeers)
  const stable = stablePeers(tracker, now)
  for (let i = 0; i < STABLE_AGES.length; i++) w.sample(M.stablePeers.name, STABLE_LABELS[i] as string, stable[i] as number)

  w.family(M.ipsWithMultiplePeerIds)
  w.sample(M.ipsWithMultiplePeerIds.name, '', insight.ipPeers.ipsWithMultiplePeerIds)
  w.family(M.maxPeerIdsPerIp)
  w.sample(M.maxPeerIdsPerIp.name, '', insight.ipPeers.maxPeerIdsPerIp)

  w.family(M.rememberedPeers)
  w.sample(M.rememberedPeers.name, '', insight.history.size)
}

/**
 * Connected peers at least each STABLE_AGES threshold old. Sessions come oldest first, so one
 * scan counts every threshold and stops at the first session younger than the smallest.
 */
export function stablePeers (tracker: PeerAccount, now: number): number[] {
  const counts = STABLE_AGES.map(() => 0)
  const youngest = (STABLE_AGES[0] as readonly [string, number])[1]
  for (const session of tracker.sessionsByAge()) {
    const age = now - session.startedAt
    if (age < youngest) break
    for (let i = 0; i < STABLE_AGES.length; i++) {
      if (age >= (STABLE_AGES[i] as readonly [string, number])[1]) counts[i] = (counts[i] as number) + 1
      else break
    }
  }
  return counts
}
