/**
 * The operator's side of a polling source, end to end: the built tracker CLI reads a
 * stand-in Beacon Node API in Lodestar's shapes (/eth/v1/node/version, /identity and
 * /eth/v1/lodestar/peers; the sources' stand-in, test/integration/source-stand-in.ts), a
 * real Prometheus (Debian's 2.42) scrapes it every second with the project's rules
 * time-scaled by 1/30, and the dashboard's "Source" row is read back through Prometheus as
 * Grafana would ask:
 *
 * - every panel of the row has data for the polled tracker, with the right values (source
 *   and client, source up, poll interval, polls by result, the age of the last poll);
 * - when the API answers 500s, LibP2PTrackerSourceDown fires in Prometheus, "Polls by
 *   result" shows http_error, and the peer count stays what it was (no disconnect counted);
 * - when the API answers again without one of its peers, that peer's connection closes as
 *   source_gap ("Node changes and source gaps"), the count follows, and the alert resolves.
 *
 * The Beacon API's precise behaviour (its shapes, every fault) is the sources' own tests';
 * this one checks that the alert and the panels read what the tracker exports.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { beaconStandIn } from '../integration/source-stand-in.js'
import { allPanels, readDashboard, withVariables, type Dashboard, type DashboardPanel } from '../support/stack/dashboard.js'
import { freePort } from '../support/ports.js'
import { instantQuery, startTestPrometheus, TRACKER_JOB, type TestPrometheus } from '../support/stack/prometheus.js'
import { runCli, type CliRun } from '../support/tracker.js'
import { SERVER_POLL, waitFor } from '../support/wait.js'

let api: ReturnType<typeof beaconStandIn>
let tracker: CliRun
let instance: string
let prometheus: TestPrometheus
let dashboard: Dashboard

beforeAll(async () => {
  const [node, ...peers] = await Promise.all(Array.from({ length: 4 }, async () => peerIdFromPrivateKey(await generateKeyPair('secp256k1')).toString()))
  // A Lodestar 1.5.1 node with three peers (one inbound), answering on /eth/v1/lodestar/peers.
  api = beaconStandIn({ peerId: node ?? '', version: 'Lodestar/v1.5.1/8bb5b4f' })
  api.peers = peers.map((id, i) => ({
    peer_id: id,
    last_seen_p2p_address: `/ip4/127.0.0.${i + 2}/tcp/9000/p2p/${id}`,
    direction: i === 0 ? 'inbound' : 'outbound',
    agent_version: 'Lodestar/v1.5.1/8bb5b4f'
  }))
  await api.start()

  const port = await freePort()
  instance = `127.0.0.1:${port}`
  tracker = runCli([
    `--web.listen-address=${instance}`,
    '--source=beacon-api',
    `--source.url=${api.url}`,
    '--source.poll-interval=1s',
    '--source.timeout=500ms'
  ])
  await waitFor('the tracker to serve metrics', () => {
    if (tracker.exitedYet()) throw new Error(`tracker exited early: ${tracker.stderr()}${tracker.stdout()}`)
    return tracker.logs().some((l) => l.msg === 'serving metrics')
  }, 45_000)
  prometheus = await startTestPrometheus({ trackers: [instance], ruleTimeScale: 1 / 30 })
  dashboard = await readDashboard()
}, 90_000)

afterAll(async () => {
  await prometheus?.stop()
  await tracker?.stop()
  await api?.stop()
})

/** The panels of one row of the dashboard, in order. */
function rowPanels (title: string): DashboardPanel[] {
  const panels = allPanels(dashboard)
  const start = panels.findIndex((p) => p.type === 'row' && p.title === title)
  expect(start, `row "${title}"`).toBeGreaterThanOrEqual(0)
  const end = panels.findIndex((p, i) => i > start && p.type === 'row')
  return panels.slice(start + 1, end < 0 ? undefined : end)
}

/** A panel's query with the variables as Grafana fills them for this tracker. */
function panelQuery (title: string, refId = 'A'): string {
  const expr = allPanels(dashboard).find((p) => p.type !== 'row' && p.title === title)?.targets?.find((t) => t.refId === refId)?.expr
  if (expr === undefined) throw new Error(`no panel "${title}" with query ${refId}`)
  return withVariables(expr, { job: TRACKER_JOB, instance, rateInterval: '4s' })
}

/** Waits until the query gives a result for which `check` returns a value. */
async function until<T> (what: string, expr: string, check: (samples: Array<{ metric: Record<string, string>, value: number }>) => T | undefined): Promise<T> {
  return await waitFor(what, async () => {
    const samples = (await instantQuery(prometheus.url, expr)).map((s) => ({ metric: s.metric, value: Number(s.value[1]) }))
    return samples.length > 0 ? check(samples) : undefined
  }, { ...SERVER_POLL, timeoutMs: 30_000 })
}

