/**
 * The composition root: builds the parts, starts them in order, stops them in reverse.
 * HTTP listens first (so a taken port fails before any peer is dialled and /-/ready answers
 * 503 while libp2p starts), then libp2p, then the bootstrap keeper, the periodic report, RTT
 * sampling and the peer store sweeper.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { ConfigError } from './config.js'
import { insightPeersView, peerDetailView } from './http/api.js'
import { PeerInsight } from './insight/peer-insight.js'
import { RttSampler } from './insight/rtt-sampler.js'
import { boundAddress, createHttpApp, listen } from './http/server.js'
import { ProcessMetrics } from './metrics/process-metrics.js'
import { MetricsScraper } from './metrics/scrape.js'
import { TrackerCollector } from './metrics/tracker-collector.js'
import { BootstrapKeeper } from './p2p/bootstrap-keeper.js'
import { loadOrCreateIdentity } from './p2p/identity.js'
import { createTrackerNode, dhtRoutingTableSize, observeDials, peerStoreRecords, pingConnection } from './p2p/node.js'
import { PeerStoreSweeper, sweepIntervalMs } from './p2p/peer-store-sweeper.js'
import { attachInsight, attachTracker } from './p2p/tracker-adapter.js'
import { peerReport } from './report.js'
import { monotonicClock } from './tracker/clock.js'
import { DIRECTIONS } from './tracker/connection-labels.js'
import { PeerTracker } from './tracker/peer-tracker.js'
import { TrackerStorage } from './storage/tracker-storage.js'
import { NAME, VERSION, buildInfo } from './version.js'
import type { Config } from './config.js'
import type { Logger } from './log.js'
import type { TrackerNode } from './p2p/node.js'
import type { Clock } from './tracker/clock.js'
import type { ConnectionLabels } from './tracker/connection-labels.js'
import type { InternalErrorComponent } from './tracker/reliability-counters.js'
import type { Server } from './http/server.js'
import type { Connection, PeerId } from '@libp2p/interface'
import { ReliabilityCounters } from './tracker/reliability-counters.js'
import { accessControl } from './web/access.js'
import { requestLimit } from './web/request-limit.js'
import { WebConfigSource } from './web/web-config-source.js'
import { followWebConfig, httpsServerOptions } from './web/tls-server.js'
import type { Server as HttpsServer } from 'node:https'

export interface RunningTracker {
  node: TrackerNode
  tracker: PeerTracker
  /** Where HTTP listens, with the port the OS chose when the flag said 0. */
  http: { host: string, port: number }
  /** Stops everything in order and logs the final report; safe to call twice. */
  stop: () => Promise<void>
  /** Caught errors and gated connections, as exported. */
  reliability: ReliabilityCounters
  /** Peer insight (clients, churn, flapping, dials, close reasons, RTT), as exported. */
  insight: PeerInsight
  /** Sweeps libp2p's peer store on its timer; sweep() runs one now (or joins the one running). */
  peerStoreSweeper: PeerStoreSweeper<PeerId>
}

