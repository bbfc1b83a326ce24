/**
 * A fleet on 127.0.0.1, every part real: three built trackers (dist/cli/main.js), each with
 * its own swarm of real local peers (src/swarm, the module behind `libp2p-peer-tracker
 * swarm`, run in this process to spare three Node start-ups), scraped through file_sd with
 * `region`/`network` target labels by two sites that write into one VictoriaMetrics
 * (Debian's single node, the same remote-write and query API as its cluster version,
 * Mimir and Thanos Receive):
 *
 *   site-a: Prometheus server (rules evaluated here), trackers a1 and a2
 *   site-b: Prometheus in agent mode (no local storage, no rules), tracker b1
 *
 * Each swarm's peers connect, all hang up, and the same peers come back, so every tracker
 * has finished sessions, returning peers and then a steady state whose counts can be
 * compared exactly. Against VictoriaMetrics' Prometheus query API: the series of each
 * tracker arrive apart by instance and external label; the fleet totals equal the sum of
 * the trackers' own /metrics; every panel of both dashboards returns data for each tracker.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { INSIGHT_METRICS, METRICS } from '../../src/metrics/definitions.js'
import { PLAN_DEFAULTS, startSwarm, totalClosed, totalOpened, type GroundTruth, type RunningSwarm } from '../../src/swarm/index.js'
import { startCliTracker } from '../support/tracker.js'
import { parseExposition, samplesOf, sumOf, valueOf, type Exposition } from '../support/exposition.js'
import { allPanels, readDashboard, withVariables, type Dashboard } from '../support/stack/dashboard.js'
import { POLLING_SOURCE_ONLY } from '../support/stack/exported-metrics.js'
import { exactRegex, startFleetPrometheus, startVictoriaMetrics, type FleetPrometheus, type VictoriaMetrics } from '../support/stack/fleet.js'
import { metricNames } from '../support/stack/promql.js'
import { REPO_ROOT } from '../support/stack/paths.js'
import { freePort } from '../support/ports.js'
import { instantQuery, TRACKER_JOB } from '../support/stack/prometheus.js'
import { SERVER_POLL, waitFor } from '../support/wait.js'

const FLEET_DASHBOARD = join(REPO_ROOT, 'grafana', 'dashboards', 'libp2p-peer-tracker-fleet.json')

interface Member {
  name: string
  cluster: 'site-a' | 'site-b'
  region: string
  network: string
  peers: number
}

/** Small swarms (2 cores): 12 peers in all. */
const FLEET: readonly Member[] = [
  { name: 'a1', cluster: 'site-a', region: 'eu-west', network: 'mainnet', peers: 3 },
  { name: 'a2', cluster: 'site-a', region: 'us-east', network: 'testnet', peers: 4 },
  { name: 'b1', cluster: 'site-b', region: 'ap-south', network: 'mainnet', peers: 5 }
]

type Tracker = Awaited<ReturnType<typeof startCliTracker>>
interface Running extends Member { tracker: Tracker, instance: string }

const cleanups: Array<() => Promise<unknown>> = []
const swarms = new Set<RunningSwarm>()
/** What the peers of each member saw, both rounds. */
const truths = new Map<string, GroundTruth[]>()
let store: VictoriaMetrics
let server: FleetPrometheus
let agent: FleetPrometheus
let fleet: Running[] = []
let startedAt: number

async function scrape (member: Running): Promise<Exposition> {
  const response = await fetch(`${member.tracker.url}/metrics`)
  return parseExposition(await response.text())
}

async function waitForPeers (member: Running, connected: number): Promise<void> {
  await waitFor(`${member.name} to have ${connected} connected peers`, async () =>
    valueOf(await scrape(member), METRICS.connectedPeers.name) === connected ? true : undefined,
  { ...SERVER_POLL, timeoutMs: 30_000, intervalMs: 200 })
}

/** Waits until the store has a sample of the member's connected peers with this value. */
async function storeSeesPeers (member: Running, connected: number): Promise<void> {
  await waitFor(`the store to see ${connected} connected peers of ${member.name}`, async () => {
    const result = await query(`${METRICS.connectedPeers.name}{instance="${member.instance}"}`)
    return result.length === 1 && result[0]?.value === connected ? true : undefined
  }, { ...SERVER_POLL, timeoutMs: 30_000, intervalMs: 200 })
}

