/**
 * TLS from the web config file, in process with real certificates made in the test (openssl)
 * and a real TLS client: every client_auth_type with and without client certificates,
 * client_allowed_sans, min_version and max_version, cipher_suites and curve_preferences,
 * inline PEM, and a client that never finishes the handshake.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpApp, listen } from '../../src/http/server.js'
import { createLogger } from '../../src/log.js'
import { MetricsScraper } from '../../src/metrics/scrape.js'
import { TrackerCollector } from '../../src/metrics/tracker-collector.js'
import { PeerAccount } from '../../src/tracker/peer-account.js'
import { ReliabilityCounters } from '../../src/tracker/reliability-counters.js'
import { accessControl } from '../../src/web-security/access.js'
import { followWebConfig, httpsServerOptions } from '../../src/web-security/tls-server.js'
import { WebConfigSource } from '../../src/web-security/web-config-source.js'
import { waitFor } from '../support/wait.js'
import { httpsGet, makePki } from '../support/web.js'
import type { HttpsOptions } from '../support/web.js'
import type { ServerTimeouts } from '../../src/http/server.js'
import type { Server as HttpsServer } from 'node:https'

const dir = mkdtempSync(join(tmpdir(), 'web-tls-'))
const pki = makePki(dir)
const server = pki.issue('server', 'serverAuth')
const client = pki.issue('client', 'clientAuth', 'DNS:scraper.example.org,IP:10.0.0.7')
const stranger = makePki(dir, 'stranger-ca').issue('stranger', 'clientAuth', 'DNS:scraper.example.org')

const servers: HttpsServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise(resolve => s.close(resolve))
  }
})

let files = 0
/** An HTTPS server for this web config text (TLS lines only; paths relative to `dir`). */
async function serveTls (lines: string[], timeouts: Partial<ServerTimeouts> = {}): Promise<string> {
  const file = join(dir, `web-${files++}.yml`)
  writeFileSync(file, lines.join('\n'))
  const log = createLogger({ level: 'fatal', format: 'json' }, new PassThrough())
  const source = new WebConfigSource(file, { log })
  const collector = new TrackerCollector(new PeerAccount({ now: () => 0 }), {
    maxPeerSeries: 10,
    buildInfo: { version: '0', revision: 'x', libp2pVersion: '3', nodejsVersion: process.version },
    startTimeSeconds: 0,
    dhtRoutingTablePeers: () => 0,
    reliability: new ReliabilityCounters()
  })
  const app = createHttpApp({
    telemetryPath: '/metrics',
    scraper: new MetricsScraper(collector, undefined),
    landing: () => ({ name: 'n', version: 'v', peerId: 'p', telemetryPath: '/metrics' }),
    isReady: () => true,
    status: () => ({ peerId: 'p', listenAddrs: [], version: 'v', uptimeSeconds: 0, connectedPeers: 0, openConnections: 0, peerConnects: 0, peerDisconnects: 0 }),
    peers: () => [],
    log,
    middleware: [accessControl(source)]
  })
  const tls = httpsServerOptions(source.current())
  if (tls === undefined) throw new Error('expected TLS')
  const s = await listen(app, '127.0.0.1', 0, { tls, timeouts }) as HttpsServer
  followWebConfig(s, source, log)
  servers.push(s)
  return `https://127.0.0.1:${(s.address() as { port: number }).port}`
}

const certLines = ['tls_server_config:', `  cert_file: ${server.certFile}`, `  key_file: ${server.keyFile}`]
const withCa = [...certLines, `  client_ca_file: ${pki.caFile}`]

/** 200, or 'refused' when the handshake or the connection right after it fails. */
async function outcome (url: string, options: Omit<HttpsOptions, 'ca'> = {}): Promise<number | 'refused'> {
  return await httpsGet(`${url}/-/healthy`, { ca: pki.ca, ...options }).then(r => r.status, () => 'refused' as const)
}

const none = {}
const trusted = { cert: client.cert, key: client.key }
const untrusted = { cert: stranger.cert, key: stranger.key }

