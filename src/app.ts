/**
 * The composition root: the CLI as a user of the peerTracker service, as a list of parts
 * (src/app/parts.ts) started in order and stopped in reverse by construction:
 * - the wait for HTTP's close (src/app/serve.ts, HttpClosing), stopped last;
 * - the store (--storage.path; one that cannot be opened fails before anything listens), closed
 *   after the node, so every session the node's stop closes is written to it first;
 * - the libp2p node with the peerTracker service (the one libp2p boundary: events, dials, RTT,
 *   peer store sweep), made but not started: its identity, the store claimed for it and its
 *   history restored; stopped after HTTP's close began, closing every connection (each peer's
 *   disconnect is logged, counted and written to the store);
 * - HTTP (src/app/serve.ts), listening before the node does, so a taken port fails before any
 *   peer is dialled and /-/ready answers 503 while libp2p starts; its stop begins the close
 *   (requests in flight finish meanwhile), which the first part waits for;
 * - the node's listeners (its start), then the final peer report, which is a stop only: it is
 *   logged before HTTP and the node stop, so it still lists the connected peers;
 * - the CLI's bootstrap keeper, the redial of previous peers, the periodic report;
 * - readiness last, so that /-/ready answers 503 from the first step of a stop.
 * 'stopped' is logged once every part has stopped.
 */
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ConfigError } from './config/config-error.js'
import { Parts } from './app/parts.js'
import { HttpClosing, serveTracker } from './app/serve.js'
import { openStore } from './app/store.js'
import { startBootstrapKeeper } from './p2p/bootstrap-peers.js'
import { loadOrCreateIdentity } from './p2p/identity.js'
import { createTrackerNode } from './p2p/node.js'
import { listenTransportOf } from './p2p/transports.js'
import { startRedialingPreviousPeers } from './p2p/previous-peers.js'
import { startPollingTracker } from './app-polling.js'
import { peerReport, startPeerReports } from './report.js'
import { survivedErrorReporter } from './service/survived-error.js'
import { peerTrackerInternal } from './service/peer-tracker-service.js'
import { sweepIntervalMs } from './service/peer-store-sweeper.js'
import { OwnNodeSource } from './sources/source-health.js'
import { DIRECTIONS } from './tracker/connection-labels.js'
import { ReliabilityCounters } from './tracker/reliability-counters.js'
import { buildInfo } from './version.js'
import { WebConfigSource } from './web-security/web-config-source.js'
import type { Config } from './config/config.js'
import type { PeerInsight } from './insight/peer-insight.js'
import type { PeerTrackerInit } from './peer-tracker.js'
import type { Logger } from './log.js'
import type { TrackerNode } from './p2p/node.js'
import type { PeerTrackerInternals } from './service/peer-tracker-service.js'
import type { Clock } from './tracker/clock.js'
import type { ConnectionLabels } from './tracker/connection-labels.js'
import type { PeerAccount } from './tracker/peer-account.js'
import type { Libp2p } from '@libp2p/interface'

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

