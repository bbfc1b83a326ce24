/**
 * B5: accuracy under churn. The swarm (shard processes) opens and closes `sessions` sessions
 * against the tracker (startTracker, in this process) as fast as about a minute allows; the
 * tracker's /metrics is scraped every second and must balance (connects - disconnects ==
 * connected) at every scrape; at the end its totals must equal the swarm's ground truth.
 */
import '../src/runtime/node-shims.js'
import { startTracker } from '../src/app.js'
import { buildConfig } from '../src/config/parse.js'
import { createLogger } from '../src/log.js'
import { startSwarm, totalClosed, totalOpened } from '../src/swarm/index.js'
import { parseExposition, sumOf, valueOf } from '../test/support/exposition.js'

export interface ChurnResult {
  sessionsTarget: number
  sessionsOpened: number
  sessionsClosed: number
  truth: { opened: Record<string, number>, closed: Record<string, number> }
  tracker: { connects: Record<string, number | undefined>, disconnects: Record<string, number | undefined> }
  trackerConnects: number
  trackerDisconnects: number
  exact: boolean
  seconds: number
  scrapes: number
  violations: number
  dialFailures: number
}

export async function churn (sessions: number, peers: number, seed: string): Promise<ChurnResult> {
  const config = buildConfig({
    'web.listen-address': '127.0.0.1:0',
    'p2p.listen': ['/ip4/127.0.0.1/tcp/0'],
    'p2p.dht': 'off',
    'p2p.bootstrap': [],
    'p2p.max-connections': String(peers * 4),
    'p2p.max-incoming-pending-connections': '200',
    'p2p.inbound-connection-threshold': '100000',
    'tracker.report-interval': '0',
    'log.level': 'error'
  })
  const swarm = await startSwarm({
    seed, peers, listenRatio: 0.1, flapRatio: 0.2, longLivedRatio: 0.05, timeScale: 0.025, minSessionMs: 250,
    dialRate: 500, workers: 2, listenPortBase: 0
  })
  config.p2p.bootstrap = swarm.listeners.map(l => l.addrs[0] as string)
  const tracker = await startTracker(config, createLogger(config.log))
  const url = `http://127.0.0.1:${tracker.http.port}/metrics`
  let scrapes = 0
  let violations = 0
  let scraping = true
  const scraper = (async () => {
    while (scraping) {
      const m = parseExposition(await (await fetch(url)).text())
      scrapes++
      if (sumOf(m, 'libp2p_tracker_peer_connects_total') - sumOf(m, 'libp2p_tracker_peer_disconnects_total') !== valueOf(m, 'libp2p_tracker_connected_peers')) violations++
      await new Promise(resolve => setTimeout(resolve, 1000))
    }
  })()
  const t0 = performance.now()
  swarm.run(tracker.node.getMultiaddrs().map(String))
  while (totalOpened(await swarm.truth()) < sessions && performance.now() - t0 < 300_000) await new Promise(resolve => setTimeout(resolve, 500))
  const truth = await swarm.stop()
  const seconds = (performance.now() - t0) / 1000
  const settle = performance.now() + 10_000
  while (tracker.tracker.totalDisconnects() < totalClosed(truth) && performance.now() < settle) await new Promise(resolve => setTimeout(resolve, 50))
  scraping = false
  await scraper
  const final = parseExposition(await (await fetch(url)).text())
  const trackerConnects = sumOf(final, 'libp2p_tracker_peer_connects_total')
  const trackerDisconnects = sumOf(final, 'libp2p_tracker_peer_disconnects_total')
  const exact = ['inbound', 'outbound'].every(d =>
    valueOf(final, 'libp2p_tracker_peer_connects_total', { direction: d }) === truth.sessionsOpened[d as 'inbound'] &&
    valueOf(final, 'libp2p_tracker_peer_disconnects_total', { direction: d }) === truth.sessionsClosed[d as 'inbound'])
  await tracker.stop()
  return {
    sessionsTarget: sessions,
    sessionsOpened: totalOpened(truth),
    sessionsClosed: totalClosed(truth),
    truth: { opened: { ...truth.sessionsOpened }, closed: { ...truth.sessionsClosed } },
    tracker: {
      connects: Object.fromEntries(['inbound', 'outbound'].map(d => [d, valueOf(final, 'libp2p_tracker_peer_connects_total', { direction: d })])),
      disconnects: Object.fromEntries(['inbound', 'outbound'].map(d => [d, valueOf(final, 'libp2p_tracker_peer_disconnects_total', { direction: d })]))
    },
    trackerConnects,
    trackerDisconnects,
    exact,
    seconds,
    scrapes,
    violations,
    dialFailures: truth.dialFailures
  }
}