describe('tls_server_config.client_auth_type with a real TLS client', () => {
  it.each([
    // client_auth_type, client CA?, [no certificate, certificate from another CA, certificate from the CA]
    ['NoClientCert', false, [200, 200, 200]],
    ['RequestClientCert', false, [200, 200, 200]],
    ['RequestClientCert', true, [200, 200, 200]],
    ['RequireAnyClientCert', false, ['refused', 200, 200]],
    ['RequireClientCert', false, ['refused', 200, 200]], // exporter-toolkit's old name
    ['VerifyClientCertIfGiven', true, [200, 'refused', 200]],
    ['RequireAndVerifyClientCert', true, ['refused', 'refused', 200]]
  ] as const)('%s (client CA: %s): no certificate, untrusted certificate, trusted certificate -> %j', async (type, ca, expected) => {
    const url = await serveTls([...(ca ? withCa : certLines), `  client_auth_type: ${type}`])
    expect([await outcome(url, none), await outcome(url, untrusted), await outcome(url, trusted)]).toEqual(expected)
  })

  it('client_allowed_sans: only a certificate carrying one of the SANs is served (DNS and IP)', async () => {
    const dnsOnly = await serveTls([...withCa, '  client_auth_type: RequireAndVerifyClientCert', '  client_allowed_sans: [scraper.example.org]'])
    const other = pki.issue('other-client', 'clientAuth', 'DNS:other.example.org')
    const noSans = pki.issue('plain-client', 'clientAuth')
    expect(await outcome(dnsOnly, trusted)).toBe(200)
    expect(await outcome(dnsOnly, { cert: other.cert, key: other.key })).toBe('refused')
    expect(await outcome(dnsOnly, { cert: noSans.cert, key: noSans.key })).toBe('refused')
    expect(await outcome(dnsOnly, none)).toBe('refused')
    const anyCertByIp = await serveTls([...certLines, '  client_auth_type: RequireAnyClientCert', '  client_allowed_sans: [10.0.0.7]'])
    expect(await outcome(anyCertByIp, untrusted)).toBe('refused') // right DNS name, but not the IP asked for
    expect(await outcome(anyCertByIp, trusted)).toBe(200)
  })

  it('takes the certificate, key and client CA inline', async () => {
    const url = await serveTls([
      'tls_server_config:',
      `  cert: ${JSON.stringify(server.cert.toString())}`,
      `  key: ${JSON.stringify(server.key.toString())}`,
      `  client_ca: ${JSON.stringify(pki.ca.toString())}`,
      '  client_auth_type: RequireAndVerifyClientCert'
    ])
    expect(await outcome(url, trusted)).toBe(200)
    expect(await outcome(url, untrusted)).toBe('refused')
  })
})

describe('tls_server_config versions, cipher suites and curves', () => {
  it('min_version: a client that cannot speak it is refused; max_version caps what is negotiated', async () => {
    const tls13 = await serveTls([...certLines, '  min_version: TLS13'])
    expect(await outcome(tls13, { maxVersion: 'TLSv1.2' })).toBe('refused')
    expect((await httpsGet(`${tls13}/-/healthy`, { ca: pki.ca })).protocol).toBe('TLSv1.3')
    const byDefault = await serveTls(certLines)
    expect(await outcome(byDefault, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' })).toBe('refused') // TLS12 is the default minimum
    expect((await httpsGet(`${byDefault}/-/healthy`, { ca: pki.ca, maxVersion: 'TLSv1.2' })).protocol).toBe('TLSv1.2')
    const tls12 = await serveTls([...certLines, '  max_version: TLS12'])
    expect((await httpsGet(`${tls12}/-/healthy`, { ca: pki.ca })).protocol).toBe('TLSv1.2')
    expect(await outcome(tls12, { minVersion: 'TLSv1.3' })).toBe('refused')
  })

  it('cipher_suites limits TLS 1.2 to the listed suites, in the server\'s order', async () => {
    const url = await serveTls([...certLines, '  max_version: TLS12', '  cipher_suites: [TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]'])
    expect((await httpsGet(`${url}/-/healthy`, { ca: pki.ca })).cipher).toBe('ECDHE-ECDSA-CHACHA20-POLY1305')
    expect((await httpsGet(`${url}/-/healthy`, { ca: pki.ca, ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' })).cipher).toBe('ECDHE-ECDSA-AES256-GCM-SHA384')
    expect(await outcome(url, { ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })).toBe('refused')
  })

  it('curve_preferences limits the ECDHE groups (TLS 1.3 too)', async () => {
    const url = await serveTls([...certLines, '  curve_preferences: [CurveP384]'])
    expect(await outcome(url, { ecdhCurve: 'X25519' })).toBe('refused')
    expect(await outcome(url, { ecdhCurve: 'P-384' })).toBe(200)
  })
})

describe('slow TLS clients', () => {
  it('drops a client that connects and never finishes the handshake (handshakeTimeout), and keeps serving', async () => {
    const url = await serveTls(certLines, { handshakeTimeout: 300 })
    const socket = connect(Number(new URL(url).port), '127.0.0.1')
    let closed = false
    socket.on('close', () => { closed = true })
    socket.on('error', () => {})
    await new Promise<void>(resolve => socket.once('connect', resolve))
    socket.write(Buffer.from([0x16, 0x03, 0x01])) // the start of a ClientHello, never finished
    await waitFor('the server to drop the stalled handshake', () => closed, 5000)
    expect(await outcome(url)).toBe(200)
  })
})