/** The member's swarm, in this process: every peer long-lived and dialling; the same seed gives the same peers. */
async function startMemberSwarm (member: Running): Promise<RunningSwarm> {
  const swarm = await startSwarm({
    ...PLAN_DEFAULTS, seed: `fleet-${member.name}`, peers: member.peers,
    listenRatio: 0, flapRatio: 0, longLivedRatio: 1, timeScale: 0.1, dialRate: 20, workers: 0, listenPortBase: 0
  })
  swarms.add(swarm)
  swarm.run(member.tracker.listenAddrs.map((a) => a.includes('/p2p/') ? a : `${a}/p2p/${member.tracker.peerId}`))
  return swarm
}

async function query (expr: string): Promise<Array<{ metric: Record<string, string>, value: number }>> {
  return (await instantQuery(store.url, expr)).map((s) => ({ metric: s.metric, value: Number(s.value[1]) }))
}

function values (member: Running, overrides: Partial<Record<'job' | 'instance' | 'cluster' | 'region' | 'network', string>> = {}): Record<string, string> {
  return { job: TRACKER_JOB, instance: exactRegex(member.instance), cluster: '.*', region: '.*', network: '.*', ...overrides }
}

/** A dashboard expression as Grafana sends it; also fills the fleet dashboard's variables. */
function fill (expr: string, vars: Record<string, string>, rateInterval: string): string {
  return withVariables(expr, { job: vars.job ?? TRACKER_JOB, instance: vars.instance ?? '.*', rateInterval })
    .replaceAll('$cluster', vars.cluster ?? '.*')
    .replaceAll('$region', vars.region ?? '.*')
    .replaceAll('$network', vars.network ?? '.*')
}

/** The sum of one family over the trackers' own expositions. */
function total (own: Exposition[], name: string): number {
  return own.reduce((sum, e) => sum + sumOf(e, name), 0)
}

/** The sum of one family by one label over the trackers' own expositions. */
function totalsBy (own: Exposition[], name: string, label: string): Record<string, number> {
  const totals: Record<string, number> = {}
  for (const e of own) {
    for (const s of samplesOf(e, name)) totals[s.labels[label] ?? ''] = (totals[s.labels[label] ?? ''] ?? 0) + s.value
  }
  return totals
}

function sorted (values: Record<string, number>): Array<[string, number]> {
  return Object.entries(values).sort(([a], [b]) => a.localeCompare(b))
}

function panelExpr (dashboard: Dashboard, title: string, refId = 'A'): string {
  const expr = allPanels(dashboard).find((p) => p.title === title)?.targets?.find((t) => t.refId === refId)?.expr
  if (expr === undefined) throw new Error(`no panel "${title}" with query ${refId}`)
  return expr
}

