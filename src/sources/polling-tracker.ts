/**
 * A tracker fed by polling a node's API: the tracker state, the API, the source's health and
 * the poll loop. Each poll asks the node who it is, then for its connected set; an answered
 * poll is diffed into the account, an unanswered one changes nothing (source_up 0, one log
 * line when the source goes down, one when it answers again). After a gap, or when another
 * node (or a restarted one) answers, the peers that are gone close with reason source_gap.
 */
import { PeerEventLog } from '../service/peer-event-log.js'
import { PollError } from './http-source.js'
import { PolledAccount } from './polled-account.js'
import { PollLoop } from './poll-loop.js'
import { SourceHealth } from './source-health.js'
import type { NodeApi, NodeDescription, NodeIdentity } from './node-api.js'
import type { PollFailure } from './http-source.js'
import type { MetricSink } from '../metrics/sink.js'
import type { TrackerLogger } from '../service/logger.js'
import type { TrackerState } from '../service/tracker-state.js'

export interface PollingTrackerOptions {
  intervalMs: number
  /** --tracker.rtt-sample-interval: RTT samples from the node's latency, at most one per peer this often. */
  rttSampleIntervalMs: number
  log: TrackerLogger
  /** Wall clock for the last-success timestamp (ms since the epoch). Default Date.now. */
  wallClock?: () => number
}

export class PollingTracker {
  readonly state: TrackerState
  readonly health: SourceHealth
  private readonly api: NodeApi
  private readonly options: PollingTrackerOptions
  private readonly account: PolledAccount
  private readonly events: PeerEventLog
  private readonly loop: PollLoop
  private node: NodeDescription | undefined
  /** A failure since the last answered poll: the next answer reconciles with source_gap. */
  private downSince: number | undefined
  private lastFailure: PollFailure | undefined

  constructor (api: NodeApi, state: TrackerState, options: PollingTrackerOptions) {
    this.api = api
    this.state = state
    this.options = options
    this.health = new SourceHealth(api.kind, options.intervalMs)
    this.events = new PeerEventLog(options.log)
    this.account = new PolledAccount(state, {
      rttSampleIntervalMs: options.rttSampleIntervalMs,
      onSession: (event, peerId, detail) => { this.logSession(event, peerId, detail) }
    })
    this.loop = new PollLoop(options.intervalMs, async () => { await (this.node === undefined ? this.describeOnce() : this.pollOnce()) })
  }

  /** The watched node, once it has answered. */
  get description (): NodeDescription | undefined {
    return this.node
  }

  /** The tracker's families, then the source's. */
  collect (sink: MetricSink): void {
    this.state.collect(sink)
    this.health.collect(sink)
  }

  /** Asks who the node is until it answers (every interval), without polling peers; undefined when stopped first. */
  async describe (signal?: AbortSignal): Promise<NodeDescription | undefined> {
    while (signal?.aborted !== true) {
      if (await this.describeOnce()) return this.node
      await sleep(this.options.intervalMs, signal)
    }
    return undefined
  }

  /** Polls every interval (describing the node first if it has not answered yet). */
  start (): void {
    this.loop.start()
  }

  /** Stops polling; every session is closed as shutdown, as the libp2p node's stop closes its connections. */
  async stop (): Promise<void> {
    await this.loop.stop()
    this.state.insight.beginShutdown(this.state.account.now())
    this.account.closeAll('shutdown')
    this.events.close()
    this.api.close()
  }

  /** One poll: identity, then the connected set, applied only when both answered. */
  async pollOnce (): Promise<void> {
    const started = performance.now()
    try {
      const identity = await this.api.identity()
      const snapshot = await this.api.poll()
      this.followNode(identity)
      const applied = this.account.apply(snapshot, this.downSince === undefined ? undefined : 'source_gap')
      this.succeeded(started, applied.closed)
    } catch (err) {
      this.failed(started, err)
    }
  }

  /** true when the node answered who it is. */
  private async describeOnce (): Promise<boolean> {
    const started = performance.now()
    try {
      const node = await this.api.describe()
      this.node = node
      this.health.nodeAgent(node.agentVersion)
      this.options.log.info({ source: this.api.kind, peerId: node.peerId, agentVersion: node.agentVersion, peersEndpoint: node.peersEndpoint }, 'watching node')
      this.succeeded(started, 0)
      return true
    } catch (err) {
      this.failed(started, err)
      return false
    }
  }

  /** Another peer ID, or a restart the API shows: the old node's peers close as source_gap. */
  private followNode (identity: NodeIdentity): void {
    const node = this.node
    if (node === undefined) return
    const change = identity.peerId !== node.peerId
      ? 'identity'
      : identity.restartMarker !== undefined && node.restartMarker !== undefined && identity.restartMarker < node.restartMarker ? 'restart' : undefined
    this.node = { ...node, ...identity }
    if (change === undefined) return
    this.health.nodeChanges[change]++
    const closed = this.account.closeAll('source_gap')
    this.options.log.warn({ change, previousPeerId: node.peerId, peerId: identity.peerId, closedConnections: closed }, change === 'identity' ? 'the watched node has another identity: its old peers are closed' : 'the watched node restarted: its old peers are closed')
    void this.refreshAgent()
  }

  private async refreshAgent (): Promise<void> {
    try {
      const node = await this.api.describe()
      this.node = node
      this.health.nodeAgent(node.agentVersion)
    } catch {
      // the next identity check tries again only on another change; the info keeps the old version
    }
  }

  private succeeded (started: number, closedInGap: number): void {
    this.health.polled('success', (performance.now() - started) / 1000, (this.options.wallClock ?? Date.now)())
    if (this.downSince === undefined) return
    this.options.log.info({ source: this.api.kind, downSeconds: Math.round((performance.now() - this.downSince) / 1000), closedInGap }, 'source answers again')
    this.downSince = undefined
    this.lastFailure = undefined
  }

  /** Logged when the source goes down or fails in another way, not at every failed poll. */
  private failed (started: number, err: unknown): void {
    const result = err instanceof PollError ? err.result : 'bad_response'
    this.health.polled(result, (performance.now() - started) / 1000, (this.options.wallClock ?? Date.now)())
    if (!(err instanceof PollError)) this.options.log.error({ err, source: this.api.kind }, 'error while applying a poll (counted as bad_response)')
    if (this.downSince !== undefined && this.lastFailure === result) return
    this.downSince ??= started
    this.lastFailure = result
    this.options.log.warn({ source: this.api.kind, result, err: (err as Error)?.message }, 'source poll failed: the account stays as last seen until the node answers')
  }

  private logSession (event: 'connected' | 'disconnected', peerId: string, detail: { direction: string, durationSeconds?: number }): void {
    const connectedPeers = this.state.account.connectedPeers
    if (event === 'connected') this.events.connected({ peerId, direction: detail.direction, connectedPeers })
    else this.events.disconnected({ peerId, direction: detail.direction, durationSeconds: Math.round((detail.durationSeconds ?? 0) * 1000) / 1000, connectedPeers })
  }
}

async function sleep (ms: number, signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>(resolve => {
    const timer = setTimeout(done, ms)
    function done (): void { clearTimeout(timer); signal?.removeEventListener('abort', done); resolve() }
    signal?.addEventListener('abort', done, { once: true })
  })
}
