/**
 * The HTTP server's own limits, in process with a real HTTP client: --web.max-requests
 * (503 beyond it, health checks exempt), one shared render for concurrent scrapes, slow
 * clients cut off by the server's timeouts, handler errors answered 500 and counted, and
 * the peer API switched off.
 */
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpApp, listen } from '../../src/http/server.js'
import { createLogger } from '../../src/log.js'
import { MetricsScraper } from '../../src/metrics/scrape.js'
import { TrackerCollector } from '../../src/metrics/tracker-collector.js'
import { PeerTracker } from '../../src/tracker/peer-tracker.js'
import { ReliabilityCounters } from '../../src/tracker/reliability-counters.js'
import { requestLimit } from '../../src/web/request-limit.js'
import { parseExposition, valueOf } from '../support/exposition.js'
import { waitFor } from '../support/peers.js'
import type { HttpSources, ListenOptions, Server } from '../../src/http/server.js'
import type { ProcessMetrics } from '../../src/metrics/process-metrics.js'
import { PassThrough } from 'node:stream'

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  }
})

/** Process metrics whose render waits until released: holds scrapes in flight on purpose. */
class GatedProcessMetrics {
  renders = 0
  private waiting: Array<() => void> = []
  async render (): Promise<string> {
    this.renders++
    await new Promise<void>(resolve => this.waiting.push(resolve))
    return ''
  }

  get pending (): number { return this.waiting.length }
  release (): void { for (const resolve of this.waiting.splice(0)) resolve() }
}

function collector (tracker = new PeerTracker({ now: () => 0 }), reliability = new ReliabilityCounters()): TrackerCollector {
  return new TrackerCollector(tracker, {
    maxPeerSeries: 10,
    buildInfo: { version: '0', revision: 'x', libp2pVersion: '3', nodejsVersion: process.version },
    startTimeSeconds: 0,
    dhtRoutingTablePeers: () => 0,
    reliability
  })
}

async function serve (overrides: Partial<HttpSources>, options: ListenOptions = {}): Promise<string> {
  const app = createHttpApp({
    telemetryPath: '/metrics',
    scraper: new MetricsScraper(collector(), undefined),
    landing: () => ({ name: 'n', version: 'v', peerId: 'p', telemetryPath: '/metrics' }),
    isReady: () => true,
    status: () => ({ peerId: 'p', listenAddrs: [], version: 'v', uptimeSeconds: 0, connectedPeers: 0, openConnections: 0, peerConnects: 0, peerDisconnects: 0 }),
    peers: () => [],
    log: createLogger({ level: 'fatal', format: 'json' }, new PassThrough()),
    ...overrides
  })
  const server = await listen(app, '127.0.0.1', 0, options)
  servers.push(server)
  const address = server.address() as { port: number }
  return `http://127.0.0.1:${address.port}`
}

