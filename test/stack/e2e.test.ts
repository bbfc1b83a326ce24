/**
 * End to end on 127.0.0.1 with real servers: the built tracker (dist/cli/main.js) with
 * real libp2p peers, Debian's Prometheus scraping it every second with the project's rules
 * time-scaled by 1/30, and Debian's Alertmanager with the project's routing and inhibit
 * rules, notifying a webhook receiver in this test.
 *
 * Scaled by 1/30, LibP2PTrackerPeerCountDrop compares the peer count with its peak of the
 * last 4 minutes (2h), which must be 10 or more, after a fall to under half of the 30 s
 * (15m) peak, in a process watched for 40 s (20m), and holds for 4 s (for: 2m). The rule
 * logic at full scale is covered by promtool test rules and alert-scenarios.test.ts.
 *
 * The tracker also has one bootstrap peer whose port refuses connections, so that its own
 * dials fail and the dial panels have something true to show; the last test reads the
 * peer-insight panels back from Prometheus and checks them against what the swarm did.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { METRICS } from '../../src/metrics/definitions.js'
import { startCliTracker } from '../support/tracker.js'
import { createTestPeer } from '../support/peers.js'
import { startTestAlertmanager, type TestAlertmanager } from '../support/stack/alertmanager.js'
import { allPanels, readDashboard, withVariables, type Dashboard } from '../support/stack/dashboard.js'
import { POLLING_SOURCE_ONLY } from '../support/stack/exported-metrics.js'
import { metricNames } from '../support/stack/promql.js'
import { freePort } from '../support/ports.js'
import { instantQuery, loadedRules, startTestPrometheus, TRACKER_JOB, type TestPrometheus } from '../support/stack/prometheus.js'
import { SERVER_POLL, waitFor } from '../support/wait.js'
import { startWebhookReceiver, type WebhookReceiver } from '../support/stack/webhook.js'
import type { Libp2p } from '@libp2p/interface'

const TIME_SCALE = 1 / 30
/** PeerCountDrop's baseline window (the peak of 2h) after scaling, in ms. */
const BASELINE_WINDOW_MS = 2 * 3_600_000 * TIME_SCALE
const PEERS = 12
const PEERS_TAKEN_AWAY = 9

type Tracker = Awaited<ReturnType<typeof startCliTracker>>

let tracker: Tracker
let webhook: WebhookReceiver
let alertmanager: TestAlertmanager
let prometheus: TestPrometheus
let instance: string
let startedAt: number
const peers: Libp2p[] = []
/** Distinct peers that have connected to the tracker so far. */
let sessionsOpened = 0

async function addPeers (count: number): Promise<void> {
  const added = await Promise.all(Array.from({ length: count }, async () => {
    const peer = await createTestPeer({ listen: false })
    await peer.start()
    return peer
  }))
  peers.push(...added)
  sessionsOpened += count
  await Promise.all(added.map(async (peer) => await peer.dial(tracker.listenAddrs.map((a) => multiaddr(a)))))
}

async function removePeers (count: number): Promise<void> {
  await Promise.all(peers.splice(0, count).map(async (peer) => { await peer.stop() }))
}

async function query (expr: string): Promise<Array<{ metric: Record<string, string>, value: number }>> {
  return (await instantQuery(prometheus.url, expr)).map((s) => ({ metric: s.metric, value: Number(s.value[1]) }))
}

async function connectedPeersSeenByPrometheus (): Promise<number | undefined> {
  return (await query(`${METRICS.connectedPeers.name}{instance="${instance}"}`))[0]?.value
}

function sumOf (values: Record<string, number>): number {
  return Object.values(values).reduce((a, b) => a + b, 0)
}

/** The query of one panel target, with the dashboard variables as Grafana fills them. */
function panelQuery (dashboard: Dashboard, title: string, refId: string, rateInterval: string): string {
  const target = allPanels(dashboard).find((p) => p.title === title)?.targets?.find((t) => t.refId === refId)
  if (target?.expr === undefined) throw new Error(`the dashboard has no panel "${title}" with query ${refId}`)
  return withVariables(target.expr, { job: TRACKER_JOB, instance: '.*', rateInterval })
}

beforeAll(async () => {
  // A bootstrap peer nobody listens for: every dial of the keeper is refused.
  const refusedPeerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  const refusedPort = await freePort()
  startedAt = Date.now()
  tracker = await startCliTracker([
    `--p2p.bootstrap=/ip4/127.0.0.1/tcp/${refusedPort}/p2p/${refusedPeerId}`,
    '--tracker.rtt-sample-interval=1s',
    // Every test peer dials from 127.0.0.1 at once: lift the per-IP rate and the
    // mid-handshake limit (defaults 5/s and 10).
    '--p2p.inbound-connection-threshold=1000',
    '--p2p.max-incoming-pending-connections=100',
    '--tracker.report-interval=0'
  ])
  instance = new URL(tracker.url).host
  webhook = await startWebhookReceiver()
  alertmanager = await startTestAlertmanager(webhook.url)
  prometheus = await startTestPrometheus({
    trackers: [instance],
    alertmanager: alertmanager.address,
    ruleTimeScale: TIME_SCALE
  })
}, 60_000)