export async function startTracker (config: Config, log: Logger, { clock, reliability = new ReliabilityCounters() }: StartOptions = {}): Promise<RunningTracker> {
  const startedAt = Date.now()
  const reportError = survivedErrorReporter(reliability, log) // counted and logged under one component
  // The web config file first: an invalid one fails before any identity file is created.
  const webConfig = config.webAccess.configFile === undefined
    ? undefined
    : new WebConfigSource(config.webAccess.configFile, { log, onReloadError: () => { reliability.internalErrors.count('web_config_reload') } })
  const parts = new Parts(log)

  const httpClosing = new HttpClosing()
  await parts.start('http server closed', () => httpClosing.wait) // stopped last: the close HTTP's stop began
  const storage = await parts.open('store', async () => await openStore(config, log))
  const { node, identity } = await parts.open('libp2p node', async () => {
    const identity = await loadOrCreateIdentity(config.p2p.identityFile)
    // A store belongs to one node: a persistent identity is recorded, and a polling source's store refused.
    await storage?.claim({ source: 'libp2p', peerId: config.p2p.identityFile === undefined ? undefined : peerIdFromPrivateKey(identity.privateKey).toString() })
    const node: CliNode = await createTrackerNode(config.p2p, identity.privateKey, (direction, addr) => {
      reliability.gatedConnections[direction]++
      log.debug({ direction, addr }, 'connection refused by the IP filter')
    }, { peerTracker: peerTrackerInternal(serviceInit(config, log, { reliability, startedAt, clock })) }, storage?.datastore)
    // History from before the restart, back in insight before the first event; changes marked for the next batch.
    const tracker = node.services.peerTracker.account
    const restored = await storage?.restore(node.services.peerTracker.insight, () => Array.from(tracker.sessionsByAge(), s => s.peerId), () => tracker.now(),
      (batch, flushedAt) => { log.debug({ batch, flushedAt: new Date(flushedAt).toISOString() }, 'history batch made') })
    if (restored !== undefined) log.info(restored, 'storage opened')
    // Until started, stop() does nothing; a start that fails has stopped the node itself.
    return { value: { node, identity }, stop: async () => { await node.stop() } }
  })
  const peerTracker = node.services.peerTracker
  const tracker = peerTracker.account
  let ready = false

  const ownNode = new OwnNodeSource(buildInfo().libp2pVersion) // libp2p_tracker_source_up 1 and _source_info{source="libp2p"}
  const http = await parts.open('http server', async () => await serveTracker({
    families: { collect: (w) => { peerTracker.collect(w); ownNode.collect(w) } },
    peerId: () => node.peerId.toString(),
    listenAddrs: () => node.getMultiaddrs().map(String),
    counts: () => { const { peerId: _peerId, ...counts } = peerTracker.status(); return counts },
    peers: (query) => peerTracker.peers(query),
    peer: (peerId) => peerTracker.peer(peerId),
    account: { tracker, insight: peerTracker.insight, monitorRtts: () => peerTracker.monitorRtts() },
    isReady: () => ready
  }, { closing: httpClosing, config, log, webConfig, reliability, startedAt }))

  await parts.start('libp2p listeners', async () => {
    try {
      await node.start() // nothing of its own to stop: the node's stop (above) closes the listeners
    } catch (err) {
      throw listenError(err, config.p2p.listen)
    }
  })
  await parts.start('final peer report', () => () => { log.info(peerReport(tracker, config.tracker.reportPeers), 'final peer report') })
  // Once started, so that a start that fails (exit 2) prints its one line only.
  if (config.p2p.quicSkipped) log.warn(`QUIC needs Node 22 or later (this is Node ${process.version}): running without it`)
  log.info({ peerId: node.peerId.toString(), identityFile: config.p2p.identityFile, identityCreated: identity.created }, 'libp2p node started')
  for (const addr of node.getMultiaddrs()) log.info({ addr: addr.toString() }, 'listening for peers')
  log.info({ address: `${http.host}:${http.port}`, telemetryPath: config.web.telemetryPath, tls: webConfig?.current().tls !== undefined }, 'serving metrics')

  await parts.start('bootstrap keeper', () => startBootstrapKeeper(node, config.p2p.bootstrap, log))
  if (storage !== undefined) {
    storage.startFlushing(config.storage.flushIntervalMs, { // until the store closes, which writes the last batch
      onFlushError: (err) => { reportError('storage', err, 'error while writing history to the store (retried with the next batch)') },
      onFlushed: (r) => { log.debug({ ...r, flushedAt: new Date(r.flushedAt).toISOString(), durationMs: Math.round(r.durationMs) }, 'history written to the store') }
    })
    // Stopped before the node, so the peers connected then are the ones redialled at the next start.
    await parts.start('redial of previous peers', () => startRedialingPreviousPeers(node, storage, { maxConnections: config.p2p.maxConnections, bootstrap: config.p2p.bootstrap, log }).stop)
  }
  await parts.start('peer report', () => startPeerReports(tracker, { intervalMs: config.tracker.reportIntervalMs, peers: config.tracker.reportPeers, reliability, log }))
  await parts.start('readiness', () => {
    ready = true
    return () => { ready = false }
  })

  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= parts.stopAll().then(() => { log.info(peerReport(tracker, 0), 'stopped') })
    await stopping
  }
  return { node, peerTracker, tracker, http, stop, reliability, insight: peerTracker.insight }
}

/** The peerTracker service's settings from the CLI's config. */
function serviceInit (config: Config, log: Logger, { reliability, startedAt, clock }: { reliability: ReliabilityCounters, startedAt: number, clock: Clock | undefined }): PeerTrackerInit {
  return {
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
  }
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
