import { describe, expect, it } from 'vitest'
import { AMINO_BOOTSTRAP, DEFAULT_WEB_PORT } from '../../src/config/config.js'
import { ConfigError } from '../../src/config/config-error.js'
import { attributeToEnvironment, buildConfig, envName } from '../../src/config/parse.js'
import { parseDuration, parseListenAddress } from '../../src/config/values.js'

const PEER = '12D3KooWApmhCDoUFED7qJcRjPVrbmAjmATuxCeZrMD9d5CLPFNf'

function errorOf (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as Error).message
  }
  throw new Error('expected a ConfigError')
}

describe('buildConfig', () => {
  it('has the documented defaults', () => {
    const config = buildConfig({})
    expect(config.web).toEqual({ host: undefined, port: DEFAULT_WEB_PORT, telemetryPath: '/metrics', disableExporterMetrics: false })
    expect(config.p2p.listen).toEqual(['/ip4/0.0.0.0/tcp/0', '/ip6/::/tcp/0'])
    expect(config.p2p.bootstrap).toEqual(AMINO_BOOTSTRAP)
    expect(config.p2p.muxers).toEqual(['yamux', 'mplex'])
    expect(config.p2p.dht).toBe('client')
    expect(config.p2p.maxConnections).toBe(300)
    expect(config.tracker).toEqual({ maxPeerSeries: 500, reportIntervalMs: 30_000, reportPeers: 10 })
    expect(config.log).toEqual({ level: 'info', format: 'json' })
    expect(config.p2p.peerStoreMaxAgeMs).toBe(6 * 3_600_000) // libp2p's own MAX_PEER_AGE
  })

  it.each([['1m', 60_000], ['90s', 90_000], ['2m', 120_000], ['1h30m', 5_400_000], ['7d', 7 * 86_400_000]])('takes --p2p.peer-store-max-age=%s', (value, ms) => {
    expect(buildConfig({ 'p2p.peer-store-max-age': value }).p2p.peerStoreMaxAgeMs).toBe(ms)
  })

  it('takes repeated and comma-separated multiaddrs; an empty bootstrap means none', () => {
    const config = buildConfig({
      'p2p.listen': ['/ip4/127.0.0.1/tcp/4001', '/ip4/127.0.0.1/tcp/4002,/ip6/::1/tcp/4003'],
      'p2p.bootstrap': ['']
    })
    expect(config.p2p.listen).toEqual(['/ip4/127.0.0.1/tcp/4001', '/ip4/127.0.0.1/tcp/4002', '/ip6/::1/tcp/4003'])
    expect(config.p2p.bootstrap).toEqual([])
  })

  it('orders muxers as given', () => {
    expect(buildConfig({ 'p2p.muxers': 'mplex,yamux' }).p2p.muxers).toEqual(['mplex', 'yamux'])
    expect(buildConfig({ 'p2p.muxers': 'mplex' }).p2p.muxers).toEqual(['mplex'])
  })

  it.each([
    [{ 'p2p.listen': ['/ip4/1.2.3.4/tcpx/1'] }, '--p2p.listen: "/ip4/1.2.3.4/tcpx/1" is not a valid multiaddr'],
    [{ 'p2p.bootstrap': ['/ip4/127.0.0.1/tcp/4001'] }, '--p2p.bootstrap: "/ip4/127.0.0.1/tcp/4001" has no /p2p/<peer-id> part'],
    [{ 'p2p.bootstrap': ['not-a-multiaddr'] }, '--p2p.bootstrap: "not-a-multiaddr" is not a valid multiaddr'],
    [{ 'p2p.bootstrap': ['/ip4/1.2.3.4/tcp/1/p2p/notapeerid'] }, '--p2p.bootstrap: "/ip4/1.2.3.4/tcp/1/p2p/notapeerid" has an invalid peer ID "notapeerid" (expected one like 12D3KooW... or Qm...)'],
    [{ 'p2p.bootstrap': ['/ip4/1.2.3.4/tcp/1/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGA'] },
      '--p2p.bootstrap: "/ip4/1.2.3.4/tcp/1/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGA" has an invalid peer ID "QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGA" (expected one like 12D3KooW... or Qm...)'],
    [{ 'p2p.bootstrap': [`/ip4/1.2.3.4/tcp/1/p2p/${PEER.slice(0, -1)}`] }, `--p2p.bootstrap: "/ip4/1.2.3.4/tcp/1/p2p/${PEER.slice(0, -1)}" has an invalid peer ID "${PEER.slice(0, -1)}" (expected one like 12D3KooW... or Qm...)`],
    [{ 'p2p.listen': [`/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`] },
      `--p2p.listen: "/ip4/127.0.0.1/tcp/4001/p2p/${PEER}" names a peer (/p2p/${PEER}); a listen address is this node's own, without /p2p/ (libp2p adds this node's peer ID itself)`],
    [{ 'p2p.muxers': 'yamux,quic' }, '--p2p.muxers: "quic" is not one of yamux, mplex'],
    [{ 'p2p.muxers': 'yamux,yamux' }, '--p2p.muxers: "yamux,yamux" names a muxer twice'],
    [{ 'p2p.muxers': ',' }, '--p2p.muxers: name at least one of yamux, mplex'],
    [{ 'p2p.dht': 'full' }, '--p2p.dht: "full" is not one of client, server, off'],
    [{ 'p2p.max-connections': '0' }, '--p2p.max-connections: must be at least 1, got 0'],
    [{ 'p2p.max-connections': '12abc' }, '--p2p.max-connections: "12abc" is not a whole number'],
    [{ 'tracker.max-peer-series': '-1' }, '--tracker.max-peer-series: "-1" is not a whole number'],
    [{ 'tracker.max-peer-series': '99999999999999999999' }, '--tracker.max-peer-series: "99999999999999999999" is too large'],
    [{ 'tracker.report-interval': '30' }, '--tracker.report-interval: "30" is not a duration (examples: 500ms, 30s, 5m, 1h30m, or 0 to disable)'],
    [{ 'p2p.peer-store-max-age': '6' }, '--p2p.peer-store-max-age: "6" is not a duration (examples: 30m, 6h, 1d)'],
    [{ 'p2p.peer-store-max-age': '0' }, '--p2p.peer-store-max-age: must be at least 1m, got "0"'],
    [{ 'p2p.peer-store-max-age': '59s' }, '--p2p.peer-store-max-age: must be at least 1m, got "59s"'],
    [{ 'p2p.peer-store-max-age': '-1h' }, '--p2p.peer-store-max-age: "-1h" is not a duration (examples: 30m, 6h, 1d)'],
    [{ 'p2p.peer-store-max-age': '' }, '--p2p.peer-store-max-age: "" is not a duration (examples: 30m, 6h, 1d)'],
    [{ 'web.listen-address': 'localhost' }, '--web.listen-address: "localhost" is not HOST:PORT (for example :9089 or 127.0.0.1:9089)'],
    [{ 'web.listen-address': ':70000' }, '--web.listen-address: port 70000 is out of range 0-65535'],
    [{ 'web.telemetry-path': 'metrics' }, '--web.telemetry-path: "metrics" must be a path starting with / (for example /metrics)'],
    [{ 'web.telemetry-path': '/api/metrics' }, '--web.telemetry-path: "/api/metrics" collides with the landing page, health or API paths'],
    [{ 'web.telemetry-path': '/peer-view/metrics' }, '--web.telemetry-path: "/peer-view/metrics" collides with the landing page, health or API paths'],
    [{ 'log.format': 'xml' }, '--log.format: "xml" is not one of json, logfmt'],
    [{ 'p2p.identity-file': ' ' }, '--p2p.identity-file: must not be empty']
  ])('rejects %j with one line naming the flag', (raw, message) => {
    const text = errorOf(() => buildConfig(raw))
    expect(text).toBe(message)
    expect(text).not.toContain('\n')
  })

  it('accepts a bootstrap multiaddr that names its peer (Ed25519, RSA or CID form)', () => {
    const addrs = [`/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`, ...AMINO_BOOTSTRAP, '/ip4/127.0.0.1/tcp/4001/p2p/bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe']
    expect(buildConfig({ 'p2p.bootstrap': addrs }).p2p.bootstrap).toEqual(addrs)
  })

  it('names the environment variable when the bad value came from it', () => {
    const fromEnvironment = new Set(['p2p.bootstrap'])
    expect(errorOf(() => buildConfig({ 'p2p.bootstrap': ['/ip4/1.2.3.4/tcp/1/p2p/notapeerid'] }, { fromEnvironment })))
      .toBe('LIBP2P_TRACKER_P2P_BOOTSTRAP (--p2p.bootstrap): "/ip4/1.2.3.4/tcp/1/p2p/notapeerid" has an invalid peer ID "notapeerid" (expected one like 12D3KooW... or Qm...)')
    // Only the flag whose value came from the environment; others as usual.
    expect(errorOf(() => buildConfig({ 'p2p.dht': 'full' }, { fromEnvironment }))).toBe('--p2p.dht: "full" is not one of client, server, off')
    // Errors found later (a port in use, a corrupt identity file) are attributed the same way.
    const late = attributeToEnvironment(new ConfigError('--web.listen-address: 127.0.0.1:80 is already in use'), new Set(['web.listen-address']))
    expect((late as Error).message).toBe('LIBP2P_TRACKER_WEB_LISTEN_ADDRESS (--web.listen-address): 127.0.0.1:80 is already in use')
    const other = new Error('not the user\'s')
    expect(attributeToEnvironment(other, new Set(['web.listen-address']))).toBe(other)
    expect(envName('tracker.rtt-sample-interval')).toBe('LIBP2P_TRACKER_TRACKER_RTT_SAMPLE_INTERVAL')
    expect(errorOf(() => buildConfig({ 'p2p.peer-store-max-age': '30s' }, { fromEnvironment: new Set(['p2p.peer-store-max-age']) })))
      .toBe('LIBP2P_TRACKER_P2P_PEER_STORE_MAX_AGE (--p2p.peer-store-max-age): must be at least 1m, got "30s"')
  })
})

