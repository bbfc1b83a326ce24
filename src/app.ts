/**
 * The composition root: the CLI as a user of the peerTracker service. It builds the parts,
 * starts them in order and stops them in reverse: HTTP listens first (so a taken port fails
 * before any peer is dialled, and /-/ready answers 503 while libp2p starts), then the libp2p
 * node with the peerTracker service (the one libp2p boundary: events, dials, RTT, peer store
 * sweep), then the CLI's own bootstrap keeper and periodic report.
 */
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ConfigError } from './config/config-error.js'
import { boundAddress, createHttpApp, listen } from './http/server.js'
import { closeServer } from './server-close.js'
import { DEFAULT_HISTORY_CAPACITY, DEFAULT_SAMPLE_INTERVAL_MS, PeerCountHistory } from './http/peer-view/peer-count-history.js'
import { HistorySampler } from './http/peer-view/history-sampler.js'
import { peerViewRouter } from './http/peer-view/routes.js'
import { ProcessMetrics } from './metrics/process-metrics.js'
import { MetricsScraper } from './metrics/scrape.js'
import { startBootstrapKeeper } from './p2p/bootstrap-peers.js'
import { loadOrCreateIdentity } from './p2p/identity.js'
import { createTrackerNode } from './p2p/node.js'
import { listenTransportOf } from './p2p/transports.js'
import { startRedialingPreviousPeers } from './p2p/previous-peers.js'
import { startPollingTracker } from './app-polling.js'
import { peerReport } from './report.js'
import { guardedTask, timerDelay } from './service/periodic-task.js'
import { survivedErrorReporter } from './service/survived-error.js'
import { peerTrackerInternal } from './service/peer-tracker-service.js'
import { sweepIntervalMs } from './service/peer-store-sweeper.js'
import { OwnNodeSource } from './sources/source-health.js'
import { TrackerStorage } from './storage/tracker-storage.js'
import { DIRECTIONS } from './tracker/connection-labels.js'
import { ReliabilityCounters } from './tracker/reliability-counters.js'
import { NAME, VERSION, buildInfo } from './version.js'
import { accessControl } from './web-security/access.js'
import { requestLimit } from './web-security/request-limit.js'
import { WebConfigSource } from './web-security/web-config-source.js'
import { followWebConfig, httpsServerOptions } from './web-security/tls-server.js'
import type { Config } from './config/config.js'
import type { PeerInsight } from './insight/peer-insight.js'
import type { Logger } from './log.js'
import type { TrackerNode } from './p2p/node.js'
import type { PeerTrackerInternals } from './service/peer-tracker-service.js'
import type { Clock } from './tracker/clock.js'
import type { ConnectionLabels } from './tracker/connection-labels.js'
import type { PeerAccount } from './tracker/peer-account.js'
import type { Libp2p } from '@libp2p/interface'
import type { Server as HttpsServer } from 'node:https'

export type CliNode = Libp2p<TrackerNode['services'] & { peerTracker: PeerTrackerInternals }>

export interface RunningTracker {
  node: CliNode
  /** The peerTracker service running in the node. */
  peerTracker: PeerTrackerInternals
  /** The service's account of connected peers. */
  tracker: PeerAccount
  /** Where HTTP listens, with the port the OS chose when the flag said 0. */
  http: { host: string, port: number }
  /** Stops everything in order and logs the final report; safe to call twice. */
  stop: () => Promise<void>
  /** Caught errors and gated connections, as exported. */
  reliability: ReliabilityCounters
  /** Peer insight (clients, churn, flapping, dials, close reasons, RTT), as exported. */
  insight: PeerInsight
}

export interface StartOptions {
  clock?: Clock
  /** Where caught errors are counted; the CLI passes its own to count unhandled rejections too. */
  reliability?: ReliabilityCounters
}

/**
 * The tracker --source asks for: its own libp2p node (startTracker), or a node's API it polls
 * (src/app-polling.ts). Either stops with stop().
 */
export async function startConfiguredTracker (config: Config, log: Logger, options: StartOptions = {}): Promise<{ stop: () => Promise<void>, startup?: Promise<void> }> {
  if (config.source.kind === 'libp2p') return await startTracker(config, log, options)
  return await startPollingTracker(config, config.source, log, options)
}

export async function startTracker (config: Config, log: Logger, options: StartOptions = {}): Promise<RunningTracker> {
  const startedAt = Date.now()
  const reliability = options.reliability ?? new ReliabilityCounters()
  // The web config file first: an invalid one fails before any identity file is created.
  const webConfig = config.webAccess.configFile === undefined
    ? undefined
    : new WebConfigSource(config.webAccess.configFile, { log, onReloadError: () => { reliability.internalErrors.count('web_config_reload') } })
  // The store next (docs/storage.md): one that cannot be opened fails before anything listens.
  const storage = config.storage.path === undefined ? undefined : await TrackerStorage.open(config.storage.path)
  try {
    return await startWithStorage(config, log, { startedAt, reliability, webConfig, storage, clock: options.clock })
  } catch (err) {
    await storage?.close().catch((closeErr: unknown) => { log.error({ err: closeErr }, 'error while closing the store') })
    throw err
  }
}

