/**
 * The golden exposition (as node_exporter's collector/fixtures/e2e-output.txt): every family of
 * the tracker rendered from a fixed scenario (a fake clock, fixed peers, agents, protocols,
 * dials, close reasons, RTTs) in text 0.0.4 and in OpenMetrics, compared with the checked-in
 * files test/fixtures/exposition.txt and test/fixtures/exposition.openmetrics.txt. A changed
 * name, HELP text, type, label or label value of the public contract is then a diff in review.
 *
 * The render is the tracker's own families (the pure account, insight and reliability
 * counters through TrackerCollector, as the peerTracker service renders them), then a polling
 * source's health (SourceHealth, as the CLI renders it after them with --source=beacon-api). The process
 * metrics (prom-client's process_* and nodejs_*) are left out: their values change from run to
 * run, and they are not the tracker's contract.
 *
 * After an intended change, regenerate the files and review their diff:
 *   npm run golden:update     (UPDATE_GOLDEN=1 npx vitest run test/unit/golden-exposition.test.ts)
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { PeerInsight } from '../../src/insight/peer-insight.js'
import { ALL_METRICS as TRACKER_METRICS, SOURCE_METRICS } from '../../src/metrics/definitions.js'
import { ExpositionWriter } from '../../src/metrics/exposition.js'
import { TrackerCollector } from '../../src/metrics/tracker-collector.js'
import { SourceHealth } from '../../src/sources/source-health.js'
import { PeerAccount } from '../../src/tracker/peer-account.js'
import { ReliabilityCounters } from '../../src/tracker/reliability-counters.js'
import { parseExposition } from '../support/exposition.js'
import { lintFindings, parseOpenMetrics } from '../support/promtool.js'
import type { ExpositionFormat } from '../../src/metrics/exposition.js'
import type { Direction } from '../../src/tracker/connection-labels.js'

/** The tracker's families, then a polling source's health (rendered after them by the CLI). */
const ALL_METRICS = [...TRACKER_METRICS, ...Object.values(SOURCE_METRICS)]

const FILES: Record<ExpositionFormat, string> = {
  text: fileURLToPath(new URL('../fixtures/exposition.txt', import.meta.url)),
  openmetrics: fileURLToPath(new URL('../fixtures/exposition.openmetrics.txt', import.meta.url))
}
const UPDATE = process.env.UPDATE_GOLDEN === '1'
const HOW_TO_UPDATE = 'If the change is intended, regenerate the golden files with `npm run golden:update` ' +
  '(UPDATE_GOLDEN=1 npx vitest run test/unit/golden-exposition.test.ts) and review their diff: it is the change to the public contract.'

/** Real-looking peer IDs (base58 Ed25519 and RSA), fixed. */
const PEERS = {
  kubo: '12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc8',
  lighthouse: '16Uiu2HAm7dZkCWiDwBgnJyjJt2q4LhMz7TiJuLhPfDmfVY6Xw4Xd',
  helia: '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq',
  rust: '12D3KooWSHj3RRbBjD15g6wekV8y3mm57Pobmps2g2WJm6F67Lay',
  unidentified: 'QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN',
  flapping: '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN',
  gone: '12D3KooWLRPJAA5o6Z6CfjTFyVWNjc1owmhQfjj8dutnB8NqUStM'
} as const