export interface StartOptions {
  clock?: Clock
  /** Where caught errors are counted; the CLI passes its own to count unhandled rejections too. */
  reliability?: ReliabilityCounters
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
  const closeStorage = async (): Promise<void> => { await storage?.close().catch((err: unknown) => { log.error({ err }, 'error while closing the store') }) }
  let identity: Awaited<ReturnType<typeof loadOrCreateIdentity>>
  let node: TrackerNode
  try {
    identity = await loadOrCreateIdentity(config.p2p.identityFile)
    node = await createTrackerNode(config.p2p, identity.privateKey, (direction, addr) => {
      reliability.gatedConnections[direction]++
      log.debug({ direction, addr }, 'connection refused by the IP filter')
    }, storage?.datastore)
  } catch (err) {
    await closeStorage()
    throw err
  }
  const insight = new PeerInsight({
    flappingSessions: config.insight.flappingSessions,
    flappingWindowMs: config.insight.flappingWindowMs,
    historyPeers: config.insight.historyPeers,
    historySessions: config.insight.historySessions
  })
  const tracker = new PeerTracker(options.clock ?? monotonicClock, knownConnectionLabels(config), insight)
  // History from before the restart, back in insight before the first event; changes marked for the next batch.
  let restored: Awaited<ReturnType<TrackerStorage['restore']>> | undefined
  try {
    restored = await storage?.restore(insight, () => Array.from(tracker.sessionsByAge(), s => s.peerId), () => tracker.now(),
      (batch, flushedAt) => { log.debug({ batch, flushedAt: new Date(flushedAt).toISOString() }, 'history batch made') })
  } catch (err) {
    await closeStorage()
    throw err
  }
  if (restored !== undefined) log.info(restored, 'storage opened')
  const countLibp2pError = (): void => { reliability.internalErrors.count('libp2p_event') }
  const detachTracker = attachTracker(node, tracker, log, countLibp2pError)
  const detachInsight = attachInsight(node, insight, tracker, log, countLibp2pError)
  // Every outbound dial libp2p makes (bootstrap keeper, Kad-DHT, reconnects, services) feeds
  // libp2p_tracker_dials_total / dial_errors_total; dials our own shutdown aborts do not.
  let stoppingOnPurpose = false
  let detachDials = (): void => {}
  try {
    detachDials = observeDials(node, {
      succeeded: () => { insight.dialSucceeded() },
      failed: (err) => { insight.dialFailed(err) },
      stopping: () => stoppingOnPurpose || insight.isShuttingDown,
      onError: (err) => { countLibp2pError(); log.error({ err, event: 'dial' }, 'error while counting a dial') }
    })
  } catch (err) {
    // A libp2p without the hook: run without dial counts rather than not at all.
    countLibp2pError()
    log.error({ err }, 'dials cannot be counted: libp2p_tracker_dials_total stays 0')
  }
  const detach = (): void => { detachTracker(); detachInsight(); detachDials() }
  let ready = false

  // Deletes the peer store's expired records (libp2p only does when it reads one): started
  // after the node, on a timer below; its last result is exported.
  const peerStoreSweeper = new PeerStoreSweeper({
    store: peerStoreRecords(node),
    onSwept: (r) => { log.debug({ records: r.records, refreshed: r.refreshed, refreshFailed: r.refreshFailed, durationMs: Math.round(r.durationMs) }, 'peer store swept') },
    onError: (err) => {
      reliability.internalErrors.count('peer_store_sweep')
      log.error({ err, component: 'peer_store_sweep' }, 'error while sweeping libp2p\'s peer store')
    }
  })

  const collector = new TrackerCollector(tracker, {
    maxPeerSeries: config.tracker.maxPeerSeries,
    buildInfo: buildInfo(),
    startTimeSeconds: Math.floor(startedAt / 1000),
    dhtRoutingTablePeers: () => dhtRoutingTableSize(node),
    lastPeerStoreSweep: () => peerStoreSweeper.last,
    reliability,
    insight
  })
  const scraper = new MetricsScraper(collector, config.web.disableExporterMetrics ? undefined : new ProcessMetrics())
  const app = createHttpApp({
    telemetryPath: config.web.telemetryPath,
    scraper,
    log,
    isReady: () => ready,
    landing: () => ({ name: NAME, version: VERSION, peerId: node.peerId.toString(), telemetryPath: config.web.telemetryPath }),
    status: () => ({
      peerId: node.peerId.toString(),
      listenAddrs: node.getMultiaddrs().map(String),
      version: VERSION,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      connectedPeers: tracker.connectedPeers,
      openConnections: tracker.openConnections,
      peerConnects: tracker.totalConnects(),
      peerDisconnects: tracker.totalDisconnects()
    }),
    peers: (query) => insightPeersView(tracker, insight, rttsByPeer(node), query),
    peer: (peerId) => peerDetailView(tracker, insight, rttsByPeer(node), peerId),
    middleware: [
      requestLimit(config.webAccess.maxRequests, ['/-/healthy', '/-/ready']),
      ...(webConfig === undefined ? [] : [accessControl(webConfig)])
    ],
    peerApiEnabled: !config.webAccess.disablePeerApi,
    onInternalError: () => { reliability.internalErrors.count('http') }
  })

  let server: Server
  try {
    const tls = webConfig === undefined ? undefined : httpsServerOptions(webConfig.current())
    server = await listen(app, config.web.host, config.web.port, tls === undefined ? {} : { tls })
    if (tls !== undefined && webConfig !== undefined) followWebConfig(server as HttpsServer, webConfig, log)
  } catch (err) {
    detach()
    await closeStorage()
    throw err
  }