beforeAll(async () => {
  startedAt = Date.now()
  try {
    store = await startVictoriaMetrics()
    cleanups.push(async () => { await store.stop() })
    fleet = await Promise.all(FLEET.map(async (member) => {
      // A bootstrap peer nobody listens for: its dials fail, so the dial panels have data.
      const refused = `/ip4/127.0.0.1/tcp/${await freePort()}/p2p/${peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()}`
      const tracker = await startCliTracker([
        `--p2p.bootstrap=${refused}`,
        '--tracker.rtt-sample-interval=1s',
        '--tracker.report-interval=0',
        // One peer over the cap, so LibP2PTrackerPeerSeriesCapReached goes pending at once
        // where rules are evaluated (site-a) and the alerts table has something to show.
        `--tracker.max-peer-series=${member.peers - 1}`,
        '--p2p.inbound-connection-threshold=1000',
        '--p2p.max-incoming-pending-connections=100'
      ])
      cleanups.push(async () => { await tracker.stop(10_000) })
      return { ...member, tracker, instance: new URL(tracker.url).host }
    }))
    const targetsOf = (cluster: string): Array<{ targets: string[], labels: Record<string, string> }> => fleet
      .filter((m) => m.cluster === cluster)
      .map((m) => ({ targets: [m.instance], labels: { region: m.region, network: m.network } }))
    const sites = await Promise.all([
      startFleetPrometheus({ mode: 'server', externalLabels: { cluster: 'site-a' }, targets: targetsOf('site-a'), remoteWriteUrl: store.writeUrl }),
      startFleetPrometheus({ mode: 'agent', externalLabels: { cluster: 'site-b' }, targets: targetsOf('site-b'), remoteWriteUrl: store.writeUrl })
    ].map(async (p) => await p.then((started) => { cleanups.push(async () => { await started.stop() }); return started })))
    server = sites[0] as FleetPrometheus
    agent = sites[1] as FleetPrometheus

    // Round 1: every peer connects, then all hang up (finished sessions, close reasons).
    // Each step waits until the store holds it, so the history has every state.
    // allSettled: on a failure, the other members' rounds end before the cleanup below.
    const rounds = await Promise.allSettled(fleet.map(async (member) => {
      await storeSeesPeers(member, 0)
      const swarm = await startMemberSwarm(member)
      await waitForPeers(member, member.peers)
      await storeSeesPeers(member, member.peers)
      swarms.delete(swarm)
      truths.set(member.name, [await swarm.stop()])
      await waitForPeers(member, 0)
      await storeSeesPeers(member, 0)
      // Round 2: the same peers come back and stay (returning peers, a steady state).
      await startMemberSwarm(member)
      await waitForPeers(member, member.peers)
      // Identify done for every peer: the agent mix no longer changes.
      await waitFor(`${member.name} to know every peer's client`, async () =>
        samplesOf(await scrape(member), INSIGHT_METRICS.peersByAgent.name).every((s) => s.labels.agent !== 'unknown' || s.value === 0) ? true : undefined,
      { ...SERVER_POLL, timeoutMs: 30_000, intervalMs: 200 })
    }))
    for (const round of rounds) if (round.status === 'rejected') throw round.reason
  } catch (error) {
    const running = [...swarms]
    swarms.clear()
    await Promise.all(running.map(async (swarm) => await swarm.stop().catch(() => {})))
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {})
    throw error
  }
}, 150_000)

afterAll(async () => {
  const running = [...swarms]
  swarms.clear()
  await Promise.all(running.map(async (swarm) => await swarm.stop().catch(() => {})))
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {})
}, 40_000)