describe('a tracker polling a beacon node, seen through Prometheus and the dashboard', () => {
  it('answers every panel of the "Source" row for the polled tracker, with what it polls', async () => {
    const panels = rowPanels('Source')
    expect(panels.length).toBeGreaterThanOrEqual(6)
    // Every target of the row has data. "Node changes and source gaps" B (source_gap closes) has
    // its series once the close reason is exported, at 0 before any gap.
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        const expr = withVariables(target.expr ?? '', { job: TRACKER_JOB, instance, rateInterval: '4s' })
        await until(`panel "${panel.title ?? ''}" ${target.refId ?? ''}: ${expr}`, expr, (samples) => {
          for (const s of samples) expect(s.metric.instance, expr).toBe(instance)
          return true
        })
      }
    }
    const info = await until('Source and client', panelQuery('Source and client'), (samples) => samples[0]?.metric)
    expect(info).toMatchObject({ source: 'beacon-api', client: 'lodestar', version: '1.5' })
    expect(await until('Source up', panelQuery('Source up'), (s) => s[0]?.value)).toBe(1)
    expect(await until('Poll interval', panelQuery('Poll interval'), (s) => s[0]?.value)).toBe(1)
    // Polled every second, scraped every second: the last success is a few seconds old at most.
    const age = await until('Age of the last successful poll under 5 s', panelQuery('Age of the last successful poll'), (s) => {
      const value = s[0]?.value
      return value !== undefined && value >= 0 && value < 5 ? value : undefined
    })
    expect(age).toBeGreaterThanOrEqual(0)
    const polls = await until('Polls by result: success', panelQuery('Polls by result'), (samples) =>
      samples.find((s) => s.metric.result === 'success' && s.value > 0))
    expect(polls.value).toBeGreaterThan(0.2)
    // Under --source.timeout (500 ms): a poll cannot take longer, so neither can the p99.
    const duration = await until('Poll duration p99 under the timeout', panelQuery('Poll duration', 'B'), (s) => {
      const value = s[0]?.value
      return value !== undefined && Number.isFinite(value) && value <= 0.5 ? value : undefined
    })
    expect(duration).toBeGreaterThan(0)
    // The core panels count the node's peers.
    expect(await until('Connected peers = the node\'s 3', panelQuery('Connected peers'), (s) => (s[0]?.value === 3 ? 3 : undefined))).toBe(3)
  }, 120_000)

  it('fires LibP2PTrackerSourceDown while the API fails, keeps the peers, then closes the one gone as source_gap', async () => {
    const alert = `ALERTS{alertname="LibP2PTrackerSourceDown", alertstate="firing", instance="${instance}"}`
    expect(await instantQuery(prometheus.url, alert)).toEqual([])
    api.misbehaviour = 'error_500'
    const failed = await until('Polls by result: http_error', panelQuery('Polls by result'), (samples) =>
      samples.find((s) => s.metric.result === 'http_error' && s.value > 0))
    expect(failed.value).toBeGreaterThan(0)
    expect(await until('Source up = 0', panelQuery('Source up'), (s) => (s[0]?.value === 0 ? 0 : undefined))).toBe(0)
    // for: 2m scaled by 1/30 is 4 s.
    const firing = await until('LibP2PTrackerSourceDown to fire', alert, (s) => s[0]?.metric)
    expect(firing).toMatchObject({ job: TRACKER_JOB, instance, severity: 'warning' })
    // Meanwhile nothing is invented: the same 3 peers, no session closed.
    const peers = await instantQuery(prometheus.url, `libp2p_tracker_connected_peers{instance="${instance}"}`)
    expect(peers.map((s) => s.value[1])).toEqual(['3'])
    const disconnects = await instantQuery(prometheus.url, `sum(libp2p_tracker_peer_disconnects_total{instance="${instance}"})`)
    expect(disconnects.map((s) => s.value[1])).toEqual(['0'])

    // The node answers again, one peer fewer: that connection closes as source_gap.
    api.peers = api.peers.slice(1)
    api.misbehaviour = 'none'
    const gap = await until('Node changes and source gaps: source_gap', panelQuery('Node changes and source gaps', 'B'), (s) => s.find((x) => x.value > 0))
    expect(gap.value).toBeGreaterThan(0)
    const reasons = await until('source_gap counted once', `libp2p_tracker_connection_close_reasons_total{instance="${instance}", reason="source_gap"}`, (s) => (s[0]?.value === 1 ? s : undefined))
    expect(reasons[0]?.value).toBe(1)
    expect(await until('Connected peers = 2', panelQuery('Connected peers'), (s) => (s[0]?.value === 2 ? 2 : undefined))).toBe(2)
    await waitFor('LibP2PTrackerSourceDown to resolve', async () => (await instantQuery(prometheus.url, alert)).length === 0, { ...SERVER_POLL, timeoutMs: 30_000 })
    // No node change: the same node answered.
    const changes = await instantQuery(prometheus.url, `sum(libp2p_tracker_source_node_changes_total{instance="${instance}"})`)
    expect(changes.map((s) => s.value[1])).toEqual(['0'])
  }, 120_000)
})
