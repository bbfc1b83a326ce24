/**
 * The composition root for a polling source (--source=beacon-api or kubo-rpc): no libp2p node
 * of its own. A list of parts (src/app/parts.ts), started in order and stopped in reverse:
 * - the wait for HTTP's close (src/app/serve.ts, HttpClosing), stopped last;
 * - the node's API, its credentials and CA read first (a bad file fails before anything
 *   listens), its connections closed after the store;
 * - the store (--storage.path), closed after the polls stop, so every session their stop
 *   closes is written to it first;
 * - the polls, started later in the background; their stop closes every session as shutdown;
 * - HTTP (src/app/serve.ts), its close begun before the polls stop and waited for last;
 * - the final peer report, a stop only, logged while the sessions are still open;
 * - the startup, in the background (`startup`): the node is asked who it is (retried every
 *   interval while it does not answer; /-/ready answers 503 until then), the store is claimed
 *   for that node and its history restored, then the polls, the periodic report and readiness
 *   start as parts of their own, stopped in reverse when the startup part stops: it aborts the
 *   startup and waits for it first.
 * 'stopped' is logged once every part has stopped.
 */
import { Parts } from './app/parts.js'
import { HttpClosing, serveTracker } from './app/serve.js'
import { openStore } from './app/store.js'
import { peerReport, startPeerReports } from './report.js'
import { survivedErrorReporter } from './service/survived-error.js'
import { TrackerState } from './service/tracker-state.js'
import { createNodeApi } from './sources/create-api.js'
import { PollingTracker } from './sources/polling-tracker.js'
import { DIRECTIONS } from './tracker/connection-labels.js'
import { ReliabilityCounters } from './tracker/reliability-counters.js'
import { buildInfo } from './version.js'
import { WebConfigSource } from './web-security/web-config-source.js'
import type { Config, PollingSourceConfig } from './config/config.js'
import type { Logger } from './log.js'
import type { TrackerStorage } from './storage/tracker-storage.js'
import type { Clock } from './tracker/clock.js'
import type { ConnectionLabels } from './tracker/connection-labels.js'

export interface RunningPollingTracker {
  /** The tracker fed by the polls: state, health, the watched node. */
  polling: PollingTracker
  http: { host: string, port: number }
  /** Stops everything in order and logs the final report; safe to call twice. */
  stop: () => Promise<void>
  /**
   * Resolves once the node has said who it is, the store (--storage.path) is claimed for it and
   * the polls run; rejects when that fails: a StoreError (a store of another node: exit 2) or a fault.
   */
  startup: Promise<void>
}

export interface PollingStartOptions {
  clock?: Clock
  reliability?: ReliabilityCounters
}