afterAll(async () => {
  await Promise.all(peers.splice(0).map(async (peer) => { await peer.stop() }))
  await prometheus?.stop()
  await alertmanager?.stop()
  await webhook?.close()
  await tracker?.stop()
}, 30_000)

describe('tracker -> Prometheus -> Alertmanager -> receiver', () => {
  it('pages LibP2PTrackerPeerCountDrop when peers go away and resolves it when they come back', async () => {
    await addPeers(PEERS)
    await waitFor(`Prometheus to see ${PEERS} peers`, async () =>
      (await connectedPeersSeenByPrometheus()) === PEERS ? true : undefined, SERVER_POLL)

    // The scaled start-up guard and baseline: the same process watched for 40 s, with a
    // peak of at least 10 peers in the last 4 minutes.
    await waitFor('the drop alert to be armed (start-up guard and baseline)', async () => {
      const guard = await query(`last_over_time(${METRICS.startTime.name}[6s]) == last_over_time(${METRICS.startTime.name}[40s] offset 40s)`)
      const baseline = await query(`max_over_time(${METRICS.connectedPeers.name}[4m]) >= 10`)
      return guard.length === 1 && baseline.length === 1 ? true : undefined
    }, { ...SERVER_POLL, timeoutMs: 90_000, intervalMs: 500 })
    expect(webhook.alerts().filter((a) => a.labels.alertname === 'LibP2PTrackerPeerCountDrop')).toEqual([])

    const takenAwayAt = Date.now()
    await removePeers(PEERS_TAKEN_AWAY)
    const firing = await waitFor('LibP2PTrackerPeerCountDrop to reach the webhook', () =>
      webhook.alerts().find((a) => a.status === 'firing' && a.labels.alertname === 'LibP2PTrackerPeerCountDrop'),
    { ...SERVER_POLL, timeoutMs: 30_000 })
    expect(firing.labels).toMatchObject({ job: TRACKER_JOB, instance, severity: 'warning' })
    expect(firing.annotations.description).toContain(`has ${PEERS - PEERS_TAKEN_AWAY} connected peers`)
    expect(firing.annotations.runbook_url).toMatch(/docs\/alerts\.md#libp2ptrackerpeercountdrop$/)

    // Every dashboard panel query returns data now (ALERTS included: the alert fires), except
    // those of the families only a polling source has (source-dashboard.test.ts checks them).
    const dashboard = await readDashboard()
    for (const panel of allPanels(dashboard)) {
      for (const target of panel.targets ?? []) {
        if ([...metricNames(target.expr ?? '')].some((name) => POLLING_SOURCE_ONLY.has(name))) continue
        const expr = withVariables(target.expr ?? '', { job: TRACKER_JOB, instance: '.*', rateInterval: '4s' })
        const result = await instantQuery(prometheus.url, expr)
        expect(result.length, `panel "${panel.title ?? ''}" ${target.refId}: ${expr}`).toBeGreaterThan(0)
      }
    }

    await addPeers(PEERS_TAKEN_AWAY)
    const resolved = await waitFor('LibP2PTrackerPeerCountDrop to be resolved at the webhook', () =>
      webhook.alerts().find((a) => a.status === 'resolved' && a.labels.alertname === 'LibP2PTrackerPeerCountDrop'),
    { ...SERVER_POLL, timeoutMs: 30_000 })
    expect(resolved.startsAt).toBe(firing.startsAt)
    // Resolved by the peers coming back, not by the 4-minute baseline moving past the drop.
    const elapsed = Date.now() - takenAwayAt
    expect(elapsed, `resolved ${elapsed} ms after the drop`).toBeLessThan(BASELINE_WINDOW_MS)
    // It resolves as soon as a scrape sees half of the peers back; the rest follow.
    await waitFor(`Prometheus to see ${PEERS} peers again`, async () =>
      (await connectedPeersSeenByPrometheus()) === PEERS ? true : undefined, SERVER_POLL)
  }, 180_000)

  it('shows on the peer-insight panels what the swarm did', async () => {
    // The first test leaves all peers connected: 12 at once, 21 distinct peers in all (9
    // left and 9 new ones came), every one from 127.0.0.1, none of them twice. The panel
    // queries run as Grafana would send them, over a range covering the whole test.
    const dashboard = await readDashboard()
    const rangeSeconds = Math.ceil((Date.now() - startedAt) / 1000) + 60
    const connected = PEERS
    const expectations: Array<[panel: string, refId: string, check: (values: Record<string, number>) => boolean]> = [
      ['Peers by client', 'A', (v) => v['js-libp2p'] === connected && sumOf(v) === connected],
      ['Client versions', 'A', (v) => sumOf(v) === connected && Object.keys(v).every((k) => k.startsWith('js-libp2p '))],
      ['Peers by protocol', 'A', (v) => v.identify === connected && v.ping === connected && v.kad === 0],
      ['Peers by address family', 'A', (v) => v.ip4 === connected && sumOf(v) === connected],
      ['Dials by outcome', 'A', (v) => (v.failure ?? 0) > 0 && v.success === 0],
      ['Dial failure ratio', 'A', (v) => Object.values(v)[0] === 1],
      ['Dial errors by reason', 'A', (v) => (v.refused ?? 0) > 0 && sumOf(v) === v.refused],
      ['Connection close reasons', 'A', (v) => (v.remote ?? 0) + (v.reset ?? 0) > 0 && v.pruned === 0 && v.shutdown === 0],
      ['Peer RTT', 'A', (v) => (v['+Inf'] ?? 0) > 0],
      ['RTT by client', 'A', (v) => Number.isFinite(v['js-libp2p']) && (v['js-libp2p'] as number) < 1],
      ['Flapping peers', 'A', (v) => Object.values(v)[0] === 0],
      ['Peer reconnects', 'A', (v) => Object.values(v)[0] === 0],
      ['Stable core', 'A', (v) => Object.keys(v).length === 4 && sumOf(v) === 0],
      ['New vs returning peers', 'A', (v) => (Object.values(v)[0] ?? 0) > 0],
      ['New vs returning peers', 'B', (v) => Object.values(v)[0] === 0],
      ['Peers seen and remembered', 'A', (v) => Object.values(v)[0] === sessionsOpened],
      ['Peers seen and remembered', 'B', (v) => Object.values(v)[0] === sessionsOpened],
      ['Sybil signal: peer IDs per IP', 'A', (v) => Object.values(v)[0] === 1],
      ['Sybil signal: peer IDs per IP', 'B', (v) => Object.values(v)[0] === connected],
      ['Connections refused by the IP filter', 'A', (v) => v.inbound === 0 && v.outbound === 0],
      ['Internal errors by component', 'A', (v) => Object.keys(v).length > 0]
    ]
    for (const [title, refId, check] of expectations) {
      const expr = panelQuery(dashboard, title, refId, `${rangeSeconds}s`)
      const isHeatmap = allPanels(dashboard).find((p) => p.title === title)?.type === 'heatmap'
      const values = await waitFor(`panel "${title}" ${refId} to show what the swarm did`, async () => {
        const result = await query(expr)
        // Per-tracker panels keep the instance label (the one tracker here); the heatmaps of
        // distributions sum over the selected trackers.
        if (!isHeatmap) expect(result.map((s) => s.metric.instance), `${title} ${refId}`).toEqual(result.map(() => instance))
        const byLabel = Object.fromEntries(result.map((s) => [
          Object.entries(s.metric).filter(([label]) => label !== 'instance').map(([, value]) => value).join(' '), s.value
        ]))
        return result.length > 0 && check(byLabel) ? byLabel : undefined
      }, { ...SERVER_POLL, timeoutMs: 20_000, intervalMs: 500 }).catch(async (error: Error) => {
        throw new Error(`${error.message}; last result: ${JSON.stringify(await query(expr))}`)
      })
      expect(check(values), `${title} ${refId}: ${JSON.stringify(values)}`).toBe(true)
    }
  }, 120_000)

  it('evaluates every rule on real data without error', async () => {
    const rules = await waitFor('every rule to be evaluated', async () => {
      const loaded = (await loadedRules(prometheus.url)).flatMap((g) => g.rules)
      return loaded.every((r) => !r.lastEvaluation.startsWith('0001-')) ? loaded : undefined
    }, SERVER_POLL)
    expect(rules.length).toBeGreaterThanOrEqual(14)
    for (const rule of rules) {
      expect({ rule: rule.name, health: rule.health, error: rule.lastError ?? '' }).toEqual({ rule: rule.name, health: 'ok', error: '' })
    }
    // The accounting invariant holds in what Prometheus scraped.
    const invariant = await query(
      `sum(${METRICS.peerConnects.name}) - sum(${METRICS.peerDisconnects.name}) - sum(${METRICS.connectedPeers.name})`)
    expect(invariant.map((s) => s.value)).toEqual([0])
  })
})