/** The scenario: a fixed sequence of events on a fake clock; returns the render in a format. */
function scenario (): (format: ExpositionFormat) => string {
  let now = 1_767_225_600_000 // 2026-01-01T00:00:00Z
  const clock = { now: () => now }
  const advance = (ms: number): void => { now += ms }
  const insight = new PeerInsight({ flappingSessions: 3, flappingWindowMs: 600_000, historyPeers: 100, historySessions: 5 })
  const tracker = new PeerAccount(clock, [
    { direction: 'inbound', transport: 'tcp', encryption: 'noise', muxer: 'yamux' },
    { direction: 'outbound', transport: 'tcp', encryption: 'noise', muxer: 'yamux' }
  ], insight)
  const reliability = new ReliabilityCounters()
  const collector = new TrackerCollector(tracker, {
    maxPeerSeries: 4,
    buildInfo: { version: '1.2.3', revision: '0123456789ab', libp2pVersion: '3.3.11', nodejsVersion: 'v20.20.2' },
    startTimeSeconds: now / 1000,
    dhtRoutingTablePeers: () => 17,
    lastPeerStoreSweep: () => ({ records: 42, endedAt: 1_767_225_600_000 + 5_000 }),
    reliability,
    insight
  })

  let connections = 0
  const open = (peerId: string, direction: Direction, remoteAddr: string, transport: 'tcp' | 'ws' | 'circuit' = 'tcp', muxer: 'yamux' | 'mplex' = 'yamux'): string => {
    const id = `conn-${++connections}`
    tracker.connectionOpened({ id, peerId, direction, remoteAddr, transport, encryption: 'noise', muxer })
    return id
  }
  const identify = (peerId: string, agent: string | undefined, protocols: string[]): void => {
    tracker.peerIdentified(peerId, agent, protocols)
  }
  const rtt = (peerId: string, ms: number): void => {
    const session = tracker.session(peerId)
    if (session === undefined) throw new Error(`no session of ${peerId}`)
    insight.rttSampled(session, ms)
  }
  const close = (peerId: string, connectionId: string, reason: 'local' | 'remote' | 'reset' | 'timeout'): void => {
    tracker.connectionClosed(connectionId)
    insight.connectionCloseClassified(connectionId, peerId, reason, now)
  }

  // Peers that stay connected, the oldest a day and more.
  open(PEERS.kubo, 'outbound', '/ip4/203.0.113.7/tcp/4001')
  identify(PEERS.kubo, 'kubo/0.32.1/', ['/ipfs/id/1.0.0', '/ipfs/id/push/1.0.0', '/ipfs/ping/1.0.0', '/ipfs/kad/1.0.0', '/ipfs/bitswap/1.2.0', '/x/unknown/1.0.0'])
  rtt(PEERS.kubo, 42)
  advance(26 * 3_600_000)
  open(PEERS.lighthouse, 'inbound', '/ip6/2001:db8::7/tcp/9000')
  identify(PEERS.lighthouse, 'Lighthouse/v5.3.0-d6ba8c3/x86_64-linux', ['/ipfs/id/1.0.0', '/meshsub/1.1.0', '/eth2/beacon_chain/req/status/1/ssz_snappy'])
  rtt(PEERS.lighthouse, 180)
  advance(7 * 3_600_000)
  open(PEERS.helia, 'inbound', '/ip4/198.51.100.3/tcp/4002/ws', 'ws', 'mplex')
  identify(PEERS.helia, 'helia/5.1.0 js-libp2p/2.8.1 UserAgent=Node.js', ['/ipfs/id/1.0.0', '/ipfs/ping/1.0.0'])
  rtt(PEERS.helia, 3)
  // Two peer IDs behind one IP.
  open(PEERS.rust, 'inbound', '/ip4/198.51.100.3/tcp/4100')
  identify(PEERS.rust, 'rust-libp2p/0.54.1', ['/ipfs/id/1.0.0', '/libp2p/circuit/relay/0.2.0/hop'])
  rtt(PEERS.rust, 0.9)
  advance(90 * 60_000)
  open(PEERS.unidentified, 'outbound', '/ip4/192.0.2.1/tcp/4001/p2p/12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc8/p2p-circuit', 'circuit')

  // A peer that left: a session of 5 minutes, closed by the remote side; a second connection reset.
  const goneA = open(PEERS.gone, 'outbound', '/ip4/203.0.113.9/tcp/4001')
  const goneB = open(PEERS.gone, 'inbound', '/ip4/203.0.113.9/tcp/4002')
  advance(5 * 60_000)
  close(PEERS.gone, goneB, 'reset')
  close(PEERS.gone, goneA, 'remote')

  // A flapping peer: three sessions within the window, the last still open.
  for (let i = 0; i < 3; i++) {
    const c = open(PEERS.flapping, 'inbound', '/ip4/203.0.113.44/tcp/50000')
    advance(20_000)
    if (i < 2) {
      close(PEERS.flapping, c, i === 0 ? 'timeout' : 'local')
      advance(10_000)
    }
  }
  advance(3_000) // past the prune grace period: the local close counts as local

  // Dials: two successes and one failure of each kind the table knows.
  insight.dialSucceeded()
  insight.dialSucceeded()
  const failures: unknown[] = [
    Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }),
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('connect EHOSTUNREACH'), { code: 'EHOSTUNREACH' }),
    new Error('Payload identity key 12D3KooWA does not match expected remote identity key 12D3KooWB'),
    Object.assign(new Error('The dial request has no valid addresses'), { name: 'NoValidAddressesError' }),
    Object.assign(new Error('Error occurred during XX handshake'), { name: 'EncryptionFailedError' }),
    Object.assign(new Error('No muxer configured'), { name: 'MuxerUnavailableError' }),
    Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }),
    Object.assign(new Error('Dial queue is full'), { name: 'ConnectionDeniedError' }),
    Object.assign(new Error('The dial request is blocked by gater.denyDialPeer'), { name: 'DialDeniedError' }),
    new Error('Can not dial self')
  ]
  for (const err of failures) insight.dialFailed(err)

  reliability.internalErrors.count('rtt')
  reliability.gatedConnections.inbound += 3

  // A Beacon API source: a Lodestar node, polled every 5 s; two good polls, one timeout, one
  // answer over the cap, the last good; one identity change of the watched node.
  const source = new SourceHealth('beacon-api', 5_000)
  source.nodeAgent('Lodestar/v1.5.1/fa5e3c7')
  source.polled('success', 0.004, now - 15_000)
  source.polled('timeout', 4, now - 10_000)
  source.polled('too_large', 0.2, now - 5_000)
  source.polled('success', 0.006, now)
  source.nodeChanges.identity++

  return (format) => {
    const writer = new ExpositionWriter(format)
    collector.collect(writer)
    source.collect(writer)
    return writer.finish()
  }
}

