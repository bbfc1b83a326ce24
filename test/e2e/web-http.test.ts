/**
 * The HTTP server's own limits, in process with a real HTTP client: --web.max-requests
 * (503 beyond it, health checks exempt), one shared render for concurrent scrapes, slow
 * clients cut off by the server's timeouts, handler errors answered 500 and counted, client
 * errors answered 4xx and not counted, exact routing, the peer API switched off, and basic
 * auth that password guessing cannot turn into a denial of service.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import bcrypt from 'bcryptjs'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_TIMEOUTS, createHttpApp, listen } from '../../src/http/server.js'
import { createLogger } from '../../src/log.js'
import { MetricsScraper } from '../../src/metrics/scrape.js'
import { TrackerCollector } from '../../src/metrics/tracker-collector.js'
import { PeerAccount } from '../../src/tracker/peer-account.js'
import { ReliabilityCounters } from '../../src/tracker/reliability-counters.js'
import { accessControl } from '../../src/web-security/access.js'
import { BasicAuthVerifier } from '../../src/web-security/basic-auth.js'
import { requestLimit } from '../../src/web-security/request-limit.js'
import { WebConfigSource } from '../../src/web-security/web-config-source.js'
import { bcryptHash } from '../support/web.js'
import { parseExposition, valueOf } from '../support/exposition.js'
import { waitFor } from '../support/wait.js'
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

function collector (tracker = new PeerAccount({ now: () => 0 }), reliability = new ReliabilityCounters()): TrackerCollector {
  return new TrackerCollector(tracker, {
    maxPeerSeries: 10,
    buildInfo: { version: '0', revision: 'x', libp2pVersion: '3', nodejsVersion: process.version },
    startTimeSeconds: 0,
    dhtRoutingTablePeers: () => 0,
    reliability
  })
}

function sources (overrides: Partial<HttpSources>): HttpSources {
  return {
    telemetryPath: '/metrics',
    scraper: new MetricsScraper(collector(), undefined),
    landing: () => ({ name: 'n', version: 'v', peerId: 'p', telemetryPath: '/metrics' }),
    isReady: () => true,
    status: () => ({ peerId: 'p', listenAddrs: [], version: 'v', uptimeSeconds: 0, connectedPeers: 0, openConnections: 0, peerConnects: 0, peerDisconnects: 0 }),
    peers: () => [],
    log: createLogger({ level: 'fatal', format: 'json' }, new PassThrough()),
    ...overrides
  }
}

async function serve (overrides: Partial<HttpSources>, options: ListenOptions = {}): Promise<string> {
  const app = createHttpApp(sources(overrides))
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

  it('closes a connection whose client sends headers too slowly (slowloris), by headersTimeout before requestTimeout', async () => {
    const url = await serve({}, { timeouts: { headersTimeout: 300, requestTimeout: 5000 } })
    const port = Number(new URL(url).port)
    const socket = connect(port, '127.0.0.1')
    let closed = false
    let answer = ''
    socket.on('data', (chunk: Buffer) => { answer += chunk.toString('utf8') })
    socket.on('close', () => { closed = true })
    socket.on('error', () => {})
    await new Promise<void>(resolve => socket.once('connect', resolve))
    const started = Date.now()
    // Trickles a header byte every 50 ms: never idle, never finished.
    const trickle = setInterval(() => { if (!socket.destroyed) socket.write('X') }, 50)
    socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ')
    try {
      await waitFor('the server to drop the slow client', () => closed, 4000)
    } finally {
      clearInterval(trickle)
    }
    expect(Date.now() - started).toBeLessThan(4000) // the headers deadline, not the request's (5 s)
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true)
    expect((await fetch(`${url}/-/healthy`)).status).toBe(200)
  })

  it('uses coherent default timeouts: headers 10 s within request 30 s, keep-alive 65 s, idle socket 120 s, TLS handshake 10 s', async () => {
    expect(DEFAULT_TIMEOUTS).toEqual({ handshakeTimeout: 10_000, headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 65_000, socketTimeout: 120_000 })
    expect(DEFAULT_TIMEOUTS.headersTimeout).toBeLessThanOrEqual(DEFAULT_TIMEOUTS.requestTimeout)
    const app = createHttpApp(sources({}))
    const server = await listen(app, '127.0.0.1', 0)
    servers.push(server)
    expect([server.headersTimeout, server.requestTimeout, server.keepAliveTimeout, server.timeout]).toEqual([10_000, 30_000, 65_000, 120_000])
  })

  it('answers 500 without detail when a handler throws, counts it, and keeps serving', async () => {
    const reliability = new ReliabilityCounters()
    const url = await serve({
      scraper: new MetricsScraper(collector(new PeerAccount({ now: () => 0 }), reliability), undefined),
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

describe('HTTP routing and client errors', () => {
  it('answers only the exact paths: case-sensitive, no trailing slash', async () => {
    const url = await serve({ peer: () => undefined })
    for (const path of ['/', '/metrics', '/-/healthy', '/-/ready', '/api/v1/status', '/api/v1/peers']) {
      expect([path, (await fetch(`${url}${path}`)).status]).toEqual([path, 200])
    }
    for (const path of ['/METRICS', '/Metrics', '/metrics/', '/-/READY', '/-/ready/', '/-/Healthy', '/-/healthy/', '/API/v1/status', '/api/v1/status/', '/api/v1/peers/', '//metrics']) {
      expect([path, (await fetch(`${url}${path}`)).status]).toEqual([path, 404])
    }
  })

  it('answers a malformed URI with 400 and does not count it as an internal error', async () => {
    const reliability = new ReliabilityCounters()
    let logged = ''
    const sink = new PassThrough()
    sink.on('data', (chunk: Buffer) => { logged += chunk.toString('utf8') })
    const url = await serve({
      scraper: new MetricsScraper(collector(new PeerAccount({ now: () => 0 }), reliability), undefined),
      peer: () => undefined,
      log: createLogger({ level: 'info', format: 'json' }, sink),
      onInternalError: () => { reliability.internalErrors.count('http') }
    })
    const bad = await fetch(`${url}/api/v1/peers/%E0%A4%A`)
    expect(bad.status).toBe(400)
    expect(await bad.text()).toBe('Bad Request.\n')
    const m = parseExposition(await (await fetch(`${url}/metrics`)).text())
    expect(valueOf(m, 'libp2p_tracker_internal_errors_total', { component: 'http' })).toBe(0)
    expect(logged).not.toContain('error while serving an HTTP request')
  })
})

describe('basic auth under a password-guessing attack', () => {
  function webConfigFile (text: string): string {
    const file = join(mkdtempSync(join(tmpdir(), 'web-auth-')), 'web.yml')
    writeFileSync(file, text)
    return file
  }
  const auth = (user: string, password: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` })

  it('bounds bcrypt checks on every path, health checks included: extra guesses get 503 at once, verified scrapers keep being served', async () => {
    const source = new WebConfigSource(webConfigFile(`basic_auth_users:\n  prometheus: ${bcryptHash('right')}\n`), { log: createLogger({ level: 'fatal', format: 'json' }, new PassThrough()) })
    const held: Array<() => void> = []
    const verifier = new BasicAuthVerifier({
      maxConcurrent: 2,
      compare: async (password, hash) => {
        if (password !== 'right') await new Promise<void>(resolve => held.push(resolve))
        return bcrypt.compareSync(password, hash)
      }
    })
    const url = await serve({ middleware: [requestLimit(40, ['/-/healthy', '/-/ready']), accessControl(source, verifier)] })
    expect((await fetch(`${url}/metrics`, { headers: auth('prometheus', 'right') })).status).toBe(200)

    // Guesses on the health checks, which --web.max-requests does not limit.
    const answered: Response[] = []
    const guesses = Array.from({ length: 12 }, async (_, i) => {
      const r = await fetch(`${url}/-/${i % 2 === 0 ? 'healthy' : 'ready'}`, { headers: auth(i < 6 ? 'prometheus' : `user${i}`, `guess-${i}`) })
      answered.push(r)
      return r
    })
    // Two checks are held; the other ten are answered without waiting for them.
    await waitFor('two checks under way and ten guesses answered', () => held.length === 2 && answered.length === 10)
    for (const r of answered) {
      expect(r.status).toBe(503)
      expect(r.headers.get('retry-after')).toBe('1')
      expect(r.headers.get('www-authenticate')).toBeNull()
      expect(await r.text()).toBe('Too many concurrent requests; try again later.\n')
    }
    expect(verifier.inFlight).toBe(2)
    // The scraper with verified credentials is served while the checks are held.
    expect((await fetch(`${url}/metrics`, { headers: auth('prometheus', 'right') })).status).toBe(200)
    expect((await fetch(`${url}/-/healthy`, { headers: auth('prometheus', 'right') })).status).toBe(200)
    for (const release of held.splice(0)) release()
    const statuses = (await Promise.all(guesses)).map(r => r.status).sort()
    expect(statuses).toEqual([...Array(2).fill(401), ...Array(10).fill(503)])
    expect(verifier.comparisons).toBe(3)
  })

  it('with real bcrypt in its worker, a verified scraper is answered while guesses flood the health checks', async () => {
    const source = new WebConfigSource(webConfigFile(`basic_auth_users:\n  prometheus: ${bcrypt.hashSync('right', 10)}\n`), { log: createLogger({ level: 'fatal', format: 'json' }, new PassThrough()) })
    const verifier = new BasicAuthVerifier()
    const url = await serve({ middleware: [requestLimit(40, ['/-/healthy', '/-/ready']), accessControl(source, verifier)] })
    expect((await fetch(`${url}/metrics`, { headers: auth('prometheus', 'right') })).status).toBe(200)
    let stop = false
    const seen = new Set<number>()
    const attackers = Array.from({ length: 8 }, async (_, a) => {
      for (let k = 0; !stop; k++) seen.add((await fetch(`${url}/-/healthy`, { headers: auth('prometheus', `guess-${a}-${k}`) })).status)
    })
    try {
      await waitFor('guesses to be refused as busy', () => verifier.refusedBusy > 20)
      for (let i = 0; i < 5; i++) expect((await fetch(`${url}/metrics`, { headers: auth('prometheus', 'right') })).status).toBe(200)
      expect(verifier.inFlight).toBeLessThanOrEqual(2)
    } finally {
      stop = true
      await Promise.all(attackers)
    }
    expect([...seen].sort()).toEqual([401, 503])
    expect(verifier.comparisons).toBeLessThan(verifier.refusedBusy)
  })

  it('applies rate_limit to every path with 429 and Retry-After', async () => {
    const source = new WebConfigSource(webConfigFile('rate_limit:\n  interval: 10s\n  burst: 2\n'), { log: createLogger({ level: 'fatal', format: 'json' }, new PassThrough()) })
    const url = await serve({ middleware: [requestLimit(40, ['/-/healthy', '/-/ready']), accessControl(source)] })
    expect((await fetch(`${url}/-/healthy`)).status).toBe(200)
    expect((await fetch(`${url}/metrics`)).status).toBe(200)
    const limited = await fetch(`${url}/-/healthy`)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
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
