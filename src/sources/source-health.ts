/**
 * The polling source's own health, as libp2p_tracker_source_* (SOURCE_METRICS): up, polls by
 * result, poll durations, the interval, the last success, node changes and what the node runs.
 * Pure counters; rendered at scrape time after the tracker's families.
 */
import { classifyAgent } from '../insight/agent-family.js'
import { SOURCE_METRICS as M } from '../metrics/definitions.js'
import { formatLabels } from '../metrics/exposition.js'
import { SessionHistogram } from '../tracker/session-histogram.js'
import { POLL_RESULTS } from './http-source.js'
import type { PollResult } from './http-source.js'
import type { PollingSourceKind } from '../config/config.js'
import type { MetricSink } from '../metrics/sink.js'

/** Poll durations, seconds: a local API answers in milliseconds, the timeout is seconds. */
export const POLL_DURATION_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export const NODE_CHANGES = ['identity', 'restart'] as const
export type NodeChange = typeof NODE_CHANGES[number]

const RESULT_LABELS = POLL_RESULTS.map(r => formatLabels(['result'], [r]))
const CHANGE_LABELS = NODE_CHANGES.map(c => formatLabels(['change'], [c]))

export class SourceHealth {
  readonly kind: PollingSourceKind
  readonly intervalMs: number
  up = false
  /** ms since the epoch of the last successful poll's end. */
  lastSuccessAt: number | undefined
  readonly polls = Object.fromEntries(POLL_RESULTS.map(r => [r, 0])) as Record<PollResult, number>
  readonly durations = new SessionHistogram(POLL_DURATION_BUCKETS_SECONDS)
  readonly nodeChanges: Record<NodeChange, number> = { identity: 0, restart: 0 }
  private infoLabels: string

  constructor (kind: PollingSourceKind, intervalMs: number) {
    this.kind = kind
    this.intervalMs = intervalMs
    this.infoLabels = formatLabels(M.sourceInfo.labels, [kind, 'unknown', 'unknown'])
  }

  /** What the node runs (its version string), as a bounded family and major.minor. */
  nodeAgent (agentVersion: string | undefined): void {
    const { family, version } = classifyAgent(agentVersion)
    this.infoLabels = formatLabels(M.sourceInfo.labels, [this.kind, family, version ?? 'unknown'])
  }

  polled (result: PollResult, seconds: number, endedAt: number): void {
    this.polls[result]++
    this.durations.observe(seconds)
    this.up = result === 'success'
    if (this.up) this.lastSuccessAt = endedAt
  }

  collect (w: MetricSink): void {
    w.family(M.sourceUp)
    w.sample(M.sourceUp.name, '', this.up ? 1 : 0)
    w.family(M.sourcePolls)
    POLL_RESULTS.forEach((r, i) => { w.sample(M.sourcePolls.name, RESULT_LABELS[i] as string, this.polls[r]) })
    w.family(M.sourcePollDuration)
    const h = this.durations
    w.histogram(M.sourcePollDuration.name, '', h.bounds, h.cumulative(), h.sum, h.count)
    w.family(M.sourcePollInterval)
    w.sample(M.sourcePollInterval.name, '', this.intervalMs / 1000)
    w.family(M.sourceLastSuccess)
    w.sample(M.sourceLastSuccess.name, '', this.lastSuccessAt === undefined ? 0 : this.lastSuccessAt / 1000)
    w.family(M.sourceNodeChanges)
    NODE_CHANGES.forEach((c, i) => { w.sample(M.sourceNodeChanges.name, CHANGE_LABELS[i] as string, this.nodeChanges[c]) })
    w.family(M.sourceInfo)
    w.sample(M.sourceInfo.name, this.infoLabels, 1)
  }
}

/**
 * The libp2p source (the tracker's own js-libp2p node): always up, since the account is fed by
 * the node's events directly, and which libp2p it runs (major.minor, as for a watched node).
 * So `libp2p_tracker_source_up` and `_source_info` mean the same thing whatever the source.
 */
export class OwnNodeSource {
  private readonly infoLabels: string

  constructor (libp2pVersion: string) {
    const { family, version } = classifyAgent(`js-libp2p/${libp2pVersion}`)
    this.infoLabels = formatLabels(M.sourceInfo.labels, ['libp2p', family, version ?? 'unknown'])
  }

  collect (w: MetricSink): void {
    w.family(M.sourceUp)
    w.sample(M.sourceUp.name, '', 1)
    w.family(M.sourceInfo)
    w.sample(M.sourceInfo.name, this.infoLabels, 1)
  }
}
