/**
 * B2 and B2b: /metrics over real HTTP (the project's own express app from src/http/server.ts),
 * from a tracker holding synthetic peers. B2b sets the per-peer cap to every peer and
 * compares with plain prom-client (a Registry with one Gauge holding the same peer_id series,
 * serialised by registry.metrics()) served by the same express stack, side by side.
 */
import { Agent, request } from 'node:http'
import express from 'express'
import { Gauge, Registry } from 'prom-client'
import { createHttpApp, listen } from '../src/http/server.js'
import { createLogger } from '../src/log.js'
import { ProcessMetrics } from '../src/metrics/process-metrics.js'
import { MetricsScraper } from '../src/metrics/scrape.js'
import { TrackerCollector } from '../src/metrics/tracker-collector.js'
import { median } from './stats.js'
import { trackerWithPeers } from './synthetic.js'
import type { PeerAccount } from '../src/tracker/peer-account.js'
import type { Server } from 'node:http'

const log = createLogger({ level: 'fatal', format: 'json' })

export function scraperFor (tracker: PeerAccount, maxPeerSeries: number, processMetrics: boolean): MetricsScraper {
  const collector = new TrackerCollector(tracker, {
    maxPeerSeries,
    buildInfo: { version: 'bench', revision: 'bench', libp2pVersion: 'bench', nodejsVersion: process.version },
    startTimeSeconds: Math.floor(Date.now() / 1000),
    dhtRoutingTablePeers: () => 0
  })
  return new MetricsScraper(collector, processMetrics ? new ProcessMetrics() : undefined)
}

async function serveTracker (tracker: PeerAccount, maxPeerSeries: number, processMetrics: boolean): Promise<Server> {
  const app = createHttpApp({
    telemetryPath: '/metrics',
    scraper: scraperFor(tracker, maxPeerSeries, processMetrics),
    log,
    isReady: () => true,
    landing: () => ({ name: 'bench', version: 'bench', peerId: 'bench', telemetryPath: '/metrics' }),
    status: () => { throw new Error('not used') },
    peers: () => []
  })
  return await listen(app, '127.0.0.1', 0)
}

/** prom-client's registry with the same peer_id series, on the same express stack. */
export function promClientRegistry (tracker: PeerAccount): Registry {
  const registry = new Registry()
  const gauge = new Gauge({ name: 'libp2p_tracker_peer_connection_duration_seconds', help: 'Age of each connected peer\'s current session.', labelNames: ['peer_id'], registers: [registry] })
  const now = Date.now()
  for (const s of tracker.sessionsByAge()) gauge.set({ peer_id: s.peerId }, (now - s.startedAt) / 1000)
  return registry
}

async function servePromClient (registry: Registry): Promise<Server> {
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', registry.contentType)
    res.send(await registry.metrics())
  })
  return await listen(app, '127.0.0.1', 0)
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 })

/** One GET, timed from sending to the last byte; no Accept-Encoding (plain text, as curl). */
async function timedGet (port: number): Promise<{ ms: number, bytes: number }> {
  const start = performance.now()
  return await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', agent }, res => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => { bytes += chunk.length })
      res.on('end', () => { resolve({ ms: performance.now() - start, bytes }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Median latency (ms) of `requests` sequential GETs after a warm-up, and the body size. */
export async function httpP50 (port: number, requests: number): Promise<{ p50Ms: number, bytes: number }> {
  for (let i = 0; i < Math.max(50, requests); i++) await timedGet(port)
  const times: number[] = []
  let bytes = 0
  for (let i = 0; i < requests; i++) {
    const r = await timedGet(port)
    times.push(r.ms)
    bytes = r.bytes
  }
  return { p50Ms: median(times), bytes }
}

async function close (server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise(resolve => server.close(resolve))
}

export interface B2Result { peers: number, p50Ms: number, bytes: number }

/** B2: the real app, default cap (500), process metrics on (as shipped). */
export async function b2 (peers: number, runs: number, requests: number): Promise<B2Result> {
  const tracker = trackerWithPeers(peers)
  const server = await serveTracker(tracker, 500, true)
  const port = (server.address() as { port: number }).port
  const results = []
  for (let r = 0; r < runs; r++) results.push(await httpP50(port, requests))
  await close(server)
  return { peers, p50Ms: median(results.map(r => r.p50Ms)), bytes: results[results.length - 1]?.bytes ?? NaN }
}

export interface B2bResult {
  peers: number
  oursP50Ms: number
  promClientP50Ms: number
  oursBytes: number
  promClientBytes: number
  oursRenderMs: number
  promClientRenderMs: number
}

/**
 * B2b: every peer exported, ours vs prom-client, alternating run by run so both see the same
 * machine. Both without process metrics, so the same series are compared.
 */
export async function b2b (peers: number, runs: number, requests: number): Promise<B2bResult> {
  const tracker = trackerWithPeers(peers)
  const registry = promClientRegistry(tracker)
  const ours = await serveTracker(tracker, peers, false)
  const theirs = await servePromClient(registry)
  const oursPort = (ours.address() as { port: number }).port
  const theirsPort = (theirs.address() as { port: number }).port
  const o: Array<{ p50Ms: number, bytes: number }> = []
  const t: Array<{ p50Ms: number, bytes: number }> = []
  for (let r = 0; r < runs; r++) {
    o.push(await httpP50(oursPort, requests))
    t.push(await httpP50(theirsPort, requests))
  }
  await close(ours)
  await close(theirs)
  // Render only (no HTTP): the serialisation itself, alternating.
  const scraper = scraperFor(tracker, peers, false)
  const oursRender: number[] = []
  const theirsRender: number[] = []
  for (let i = 0; i < runs * 10; i++) {
    let s = performance.now()
    await scraper.scrape('text')
    oursRender.push(performance.now() - s)
    s = performance.now()
    await registry.metrics()
    theirsRender.push(performance.now() - s)
  }
  return {
    peers,
    oursP50Ms: median(o.map(x => x.p50Ms)),
    promClientP50Ms: median(t.map(x => x.p50Ms)),
    oursBytes: o[0]?.bytes ?? NaN,
    promClientBytes: t[0]?.bytes ?? NaN,
    oursRenderMs: median(oursRender),
    promClientRenderMs: median(theirsRender)
  }
}