  try {
    await node.start()
  } catch (err) {
    await closeServer(server)
    detach()
    await closeStorage()
    throw listenError(err)
  }
  ready = true
  log.info({ peerId: node.peerId.toString(), identityFile: config.p2p.identityFile, identityCreated: identity.created }, 'libp2p node started')
  for (const addr of node.getMultiaddrs()) log.info({ addr: addr.toString() }, 'listening for peers')
  const http = boundAddress(server)
  log.info({ address: `${http.host}:${http.port}`, telemetryPath: config.web.telemetryPath, tls: webConfig?.current().tls !== undefined }, 'serving metrics')

  const keeper = new BootstrapKeeper(config.p2p.bootstrap, {
    dial: async (addrs, signal) => {
      // Counted with every other dial by observeDials.
      const connection = await node.dial(addrs.map(a => multiaddr(a)), { signal })
      await node.peerStore.merge(connection.remotePeer, { tags: { bootstrap: { value: 50 } } })
    },
    onDialError: (peerId, err, retryInMs) => {
      log.warn({ peerId, err: (err as Error).message, retryInMs }, 'bootstrap peer dial failed')
    }
  })
  const onPeerConnect = (evt: CustomEvent<{ toString: () => string }>): void => { keeper.peerConnected(evt.detail.toString()); storage?.peerConnected(evt.detail.toString()) }
  const onPeerDisconnect = (evt: CustomEvent<{ toString: () => string }>): void => { keeper.peerDisconnected(evt.detail.toString()) }
  node.addEventListener('peer:connect', onPeerConnect)
  node.addEventListener('peer:disconnect', onPeerDisconnect)
  keeper.start()
  if (storage !== undefined) {
    storage.startFlushing(config.storage.flushIntervalMs, {
      onFlushError: (err) => { reliability.internalErrors.count('storage'); log.error({ err, component: 'storage' }, 'error while writing history to the store (retried with the next batch)') },
      onFlushed: (r) => { log.debug({ ...r, flushedAt: new Date(r.flushedAt).toISOString(), durationMs: Math.round(r.durationMs) }, 'history written to the store') }
    })
    // The peers connected before the restart, other than bootstrap peers (the keeper dials those).
    const redialing = storage.startRedial({
      maxConnections: config.p2p.maxConnections,
      dial: async (peerId, signal) => { await node.dial(peerIdFromString(peerId), { signal }) },
      openConnections: () => node.getConnections().length,
      isConnected: (peerId) => node.getConnections(peerIdFromString(peerId)).length > 0,
      skip: (peerId) => peerId === node.peerId.toString() || keeper.isBootstrapPeer(peerId),
      onDialError: (peerId, err) => { log.debug({ peerId, err: (err as Error)?.message }, 'redial of a peer connected before the restart failed') },
      onDone: (r) => { log.info(r, 'redial of the peers connected before the restart done') }
    })
    if (redialing > 0) log.info({ peers: redialing }, 'redialling the peers connected before the restart')
  }

  // Timer callbacks are guarded: a throw there would be an uncaught exception, which exits.
  const guardedTimer = (component: InternalErrorComponent, run: () => void) => (): void => {
    try {
      run()
    } catch (err) {
      try {
        reliability.internalErrors.count(component)
        log.error({ err, component }, 'error in a periodic task')
      } catch {
        // nothing may escape a timer
      }
    }
  }
  const reportTimer = config.tracker.reportIntervalMs > 0
    ? setInterval(guardedTimer('report', () => { log.info(peerReport(tracker, config.tracker.reportPeers), 'peer report') }), config.tracker.reportIntervalMs)
    : undefined
  reportTimer?.unref()

  // RTT on a bounded schedule: each new measurement of libp2p's connection monitor once, or a
  // capped ping over an open connection (never a dial) where the monitor has none yet.
  const rttSampler = new RttSampler<Connection>({
    record: (peerId, rttMs) => { const session = tracker.session(peerId); if (session !== undefined) insight.rttSampled(session, rttMs) },
    ping: async (connection) => await pingConnection(connection, AbortSignal.timeout(5000)),
    onPingError: (peerId, err) => { log.debug({ peerId, err: (err as Error)?.message }, 'RTT ping failed') },
    onError: (err) => { reliability.internalErrors.count('rtt'); log.error({ err, component: 'rtt' }, 'error while recording an RTT sample') }
  })
  const rttTimer = config.insight.rttSampleIntervalMs > 0
    ? setInterval(guardedTimer('rtt', () => {
      rttSampler.tick(node.getConnections().map(c => ({ id: c.id, peerId: c.remotePeer.toString(), rttMs: c.rtt, connection: c })))
    }), config.insight.rttSampleIntervalMs)
    : undefined
  rttTimer?.unref()