function familiesIn (body: string): string[] {
  return [...body.matchAll(/^# TYPE (\S+) /gm)].map(m => m[1] as string)
}

describe('the golden exposition (test/fixtures/exposition*.txt)', () => {
  const render = scenario()

  for (const format of ['text', 'openmetrics'] as const) {
    it(`${format}: the render of the fixed scenario is the checked-in file, byte for byte`, () => {
      const body = render(format)
      if (UPDATE) writeFileSync(FILES[format], body)
      let golden: string
      try {
        golden = readFileSync(FILES[format], 'utf8')
      } catch {
        throw new Error(`${FILES[format]} is missing. ${HOW_TO_UPDATE}`)
      }
      if (body !== golden) {
        const a = body.split('\n')
        const b = golden.split('\n')
        const i = a.findIndex((line, n) => line !== b[n])
        const at = i === -1 ? Math.min(a.length, b.length) : i
        expect.fail(`The ${format} exposition differs from ${FILES[format]} at line ${at + 1}:\n` +
          `  golden:   ${b[at] ?? '(end of file)'}\n  rendered: ${a[at] ?? '(end of render)'}\n${HOW_TO_UPDATE}`)
      }
    })
  }

  it('renders every family ALL_METRICS defines, in the order it defines them, with samples', () => {
    const text = render('text')
    const missing = ALL_METRICS.map(m => m.name).filter(name => !familiesIn(text).includes(name))
    expect(missing, `families defined in src/metrics/definitions.ts but not in the golden render: add what feeds them to the scenario in this test, then ${HOW_TO_UPDATE}`).toEqual([])
    expect(familiesIn(text)).toEqual(ALL_METRICS.map(m => m.name))
    const parsed = parseExposition(text)
    for (const m of ALL_METRICS) {
      expect(parsed.samples.some(s => s.name.startsWith(m.name)), `${m.name} has no sample`).toBe(true)
    }
    // OpenMetrics names a counter's family without _total.
    const openmetricsFamilies = familiesIn(render('openmetrics'))
    expect(openmetricsFamilies).toEqual(ALL_METRICS.map(m => m.type === 'counter' ? m.name.replace(/_total$/, '') : m.name))
  })

  it('the scenario reaches the interesting values: each label set of the scenario is non-zero', () => {
    const parsed = parseExposition(render('text'))
    const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
      parsed.samples.find(s => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
    expect(value('libp2p_tracker_connected_peers')).toBe(6)
    expect(value('libp2p_tracker_peer_series_dropped')).toBe(2)
    expect(value('libp2p_tracker_flapping_peers')).toBe(1)
    expect(value('libp2p_tracker_ips_with_multiple_peer_ids')).toBe(1)
    expect(value('libp2p_tracker_stable_peers', { min_age: '24h' })).toBe(1)
    for (const reason of ['local', 'remote', 'reset', 'timeout']) expect(value('libp2p_tracker_connection_close_reasons_total', { reason }), reason).toBeGreaterThan(0)
    for (const reason of ['timeout', 'refused', 'unreachable', 'peer_id_mismatch', 'no_valid_addresses', 'encryption_failed', 'muxer_failed', 'aborted', 'resource_limit', 'denied', 'other']) {
      expect(value('libp2p_tracker_dial_errors_total', { reason }), reason).toBe(1)
    }
    for (const agent of ['kubo', 'lighthouse', 'helia', 'rust-libp2p']) expect(value('libp2p_tracker_peer_rtt_seconds_count', { agent }), agent).toBe(1)
  })

  it('both files pass promtool check metrics and the OpenMetrics parser', async () => {
    expect(await lintFindings(readFileSync(FILES.text, 'utf8'))).toEqual([])
    const parsed = await parseOpenMetrics(readFileSync(FILES.openmetrics, 'utf8'))
    expect(parsed.samples.length).toBe(parseExposition(readFileSync(FILES.text, 'utf8')).samples.length)
  })
})
