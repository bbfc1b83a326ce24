/**
 * The composition root for a polling source (--source=beacon-api or kubo-rpc): no libp2p node
 * of its own. The API's credentials and CA are read first (a bad file fails before anything
 * listens), then the store opens and HTTP listens. Then, in the background (`startup`), the
 * node is asked who it is (retried every interval while it does not answer; /-/ready answers
 * 503 until then), the store is claimed for that node and its history restored, and the polls
 * start. Stopping closes every session as shutdown, writes the last batch and closes the server.
 */
import { closeServer } from './server-close.js'
import { boundAddress, createHttpApp, listen } from './http/server.js'
import { DEFAULT_HISTORY_CAPACITY, DEFAULT_SAMPLE_INTERVAL_MS, PeerCountHistory } from './http/peer-view/peer-count-history.js'
import { HistorySampler } from './http/peer-view/history-sampler.js'
import { peerViewRouter } from './http/peer-view/routes.js'
import { ProcessMetrics } from './metrics/process-metrics.js'
import { MetricsScraper } from './metrics/scrape.js'
import { peerReport } from './report.js'
import { guardedTask, timerDelay } from './service/periodic-task.js'
import { survivedErrorReporter } from './service/survived-error.js'
import { TrackerState } from './service/tracker-state.js'
import { createNodeApi } from './sources/create-api.js'
import { PollingTracker } from './sources/polling-tracker.js'
import { TrackerStorage } from './storage/tracker-storage.js'
import { DIRECTIONS } from './tracker/connection-labels.js'
import { ReliabilityCounters } from './tracker/reliability-counters.js'
import { NAME, VERSION, buildInfo } from './version.js'
import { accessControl } from './web-security/access.js'
import { requestLimit } from './web-security/request-limit.js'
import { WebConfigSource } from './web-security/web-config-source.js'
import { followWebConfig, httpsServerOptions } from './web-security/tls-server.js'
import type { Config, PollingSourceConfig } from './config/config.js'
import type { Server } from './http/server.js'
import type { Logger } from './log.js'
import type { Clock } from './tracker/clock.js'
import type { ConnectionLabels } from './tracker/connection-labels.js'
import type { Server as HttpsServer } from 'node:https'

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

interface Parts {
  config: Config
  source: PollingSourceConfig
  log: Logger
  startedAt: number
  polling: PollingTracker
  storage: TrackerStorage | undefined
  webConfig: WebConfigSource | undefined
  reliability: ReliabilityCounters
}

export async function startPollingTracker (config: Config, source: PollingSourceConfig, log: Logger, options: PollingStartOptions = {}): Promise<RunningPollingTracker> {
  const startedAt = Date.now()
  const reliability = options.reliability ?? new ReliabilityCounters()
  const api = createNodeApi(source)
  const webConfig = config.webAccess.configFile === undefined
    ? undefined
    : new WebConfigSource(config.webAccess.configFile, { log, onReloadError: () => { reliability.internalErrors.count('web_config_reload') } })
  const state = new TrackerState({
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    knownConnectionLabels: pollingConnectionLabels(),
    maxPeerSeries: config.tracker.maxPeerSeries,
    ...config.insight,
    reliability,
    buildInfo: buildInfo(),
    startTimeSeconds: Math.floor(startedAt / 1000)
  })
  const polling = new PollingTracker(api, state, { intervalMs: source.intervalMs, rttSampleIntervalMs: config.insight.rttSampleIntervalMs, log })
  let storage: TrackerStorage | undefined
  try {
    storage = config.storage.path === undefined ? undefined : await TrackerStorage.open(config.storage.path)
    return await run({ config, source, log, startedAt, polling, storage, webConfig, reliability })
  } catch (err) {
    api.close()
    await storage?.close().catch((closeErr: unknown) => { log.error({ err: closeErr }, 'error while closing the store') })
    throw err
  }
}

async function run (parts: Parts): Promise<RunningPollingTracker> {
  const { config, log, polling } = parts
  let ready = false
  const peerCountHistory = new PeerCountHistory({ capacity: DEFAULT_HISTORY_CAPACITY, intervalMs: DEFAULT_SAMPLE_INTERVAL_MS, clock: { now: Date.now } })
  const historySampler = samplerFor(parts, peerCountHistory)
  const server = await serve(parts, peerCountHistory, () => ready)
  const http = boundAddress(server)
  log.info({ address: `${http.host}:${http.port}`, telemetryPath: config.web.telemetryPath, source: parts.source.kind, url: parts.source.url }, 'serving metrics')
  historySampler.start()
  const abort = new AbortController()
  let stopReport = (): void => {}
  // Until the node answers who it is: not ready, no polls of peers, the store not yet claimed.
  const startup = (async () => {
    const node = await polling.describe(abort.signal)
    if (node === undefined) return
    await restore(parts, node.peerId)
    if (abort.signal.aborted) return
    polling.start()
    ready = true
    stopReport = startReport(parts)
  })()
  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      ready = false
      abort.abort()
      await startup.catch(() => {}) // its failure is the caller's (startup), not the stop's
      stopReport()
      const serverClosed = closeServer(server)
      historySampler.stop()
      log.info(peerReport(polling.state.account, config.tracker.reportPeers), 'final peer report')
      await polling.stop()
      await parts.storage?.close().catch((err: unknown) => { log.error({ err, component: 'storage' }, 'error while writing the last batch to the store') })
      await serverClosed
      log.info(peerReport(polling.state.account, 0), 'stopped')
    })()
    await stopping
  }
  return { polling, http, stop, startup }
}