export async function startPollingTracker (config: Config, source: PollingSourceConfig, log: Logger, { clock, reliability = new ReliabilityCounters() }: PollingStartOptions = {}): Promise<RunningPollingTracker> {
  const startedAt = Date.now()
  const parts = new Parts(log)
  const httpClosing = new HttpClosing()
  await parts.start('http server closed', () => httpClosing.wait) // stopped last: the close HTTP's stop began
  const api = await parts.open('node api', () => {
    const api = createNodeApi(source)
    return { value: api, stop: () => { api.close() } }
  })
  const webConfig = config.webAccess.configFile === undefined
    ? undefined
    : new WebConfigSource(config.webAccess.configFile, { log, onReloadError: () => { reliability.internalErrors.count('web_config_reload') } })
  const state = new TrackerState({
    ...(clock === undefined ? {} : { clock }),
    knownConnectionLabels: pollingConnectionLabels(),
    maxPeerSeries: config.tracker.maxPeerSeries,
    ...config.insight,
    reliability,
    buildInfo: buildInfo(),
    startTimeSeconds: Math.floor(startedAt / 1000)
  })
  const polling = new PollingTracker(api, state, { intervalMs: source.intervalMs, rttSampleIntervalMs: config.insight.rttSampleIntervalMs, log })
  const storage = await parts.open('store', async () => await openStore(config, log))
  await parts.start('polls', () => async () => { await polling.stop() }) // started by the startup, below; stopped whether it got there or not

  let ready = false
  const peerId = (): string => polling.description?.peerId ?? ''
  const http = await parts.open('http server', async () => await serveTracker({
    families: polling,
    peerId,
    listenAddrs: () => polling.description?.listenAddrs ?? [],
    counts: () => state.counts(),
    moreStatus: () => ({ source: sourceStatus(source, polling) }),
    peers: (query) => state.peers(query),
    peer: (id) => state.peer(id),
    account: { tracker: state.account, insight: state.insight, monitorRtts: () => state.rtts() },
    isReady: () => ready
  }, { closing: httpClosing, config, log, webConfig, reliability, startedAt }))
  log.info({ address: `${http.host}:${http.port}`, telemetryPath: config.web.telemetryPath, source: source.kind, url: source.url }, 'serving metrics')
  await parts.start('final peer report', () => () => { log.info(peerReport(state.account, config.tracker.reportPeers), 'final peer report') })

  // Until the node answers who it is: not ready, no polls of peers, the store not yet claimed.
  const startedLater = new Parts(log)
  const abort = new AbortController()
  const startup = (async () => {
    const node = await polling.describe(abort.signal)
    if (node === undefined) return
    await restore(storage, polling, node.peerId, { config, log, reliability })
    if (abort.signal.aborted) return
    await startedLater.start('polls', () => { polling.start() }) // stopped by the 'polls' part above, after the final report
    await startedLater.start('peer report', () => startPeerReports(state.account, { intervalMs: config.tracker.reportIntervalMs, peers: config.tracker.reportPeers, reliability, log }))
    await startedLater.start('readiness', () => {
      ready = true
      return () => { ready = false }
    })
  })()
  await parts.start('startup', () => async () => {
    abort.abort()
    await startup.catch(() => {}) // its failure is the caller's (startup), not the stop's
    await startedLater.stopAll()
  })

  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= parts.stopAll().then(() => { log.info(peerReport(state.account, 0), 'stopped') })
    await stopping
  }
  return { polling, http, stop, startup }
}

/** The store belongs to the watched node: claimed (or refused), then its history restored and written in batches. */
async function restore (storage: TrackerStorage | undefined, polling: PollingTracker, peerId: string, { config, log, reliability }: { config: Config, log: Logger, reliability: ReliabilityCounters }): Promise<void> {
  if (storage === undefined) return
  await storage.claim({ source: polling.health.kind, peerId })
  const account = polling.state.account
  const restored = await storage.restore(polling.state.insight, () => Array.from(account.sessionsByAge(), s => s.peerId), () => account.now())
  log.info(restored, 'storage opened')
  storage.startFlushing(config.storage.flushIntervalMs, {
    onFlushError: (err) => { survivedErrorReporter(reliability, log)('storage', err, 'error while writing history to the store (retried with the next batch)') }
  })
}

/** The source as /api/v1/status shows it: never the credentials (the URL holds none). */
function sourceStatus (source: PollingSourceConfig, polling: PollingTracker): Record<string, unknown> {
  const node = polling.description
  const health = polling.health
  return {
    kind: source.kind,
    url: source.url,
    up: health.up,
    intervalSeconds: source.intervalMs / 1000,
    lastSuccess: health.lastSuccessAt === undefined ? null : new Date(health.lastSuccessAt).toISOString(),
    agentVersion: node?.agentVersion ?? null,
    peersEndpoint: node?.peersEndpoint ?? null
  }
}

/** Both directions over TCP and QUIC (what Kubo and the consensus clients listen on), encryption and muxer unknown (no API says them): exported as 0 from the start. */
function pollingConnectionLabels (): ConnectionLabels[] {
  return DIRECTIONS.flatMap(direction => (['tcp', 'quic'] as const).map(transport => ({ direction, transport, encryption: 'unknown' as const, muxer: 'unknown' as const })))
}