  // sweep() never rejects (its errors are counted); one still running when the timer fires is joined.
  // One sweep at once (the store is nearly empty: it costs next to nothing) so the peer store
  // gauges describe the store from the start rather than staying 0 for a whole interval.
  void peerStoreSweeper.sweep()
  const sweepTimer = setInterval(guardedTimer('peer_store_sweep', () => { void peerStoreSweeper.sweep() }), sweepIntervalMs(config.p2p.peerStoreMaxAgeMs))
  sweepTimer.unref()

  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(sweepTimer)
      await peerStoreSweeper.stop() // a sweep in progress ends at its next yield (a few ms)
      stoppingOnPurpose = true // from here on, dials aborted by the shutdown are not failures
      ready = false
      keeper.stop()
      storage?.beginStop() // the peers connected now are the ones redialled at the next start
      clearInterval(reportTimer)
      clearInterval(rttTimer)
      rttSampler.stop()
      const serverClosed = closeServer(server) // stop accepting; requests in flight finish
      log.info(peerReport(tracker, config.tracker.reportPeers), 'final peer report')
      insight.beginShutdown(tracker.now()) // every close from here on is counted as shutdown
      await node.stop() // closes every connection: each peer's disconnect is logged and counted
      node.removeEventListener('peer:connect', onPeerConnect)
      node.removeEventListener('peer:disconnect', onPeerDisconnect)
      detach()
      await closeStorage() // the final batch: every session ended by the stop
      await serverClosed
      log.info(peerReport(tracker, 0), 'stopped')
    })()
    await stopping
  }

  return { node, tracker, http, stop, reliability, insight, peerStoreSweeper }
}

/** Every direction with the transport, encryption and muxers this node speaks: exported as 0 from the start. */
function knownConnectionLabels (config: Config): ConnectionLabels[] {
  return DIRECTIONS.flatMap(direction => config.p2p.muxers.map(muxer => ({ direction, transport: 'tcp' as const, encryption: 'noise' as const, muxer })))
}

/** The lowest round-trip time libp2p's connection monitor last measured to each peer, in ms (the API's fallback before a sample). */
function rttsByPeer (node: TrackerNode): (peerId: string) => number | undefined {
  const rtts = new Map<string, number>()
  for (const connection of node.getConnections()) {
    const rtt = connection.rtt
    if (rtt === undefined) continue
    const peerId = connection.remotePeer.toString()
    rtts.set(peerId, Math.min(rtt, rtts.get(peerId) ?? Infinity))
  }
  return (peerId) => rtts.get(peerId)
}

/**
 * libp2p reports listen failures as one UnsupportedListenAddressesError listing each address
 * and its cause; turn that into one line naming --p2p.listen and the first failing address.
 */
function listenError (err: unknown): unknown {
  if ((err as Error)?.name !== 'UnsupportedListenAddressesError') return err
  const failure = /^\s+(\/\S+): (.*)$/m.exec((err as Error).message)
  if (failure === null) return new ConfigError(`--p2p.listen: ${(err as Error).message.split('\n')[0] ?? ''}`)
  const [, addr, cause = ''] = failure
  const reason = cause.includes('EADDRINUSE')
    ? 'is already in use'
    : cause.includes('EADDRNOTAVAIL') ? 'is not an address of this machine' : `cannot be listened on (${cause})`
  return new ConfigError(`--p2p.listen: ${addr ?? ''} ${reason}`)
}

/** Stops accepting, lets requests in flight finish for up to 2 s, then drops what is left. */
async function closeServer (server: Server): Promise<void> {
  const closed = new Promise<void>(resolve => server.close(() => { resolve() }))
  server.closeIdleConnections()
  const force = setTimeout(() => { server.closeAllConnections() }, 2000)
  force.unref()
  await closed
  clearTimeout(force)
}