/** The store belongs to the watched node: claimed (or refused), then its history restored and written in batches. */
async function restore ({ config, log, polling, storage, reliability }: Parts, peerId: string): Promise<void> {
  if (storage === undefined) return
  await storage.claim({ source: polling.health.kind, peerId })
  const account = polling.state.account
  const restored = await storage.restore(polling.state.insight, () => Array.from(account.sessionsByAge(), s => s.peerId), () => account.now())
  log.info(restored, 'storage opened')
  storage.startFlushing(config.storage.flushIntervalMs, {
    onFlushError: (err) => { survivedErrorReporter(reliability, log)('storage', err, 'error while writing history to the store (retried with the next batch)') }
  })
}

async function serve (parts: Parts, history: PeerCountHistory, isReady: () => boolean): Promise<Server> {
  const { config, log, polling, webConfig, reliability, startedAt } = parts
  const state = polling.state
  const peerId = (): string => polling.description?.peerId ?? ''
  const app = createHttpApp({
    telemetryPath: config.web.telemetryPath,
    scraper: new MetricsScraper(polling, config.web.disableExporterMetrics ? undefined : new ProcessMetrics()),
    log,
    isReady,
    landing: () => ({ name: NAME, version: VERSION, peerId: peerId(), telemetryPath: config.web.telemetryPath }),
    status: () => ({
      peerId: peerId(),
      listenAddrs: polling.description?.listenAddrs ?? [],
      version: VERSION,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      ...state.counts(),
      source: sourceStatus(parts)
    }),
    peers: (query) => state.peers(query),
    peer: (id) => state.peer(id),
    middleware: [
      requestLimit(config.webAccess.maxRequests, ['/-/healthy', '/-/ready']),
      ...(webConfig === undefined ? [] : [accessControl(webConfig)])
    ],
    peerApiEnabled: !config.webAccess.disablePeerApi,
    onInternalError: () => { reliability.internalErrors.count('http') },
    peerView: peerViewRouter({
      account: { tracker: state.account, insight: state.insight, monitorRtts: () => state.rtts() },
      history,
      page: () => ({ name: NAME, version: VERSION, peerId: peerId(), telemetryPath: config.web.telemetryPath }),
      peerApiEnabled: !config.webAccess.disablePeerApi
    })
  })
  const tls = webConfig === undefined ? undefined : httpsServerOptions(webConfig.current())
  const server = await listen(app, config.web.host, config.web.port, tls === undefined ? {} : { tls })
  if (tls !== undefined && webConfig !== undefined) followWebConfig(server as HttpsServer, webConfig, log)
  return server
}

/** The source as /api/v1/status shows it: never the credentials (the URL holds none). */
function sourceStatus ({ source, polling }: Parts): Record<string, unknown> {
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

function samplerFor ({ polling, reliability, log }: Parts, history: PeerCountHistory): HistorySampler {
  const account = polling.state.account
  return new HistorySampler({
    history,
    read: () => ({ peers: account.connectedPeers, opened: account.totalConnects(), closed: account.totalDisconnects() }),
    onError: (err) => { survivedErrorReporter(reliability, log)('http', err, 'error while sampling the peer count for the peer view') }
  })
}

function startReport ({ config, polling, reliability, log }: Parts): () => void {
  if (config.tracker.reportIntervalMs <= 0) return () => {}
  const timer = setInterval(guardedTask('report', reliability, log, () => { log.info(peerReport(polling.state.account, config.tracker.reportPeers), 'peer report') }), timerDelay(config.tracker.reportIntervalMs))
  timer.unref()
  return () => { clearInterval(timer) }
}

/** Both directions over TCP and QUIC (what Kubo and the consensus clients listen on), encryption and muxer unknown (no API says them): exported as 0 from the start. */
function pollingConnectionLabels (): ConnectionLabels[] {
  return DIRECTIONS.flatMap(direction => (['tcp', 'quic'] as const).map(transport => ({ direction, transport, encryption: 'unknown' as const, muxer: 'unknown' as const })))
}