describe('HTTP limits', () => {
  it('answers 503 beyond --web.max-requests at once, still answers health checks, and recovers', async () => {
    const gated = new GatedProcessMetrics()
    const url = await serve({
      scraper: new MetricsScraper(collector(), gated as unknown as ProcessMetrics),
      middleware: [requestLimit(2, ['/-/healthy', '/-/ready'])]
    })
    // Two scrapes in different formats: two renders held in flight.
    const held = [fetch(`${url}/metrics`), fetch(`${url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } })]
    await waitFor('two renders in flight', () => gated.pending === 2)
    const refused = await fetch(`${url}/metrics`)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect((await fetch(`${url}/api/v1/status`)).status).toBe(503)
    expect((await fetch(`${url}/-/healthy`)).status).toBe(200)
    expect((await fetch(`${url}/-/ready`)).status).toBe(200)
    gated.release()
    expect((await Promise.all(held)).map(r => r.status)).toEqual([200, 200])
    expect((await fetch(`${url}/api/v1/status`)).status).toBe(200)
  })

  it('shares one render among scrapes that arrive together (per format), and renders afresh afterwards', async () => {
    const gated = new GatedProcessMetrics()
    const scraper = new MetricsScraper(collector(), gated as unknown as ProcessMetrics)
    const url = await serve({ scraper, middleware: [requestLimit(0)] })
    const text = Array.from({ length: 20 }, async () => await fetch(`${url}/metrics`))
    const openmetrics = Array.from({ length: 5 }, async () => await fetch(`${url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } }))
    await waitFor('both formats rendering', () => gated.pending === 2)
    // Let every request reach the scraper before releasing the render.
    await waitFor('all 25 requests to wait on the shared renders', () => gated.renders === 2 && scraperWaiters(scraper) === 25)
    gated.release()
    const answers = await Promise.all([...text, ...openmetrics])
    expect(answers.map(a => a.status)).toEqual(Array(25).fill(200))
    const bodies = await Promise.all(answers.map(async a => await a.text()))
    expect(new Set(bodies.slice(0, 20)).size).toBe(1)
    expect(bodies[20]?.endsWith('# EOF\n')).toBe(true)
    expect(scraper.renders).toBe(2)
    const later = fetch(`${url}/metrics`)
    await waitFor('a fresh render', () => gated.pending === 1)
    gated.release()
    expect((await later).status).toBe(200)
    expect(scraper.renders).toBe(3)
  })

  it('closes a connection whose client sends headers too slowly (slowloris)', async () => {
    const url = await serve({}, { timeouts: { headersTimeout: 300, requestTimeout: 300 } })
    const port = Number(new URL(url).port)
    const socket = connect(port, '127.0.0.1')
    let closed = false
    let answer = ''
    socket.on('data', (chunk: Buffer) => { answer += chunk.toString('utf8') })
    socket.on('close', () => { closed = true })
    socket.on('error', () => {})
    await new Promise<void>(resolve => socket.once('connect', resolve))
    socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n') // never finishes the headers
    await waitFor('the server to drop the slow client', () => closed, 5000)
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true)
    expect((await fetch(`${url}/-/healthy`)).status).toBe(200)
  })

  it('answers 500 without detail when a handler throws, counts it, and keeps serving', async () => {
    const reliability = new ReliabilityCounters()
    const url = await serve({
      scraper: new MetricsScraper(collector(new PeerTracker({ now: () => 0 }), reliability), undefined),
      peers: () => { throw new Error('secret internals') },
      onInternalError: () => { reliability.internalErrors.count('http') }
    })
    const failed = await fetch(`${url}/api/v1/peers`)
    expect(failed.status).toBe(500)
    expect(await failed.text()).toBe('Internal server error.\n')
    const m = parseExposition(await (await fetch(`${url}/metrics`)).text())
    expect(valueOf(m, 'libp2p_tracker_internal_errors_total', { component: 'http' })).toBe(1)
    expect(valueOf(m, 'libp2p_tracker_internal_errors_total', { component: 'libp2p_event' })).toBe(0)
  })

  it('answers 404 on /api/v1/peers and below when the peer API is off', async () => {
    const url = await serve({ peerApiEnabled: false })
    expect((await fetch(`${url}/api/v1/peers`)).status).toBe(404)
    expect((await fetch(`${url}/api/v1/peers/12D3KooW`)).status).toBe(404)
    expect((await fetch(`${url}/api/v1/status`)).status).toBe(200)
    const open = await serve({ peerApiEnabled: true })
    expect((await fetch(`${open}/api/v1/peers`)).status).toBe(200)
  })
})

/** Requests waiting on the scraper's shared renders (counted by wrapping scrape). */
const waiters = new WeakMap<MetricsScraper, number>()
function scraperWaiters (scraper: MetricsScraper): number {
  return waiters.get(scraper) ?? 0
}
const originalScrape = MetricsScraper.prototype.scrape
MetricsScraper.prototype.scrape = async function (this: MetricsScraper, format) {
  waiters.set(this, (waiters.get(this) ?? 0) + 1)
  return await originalScrape.call(this, format)
}