describe('parseDuration', () => {
  it.each([
    ['0', 0], ['500ms', 500], ['30s', 30_000], ['5m', 300_000], ['1h30m', 5_400_000], ['1d', 86_400_000], ['1m30s500ms', 90_500]
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration('--x', text)).toBe(ms)
  })

  it.each(['', '5', 's', '1.5s', '5 m', '-1s', '1w'])('rejects %j', (text) => {
    expect(errorOf(() => parseDuration('--x', text))).toContain('--x:')
  })
})

describe('parseListenAddress', () => {
  it.each([
    [':9089', { host: undefined, port: 9089 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:9089', { host: '::1', port: 9089 }],
    ['localhost:80', { host: 'localhost', port: 80 }]
  ])('%s', (text, expected) => {
    expect(parseListenAddress('--web.listen-address', text)).toEqual(expected)
  })
})

describe('--source and --source.*', () => {
  const beacon = { source: 'beacon-api', 'source.url': 'http://127.0.0.1:5052' }

  it('defaults to the tracker\'s own libp2p node', () => {
    expect(buildConfig({}).source).toEqual({ kind: 'libp2p' })
  })

  it('takes a polling source with its defaults: every 5s, 4s timeout, no credentials', () => {
    expect(buildConfig(beacon).source).toEqual({ kind: 'beacon-api', url: 'http://127.0.0.1:5052', intervalMs: 5000, timeoutMs: 4000, authFile: undefined, caFile: undefined })
    expect(buildConfig({ source: 'kubo-rpc', 'source.url': 'https://kubo.example:5001/prefix/', 'source.interval': '10s', 'source.timeout': '2s', 'source.auth-file': '/run/secrets/kubo', 'source.ca-file': '/etc/ca.pem' }).source)
      .toEqual({ kind: 'kubo-rpc', url: 'https://kubo.example:5001/prefix', intervalMs: 10_000, timeoutMs: 2000, authFile: '/run/secrets/kubo', caFile: '/etc/ca.pem' })
  })

  it.each([
    [{ source: 'prysm-grpc' }, '--source: "prysm-grpc" is not one of libp2p, beacon-api, kubo-rpc'],
    [{ source: 'beacon-api' }, '--source.url: required with --source=beacon-api'],
    [{ source: 'kubo-rpc' }, '--source.url: required with --source=kubo-rpc'],
    [{ 'source.url': 'http://127.0.0.1:5052' }, '--source.url: only used with --source=beacon-api or --source=kubo-rpc'],
    [{ source: 'libp2p', 'source.auth-file': '/x' }, '--source.auth-file: only used with'],
    [{ ...beacon, 'source.url': 'not a url' }, '--source.url: "not a url" is not a URL'],
    [{ ...beacon, 'source.url': 'ftp://127.0.0.1:5052' }, '--source.url: "ftp://127.0.0.1:5052" is not an http:// or https:// URL'],
    [{ ...beacon, 'source.url': 'http://user:secret@127.0.0.1:5052' }, '--source.url: must not hold credentials'],
    [{ ...beacon, 'source.url': 'http://127.0.0.1:5052/?token=x' }, '--source.url: "http://127.0.0.1:5052/?token=x" must not have a query'],
    [{ ...beacon, 'source.interval': '5s', 'source.timeout': '5s' }, '--source.timeout: must be shorter than --source.interval (5000ms), got "5s"'],
    [{ ...beacon, 'source.interval': '2s' }, '--source.timeout: must be shorter than --source.interval (2000ms), got "4s"'],
    [{ ...beacon, 'source.interval': '100ms' }, '--source.interval: must be at least 500ms'],
    [{ ...beacon, 'source.interval': '1h' }, '--source.interval: must be at most 10m'],
    [{ ...beacon, 'source.interval': 'soon' }, '--source.interval: "soon" is not a duration'],
    [{ ...beacon, 'source.auth-file': ' ' }, '--source.auth-file: must not be empty'],
    [{ ...beacon, 'source.ca-file': '/etc/ca.pem' }, '--source.ca-file: only used with an https:// --source.url']
  ])('refuses %j in one line naming the flag', (raw, message) => {
    const error = errorOf(() => buildConfig(raw))
    expect(error).toContain(message)
    expect(error).not.toContain('\n')
    expect(error).not.toContain('secret')
  })

  it('names the environment variable when the value came from it', () => {
    try {
      buildConfig({ source: 'beacon', 'source.url': 'x' }, { fromEnvironment: new Set(['source']) })
      expect.unreachable()
    } catch (err) {
      expect((err as Error).message).toBe('LIBP2P_TRACKER_SOURCE (--source): "beacon" is not one of libp2p, beacon-api, kubo-rpc')
    }
  })
})
