/**
 * The CLI's HTTP server, one wiring for both compositions (src/app.ts, src/app-polling.ts):
 * /metrics with process metrics, the request limit then access control (basic auth, headers)
 * before every route, the JSON API, the peer view with its peer-count history (sampled every
 * 5 s for an hour, started and stopped with the server), HTTPS when the web config file has
 * tls_server_config (its certificates followed on reload), and listen(). What differs between
 * the compositions (the families, the node's facts, the readers of its peers) comes in as
 * TrackerHttpSources.
 */
import { boundAddress, createHttpApp, listen } from '../http/server.js'
import { DEFAULT_HISTORY_CAPACITY, DEFAULT_SAMPLE_INTERVAL_MS, PeerCountHistory } from '../http/peer-view/peer-count-history.js'
import { HistorySampler } from '../http/peer-view/history-sampler.js'
import { peerViewRouter } from '../http/peer-view/routes.js'
import { ProcessMetrics } from '../metrics/process-metrics.js'
import { MetricsScraper } from '../metrics/scrape.js'
import { survivedErrorReporter } from '../service/survived-error.js'
import { NAME, VERSION } from '../version.js'
import { accessControl } from '../web-security/access.js'
import { requestLimit } from '../web-security/request-limit.js'
import { followWebConfig, httpsServerOptions } from '../web-security/tls-server.js'
import type { Config } from '../config/config.js'
import type { LandingInfo } from '../http/landing.js'
import type { HttpSources, Server } from '../http/server.js'
import type { PeerViewAccount } from '../http/peer-view/views.js'
import type { StatusView } from '../insight/peer-views.js'
import type { Logger } from '../log.js'
import type { FamilyCollector } from '../metrics/scrape.js'
import type { ReliabilityCounters } from '../tracker/reliability-counters.js'
import type { WebConfigSource } from '../web-security/web-config-source.js'
import type { Opened } from './parts.js'
import type { Server as HttpsServer } from 'node:https'

/** What a composition serves: its node's facts and the readers of its peers. */
export interface TrackerHttpSources {
  /** The tracker's families (the process metrics are added unless --web.disable-exporter-metrics). */
  families: FamilyCollector
  /** The tracked node's peer ID ('' while a polled node has not said it). */
  peerId: () => string
  listenAddrs: () => string[]
  /** The counts of /api/v1/status. */
  counts: () => Pick<StatusView, 'connectedPeers' | 'openConnections' | 'peerConnects' | 'peerDisconnects'>
  /** More fields of /api/v1/status (a polling source's `source`). */
  moreStatus?: () => Record<string, unknown>
  peers: HttpSources['peers']
  peer: NonNullable<HttpSources['peer']>
  /** The peer view's account: the tracker, its insight and the RTTs. */
  account: PeerViewAccount
  isReady: () => boolean
}

/**
 * The HTTP server's close, in two steps: its part's stop (serveTracker's) only begins it, and a
 * part started before the store and the node waits for it, after they stopped. A slow close
 * (requests in flight, up to closeServer's 2 s) then holds up neither the node's stop nor the
 * store's last batch, and 'stopped' still comes after the server closed.
 */
export class HttpClosing {
  private closed: Promise<void> = Promise.resolve()

  /** The close serveTracker's stop began. */
  began (closed: Promise<void>): void {
    this.closed = closed
  }

  /** The stop of the part that waits for the close: start it before the store. */
  readonly wait = async (): Promise<void> => {
    await this.closed
  }
}

export interface TrackerHttpContext {
  /** Where the stop's close is awaited (see HttpClosing). */
  closing: HttpClosing
  config: Config
  log: Logger
  webConfig: WebConfigSource | undefined
  reliability: ReliabilityCounters
  /** Wall-clock ms of the start, for uptimeSeconds. */
  startedAt: number
}

/** Where the server listens, with the port the OS chose when the flag said 0. */
export interface HttpAddress {
  host: string
  port: number
}

/**
 * Listens (a taken port throws here) and starts the peer-count sampler; the stop stops the
 * sampler and begins the close (stops accepting, lets requests in flight finish: closeServer),
 * which `closing` waits for.
 */
export async function serveTracker (sources: TrackerHttpSources, { closing, config, log, webConfig, reliability, startedAt }: TrackerHttpContext): Promise<Opened<HttpAddress>> {
  const reportError = survivedErrorReporter(reliability, log) // counted and logged under one component
  const account = sources.account.tracker
  const history = new PeerCountHistory({ capacity: DEFAULT_HISTORY_CAPACITY, intervalMs: DEFAULT_SAMPLE_INTERVAL_MS, clock: { now: Date.now } })
  const sampler = new HistorySampler({
    history,
    read: () => ({ peers: account.connectedPeers, opened: account.totalConnects(), closed: account.totalDisconnects() }),
    onError: (err) => { reportError('http', err, 'error while sampling the peer count for the peer view') }
  })
  const page = (): LandingInfo => ({ name: NAME, version: VERSION, peerId: sources.peerId(), telemetryPath: config.web.telemetryPath })
  const app = createHttpApp({
    telemetryPath: config.web.telemetryPath,
    scraper: new MetricsScraper(sources.families, config.web.disableExporterMetrics ? undefined : new ProcessMetrics()),
    log,
    isReady: sources.isReady,
    landing: page,
    status: () => ({
      peerId: sources.peerId(),
      listenAddrs: sources.listenAddrs(),
      version: VERSION,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      ...sources.counts(),
      ...sources.moreStatus?.()
    }),
    peers: sources.peers,
    peer: sources.peer,
    middleware: [
      requestLimit(config.webAccess.maxRequests, ['/-/healthy', '/-/ready']),
      ...(webConfig === undefined ? [] : [accessControl(webConfig)])
    ],
    peerApiEnabled: !config.webAccess.disablePeerApi,
    onInternalError: () => { reliability.internalErrors.count('http') },
    peerView: peerViewRouter({ account: sources.account, history, page, peerApiEnabled: !config.webAccess.disablePeerApi })
  })

  const tls = webConfig === undefined ? undefined : httpsServerOptions(webConfig.current())
  const server = await listen(app, config.web.host, config.web.port, tls === undefined ? {} : { tls })
  if (tls !== undefined && webConfig !== undefined) followWebConfig(server as HttpsServer, webConfig, log)
  sampler.start()
  return {
    value: boundAddress(server),
    stop: () => {
      sampler.stop()
      closing.began(closeServer(server))
    }
  }
}

/** Stops accepting, lets requests in flight finish for up to 2 s, then drops what is left. */
export async function closeServer (server: Server): Promise<void> {
  const closed = new Promise<void>(resolve => server.close(() => { resolve() }))
  server.closeIdleConnections()
  const force = setTimeout(() => { server.closeAllConnections() }, 2000)
  force.unref()
  await closed
  clearTimeout(force)
}