async function startWithStorage (config: Config, log: Logger, { startedAt, reliability, webConfig, storage, clock }: {
  startedAt: number
  reliability: ReliabilityCounters
  webConfig: WebConfigSource | undefined
  storage: TrackerStorage | undefined
  clock: Clock | undefined
}): Promise<RunningTracker> {
  const identity = await loadOrCreateIdentity(config.p2p.identityFile)
  // A store belongs to one node: a persistent identity is recorded, and a polling source's store refused.
  await storage?.claim({ source: 'libp2p', peerId: config.p2p.identityFile === undefined ? undefined : peerIdFromPrivateKey(identity.privateKey).toString() })
  const node: CliNode = await createTrackerNode(config.p2p, identity.privateKey, (direction, addr) => {
    reliability.gatedConnections[direction]++
    log.debug({ direction, addr }, 'connection refused by the IP filter')
  }, {
    peerTracker: peerTrackerInternal({
      registry: false, // the CLI serves its own /metrics (with process metrics) from the same collectors
      maxPeerSeries: config.tracker.maxPeerSeries,
      flappingSessions: config.insight.flappingSessions,
      flappingWindowMs: config.insight.flappingWindowMs,
      historyPeers: config.insight.historyPeers,
      historySessions: config.insight.historySessions,
      rttSampleIntervalMs: config.insight.rttSampleIntervalMs,
      peerStoreSweepIntervalMs: sweepIntervalMs(config.p2p.peerStoreMaxAgeMs),
      knownConnectionLabels: knownConnectionLabels(config),
      logger: log,
      reliability,
      buildInfo: buildInfo(),
      startTimeSeconds: Math.floor(startedAt / 1000),
      ...(clock === undefined ? {} : { clock })
    })
  }, storage?.datastore)
  const peerTracker = node.services.peerTracker
  const tracker = peerTracker.account
  // History from before the restart, back in insight before the first event; changes marked for the next batch.
  const restored = await storage?.restore(peerTracker.insight, () => Array.from(tracker.sessionsByAge(), s => s.peerId), () => tracker.now(),
    (batch, flushedAt) => { log.debug({ batch, flushedAt: new Date(flushedAt).toISOString() }, 'history batch made') })
  if (restored !== undefined) log.info(restored, 'storage opened')
  let ready = false

  const reportError = survivedErrorReporter(reliability, log) // counted and logged under one component
  // Peer view (the page at /): the connected-peer count sampled every 5 s for an hour, started and stopped with the server.
  const peerCountHistory = new PeerCountHistory({ capacity: DEFAULT_HISTORY_CAPACITY, intervalMs: DEFAULT_SAMPLE_INTERVAL_MS, clock: { now: Date.now } })
  const historySampler = new HistorySampler({
    history: peerCountHistory,
    read: () => ({ peers: tracker.connectedPeers, opened: tracker.totalConnects(), closed: tracker.totalDisconnects() }),
    onError: (err) => { reportError('http', err, 'error while sampling the peer count for the peer view') }
  })
  const ownNode = new OwnNodeSource(buildInfo().libp2pVersion) // libp2p_tracker_source_up 1 and _source_info{source="libp2p"}
  const app = createHttpApp({
    telemetryPath: config.web.telemetryPath,
    scraper: new MetricsScraper({ collect: (w) => { peerTracker.collect(w); ownNode.collect(w) } }, config.web.disableExporterMetrics ? undefined : new ProcessMetrics()),
    log,
    isReady: () => ready,
    landing: () => ({ name: NAME, version: VERSION, peerId: node.peerId.toString(), telemetryPath: config.web.telemetryPath }),
    status: () => {
      const { peerId, ...counts } = peerTracker.status()
      return { peerId, listenAddrs: node.getMultiaddrs().map(String), version: VERSION, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000), ...counts }
    },
    peers: (query) => peerTracker.peers(query),
    peer: (peerId) => peerTracker.peer(peerId),
    middleware: [
      requestLimit(config.webAccess.maxRequests, ['/-/healthy', '/-/ready']),
      ...(webConfig === undefined ? [] : [accessControl(webConfig)])
    ],
    peerApiEnabled: !config.webAccess.disablePeerApi,
    onInternalError: () => { reliability.internalErrors.count('http') },
    peerView: peerViewRouter({
      account: { tracker, insight: peerTracker.insight, monitorRtts: () => peerTracker.monitorRtts() },
      history: peerCountHistory,
      page: () => ({ name: NAME, version: VERSION, peerId: node.peerId.toString(), telemetryPath: config.web.telemetryPath }),
      peerApiEnabled: !config.webAccess.disablePeerApi
    })
  })

  const tls = webConfig === undefined ? undefined : httpsServerOptions(webConfig.current())
  const server = await listen(app, config.web.host, config.web.port, tls === undefined ? {} : { tls })
  if (tls !== undefined && webConfig !== undefined) followWebConfig(server as HttpsServer, webConfig, log)

  try {
    await node.start()
  } catch (err) {
    await closeServer(server)
    throw listenError(err, config.p2p.listen)
  }
  ready = true
  historySampler.start() // peer view
  // Once started, so that a start that fails (exit 2) prints its one line only.
  if (config.p2p.quicSkipped) log.warn(`QUIC needs Node 22 or later (this is Node ${process.version}): running without it`)
  log.info({ peerId: node.peerId.toString(), identityFile: config.p2p.identityFile, identityCreated: identity.created }, 'libp2p node started')
  for (const addr of node.getMultiaddrs()) log.info({ addr: addr.toString() }, 'listening for peers')
  const http = boundAddress(server)
  log.info({ address: `${http.host}:${http.port}`, telemetryPath: config.web.telemetryPath, tls: webConfig?.current().tls !== undefined }, 'serving metrics')

  const stopKeeper = startBootstrapKeeper(node, config.p2p.bootstrap, log)
  let stopRedial = (): void => {}
  if (storage !== undefined) {
    storage.startFlushing(config.storage.flushIntervalMs, {
      onFlushError: (err) => { reportError('storage', err, 'error while writing history to the store (retried with the next batch)') },
      onFlushed: (r) => { log.debug({ ...r, flushedAt: new Date(r.flushedAt).toISOString(), durationMs: Math.round(r.durationMs) }, 'history written to the store') }
    })
    stopRedial = startRedialingPreviousPeers(node, storage, { maxConnections: config.p2p.maxConnections, bootstrap: config.p2p.bootstrap, log }).stop
  }
  const reportTimer = config.tracker.reportIntervalMs > 0
    ? setInterval(guardedTask('report', reliability, log, () => { log.info(peerReport(tracker, config.tracker.reportPeers), 'peer report') }), timerDelay(config.tracker.reportIntervalMs))
    : undefined
  reportTimer?.unref()

  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      ready = false
      clearInterval(reportTimer)
      stopKeeper()
      stopRedial() // and the peers connected now are the ones redialled at the next start
      const serverClosed = closeServer(server) // stop accepting; requests in flight finish
      historySampler.stop() // peer view
      log.info(peerReport(tracker, config.tracker.reportPeers), 'final peer report')
      await node.stop() // closes every connection: each peer's disconnect is logged and counted
      await storage?.close().catch((err: unknown) => { log.error({ err, component: 'storage' }, 'error while writing the last batch to the store') }) // every session ended by the stop
      await serverClosed
      log.info(peerReport(tracker, 0), 'stopped')
    })()
    await stopping
  }

  return { node, peerTracker, tracker, http, stop, reliability, insight: peerTracker.insight }
}