describe('a fleet: three trackers, a Prometheus server and an agent, one VictoriaMetrics', () => {
  it('keeps every tracker\'s series apart by instance and by external label, with its target labels', async () => {
    const own = await Promise.all(fleet.map(async (m) => valueOf(await scrape(m), METRICS.connectedPeers.name)))
    expect(own).toEqual(fleet.map((m) => m.peers))
    const series = await waitFor('the store to hold each tracker\'s current peer count', async () => {
      const result = await query(`${METRICS.connectedPeers.name}{job="${TRACKER_JOB}"}`)
      return result.length === fleet.length && fleet.every((m) => result.some((s) => s.metric.instance === m.instance && s.value === m.peers))
        ? result
        : undefined
    }, { ...SERVER_POLL, timeoutMs: 30_000, intervalMs: 250 })
    for (const member of fleet) {
      const mine = series.filter((s) => s.metric.instance === member.instance)
      expect(mine.map((s) => s.metric)).toEqual([{
        __name__: METRICS.connectedPeers.name,
        job: TRACKER_JOB,
        instance: member.instance,
        cluster: member.cluster,
        region: member.region,
        network: member.network
      }])
    }
    // Each site's series carry its own external label, the agent's included.
    const bySite = Object.fromEntries((await query(`count by (cluster) (up{job="${TRACKER_JOB}"})`)).map((s) => [s.metric.cluster, s.value]))
    expect(bySite).toEqual({ 'site-a': 2, 'site-b': 1 })
    // What Grafana's variables list (label_values through /api/v1/label/<name>/values).
    for (const [label, expected] of [['cluster', ['site-a', 'site-b']], ['region', ['ap-south', 'eu-west', 'us-east']], ['network', ['mainnet', 'testnet']]] as const) {
      const response = await fetch(`${store.url}/api/v1/label/${label}/values?match[]=${encodeURIComponent(`libp2p_tracker_build_info{job="${TRACKER_JOB}"}`)}`)
      expect(((await response.json()) as { data: string[] }).data.sort(), label).toEqual([...expected])
    }
  })

  it('has fleet totals equal to the sum of each tracker\'s own /metrics', async () => {
    const dashboard = await readDashboard(FLEET_DASHBOARD)
    // What the swarms did: round 1 opened and closed a session per peer (at least: a peer
    // whose connection drops dials again), round 2 is connected now.
    for (const member of fleet) {
      const [round1] = truths.get(member.name) ?? []
      if (round1 === undefined) throw new Error(`no ground truth of ${member.name}`)
      expect(totalOpened(round1), member.name).toBeGreaterThanOrEqual(member.peers)
      expect(totalClosed(round1), member.name).toBe(totalOpened(round1))
    }
    const all = { job: TRACKER_JOB, instance: '.*' }
    const peersOn = (network: string): number => fleet.filter((m) => m.network === network).reduce((sum, m) => sum + m.peers, 0)
    const expectations: Array<[what: string, expr: string, expected: (own: Exposition[]) => Record<string, number>]> = [
      ['Connected peers', fill(panelExpr(dashboard, 'Connected peers'), all, '1m'), (own) => ({ '': total(own, METRICS.connectedPeers.name) })],
      ['Open connections', fill(panelExpr(dashboard, 'Open connections'), all, '1m'), (own) => ({ '': total(own, METRICS.openConnections.name) })],
      ['Trackers up', fill(panelExpr(dashboard, 'Trackers up'), all, '1m'), () => ({ '': fleet.length })],
      ['Trackers up (targets)', fill(panelExpr(dashboard, 'Trackers up', 'B'), all, '1m'), () => ({ '': fleet.length })],
      ['Trackers failing the accounting check', fill(panelExpr(dashboard, 'Trackers failing the accounting check'), all, '1m'), () => ({ '': 0 })],
      ['Peers by client', fill(panelExpr(dashboard, 'Peers by client'), all, '1m'), (own) => totalsBy(own, INSIGHT_METRICS.peersByAgent.name, 'agent')],
      ['Connected peers by network', fill(panelExpr(dashboard, 'Connected peers by network'), all, '1m'), () => ({ mainnet: peersOn('mainnet'), testnet: peersOn('testnet') })],
      ['peer sessions opened, all time', `sum(${METRICS.peerConnects.name}{job="${TRACKER_JOB}"})`, (own) => ({ '': total(own, METRICS.peerConnects.name) })],
      ['peer sessions ended, all time', `sum(${METRICS.peerDisconnects.name}{job="${TRACKER_JOB}"})`, (own) => ({ '': total(own, METRICS.peerDisconnects.name) })]
    ]
    for (const [what, expr, expectedOf] of expectations) {
      // The trackers' own counts and the store's are read together until they agree: the
      // store is a scrape, a remote-write batch and -search.latencyOffset behind.
      let last = ''
      await waitFor(`the store's ${what} to equal the sum of the trackers' own /metrics`, async () => {
        const own = await Promise.all(fleet.map(scrape))
        const expected = expectedOf(own)
        const got = Object.fromEntries((await query(expr)).map((s) => [Object.values(s.metric).join(' '), s.value]))
        last = `store ${JSON.stringify(got)}, trackers ${JSON.stringify(expected)}`
        return JSON.stringify(sorted(got)) === JSON.stringify(sorted(expected)) ? true : undefined
      }, { ...SERVER_POLL, timeoutMs: 30_000, intervalMs: 250 }).catch((error: Error) => { throw new Error(`${error.message}; last: ${last}`) })
    }
    // And the totals are what the swarms made.
    const own = await Promise.all(fleet.map(scrape))
    expect(total(own, METRICS.connectedPeers.name)).toBe(fleet.reduce((sum, m) => sum + m.peers, 0))
    expect(total(own, METRICS.peerConnects.name)).toBeGreaterThanOrEqual(2 * fleet.reduce((sum, m) => sum + m.peers, 0))
  })

  it('answers every panel of both dashboards with data for each tracker', async () => {
    const rateInterval = `${Math.ceil((Date.now() - startedAt) / 1000) + 60}s`
    const dashboards = await Promise.all([readDashboard(), readDashboard(FLEET_DASHBOARD)])
    let checked = 0
    for (const dashboard of dashboards) {
      for (const panel of allPanels(dashboard)) {
        for (const target of panel.targets ?? []) {
          // The families only a polling source has: no data from these libp2p trackers (source-dashboard.test.ts checks them).
          if ([...metricNames(target.expr ?? '')].some((name) => POLLING_SOURCE_ONLY.has(name))) continue
          for (const member of fleet) {
            const expr = fill(target.expr ?? '', values(member), rateInterval)
            const where = `${dashboard.uid} panel "${panel.title ?? ''}" ${target.refId} for ${member.name}: ${expr}`
            if (/\bALERTS\{/.test(target.expr ?? '') && member.cluster === 'site-b') {
              // The agent evaluates no rules: no alert exists for its tracker anywhere.
              expect((await query(expr)).filter((s) => s.metric.instance === member.instance), where).toEqual([])
              continue
            }
            const result = await waitFor(where, async () => {
              const r = await query(expr)
              return r.length > 0 ? r : undefined
            }, { ...SERVER_POLL, timeoutMs: 20_000, intervalMs: 500 })
            // Nothing of another tracker leaks into a tracker's view.
            for (const s of result) {
              if (s.metric.instance === undefined) continue // an aggregate, or an alert about no tracker in particular
              expect(s.metric.instance, where).toBe(member.instance)
              if (s.metric.cluster !== undefined) expect(s.metric.cluster, where).toBe(member.cluster)
            }
            checked++
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(150)
  }, 120_000)

  it('runs the agent without local storage, and evaluates rules only where a server stores the data', async () => {
    // Agent mode has no query API: nothing is stored locally, everything goes to the store.
    const response = await fetch(`${agent.url}/api/v1/query?query=up`)
    const body = await response.text()
    expect(response.ok, body).toBe(false)
    const agentSite = fleet.filter((m) => m.cluster === 'site-b').map((m) => m.instance)
    await waitFor('the agent\'s tracker in the store', async () => {
      const r = await query(`${METRICS.connectedPeers.name}{cluster="site-b"}`)
      expect(r.map((s) => s.metric.instance)).toEqual(agentSite)
      return true
    }, { ...SERVER_POLL, timeoutMs: 20_000, intervalMs: 250 })
    // The server's recording rules reach the store for its own trackers only.
    const recorded = await waitFor('site-a\'s recorded series in the store', async () => {
      const r = await query('instance:libp2p_tracker_peer_connects:rate5m')
      return r.length === 2 ? r : undefined
    }, { ...SERVER_POLL, timeoutMs: 20_000, intervalMs: 250 })
    expect(recorded.map((s) => s.metric.cluster)).toEqual(['site-a', 'site-a'])
    // LibP2PTrackerPeerSeriesCapReached is pending for every tracker (one peer over its cap),
    // but only the server evaluated it: for its own two trackers.
    const serverSite = fleet.filter((m) => m.cluster === 'site-a').map((m) => m.instance).sort()
    await waitFor('the server\'s pending alerts in the store', async () => {
      const alerts = await query('ALERTS{alertname="LibP2PTrackerPeerSeriesCapReached"}')
      expect(alerts.map((s) => s.metric.instance).sort()).toEqual(serverSite)
      expect(alerts.map((s) => s.metric.cluster)).toEqual(['site-a', 'site-a'])
      return true
    }, { ...SERVER_POLL, timeoutMs: 20_000, intervalMs: 250 })
    for (const member of fleet) expect(valueOf(await scrape(member), METRICS.peerSeriesDropped.name), member.name).toBe(1)
    // The server answers queries of its own (the agent cannot): its local view is its site only.
    await waitFor('the server\'s local view', async () => {
      const local = await instantQuery(server.url, `count by (instance) (${METRICS.connectedPeers.name})`)
      expect(local.map((s) => s.metric.instance).sort()).toEqual(serverSite)
      return true
    }, { ...SERVER_POLL, timeoutMs: 20_000, intervalMs: 250 })
  })
})