/**
 * Every direction with the transports this node runs, each with the encryption and muxers it
 * speaks (TCP and WebSockets: Noise and --p2p.muxers; QUIC: tls and quic; WebRTC-direct: dtls
 * and webrtc): exported as 0 from the start.
 */
function knownConnectionLabels (config: Config): ConnectionLabels[] {
  const running = new Set([...config.p2p.transports, ...config.p2p.listen.map(listenTransportOf)])
  const stacks: Array<Omit<ConnectionLabels, 'direction'>> = []
  if (running.has('tcp')) stacks.push(...config.p2p.muxers.map(muxer => ({ transport: 'tcp' as const, encryption: 'noise' as const, muxer })))
  if (running.has('quic')) stacks.push({ transport: 'quic', encryption: 'tls', muxer: 'quic' })
  if (running.has('ws')) stacks.push(...config.p2p.muxers.map(muxer => ({ transport: 'ws' as const, encryption: 'noise' as const, muxer })))
  if (running.has('webrtc-direct')) stacks.push({ transport: 'webrtc', encryption: 'dtls', muxer: 'webrtc' })
  return DIRECTIONS.flatMap(direction => stacks.map(stack => ({ direction, ...stack })))
}

/**
 * libp2p reports listen failures as one UnsupportedListenAddressesError listing each address
 * and its cause; turn that into one line naming --p2p.listen and the first failing address.
 * WebRTC-direct fails before that, with its own error and no address: name its first address.
 */
function listenError (err: unknown, listen: string[]): unknown {
  const message = (err as Error)?.message ?? ''
  if (message.includes('ICE UDP mux')) {
    const addr = listen.find(a => listenTransportOf(a) === 'webrtc-direct') ?? ''
    return new ConfigError(`--p2p.listen: ${addr} cannot be listened on (its UDP port is in use or not of this machine: ${message})`)
  }
  if ((err as Error)?.name !== 'UnsupportedListenAddressesError') return err
  const failure = /^\s+(\/\S+): (.*)$/m.exec(message)
  if (failure === null) return new ConfigError(`--p2p.listen: ${message.split('\n')[0] ?? ''}`)
  const [, addr, cause = ''] = failure
  const reason = cause.includes('EADDRINUSE') || cause.includes('Address already in use')
    ? 'is already in use'
    : cause.includes('EADDRNOTAVAIL') || cause.includes('Cannot assign requested address') ? 'is not an address of this machine' : `cannot be listened on (${cause})`
  return new ConfigError(`--p2p.listen: ${addr ?? ''} ${reason}`)
}
