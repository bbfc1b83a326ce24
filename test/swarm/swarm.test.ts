/**
 * A small seeded swarm of real libp2p peers churning against an in-process tracker: the
 * tracker's counters, read from /metrics over HTTP, must equal the swarm's own ground truth
 * exactly, and connects - disconnects == connected must hold at every scrape during the run.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { startSwarm, totalClosed, totalOpened } from '../../src/swarm/index.js'
import { waitFor } from '../support/wait.js'
import { startTestTracker } from '../support/tracker.js'
import { trackerTotalsWhenSettled, watchScrapes } from '../support/accuracy.js'
import type { RunningSwarm, SwarmOptions } from '../../src/swarm/index.js'
import type { TestTracker } from '../support/tracker.js'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

async function swarmAndTracker (options: SwarmOptions): Promise<{ swarm: RunningSwarm, tracker: TestTracker }> {
  const swarm = await startSwarm(options)
  cleanups.push(async () => await swarm.stop())
  const tracker = await startTestTracker({
    'p2p.bootstrap': swarm.listeners.map(l => l.addrs[0] as string),
    'p2p.max-connections': '2000',
    'p2p.max-incoming-pending-connections': '100'
  })
  cleanups.push(async () => { await tracker.stop() })
  swarm.run(tracker.node.getMultiaddrs().map(String))
  return { swarm, tracker }
}

describe('the local swarm against the tracker', () => {
  it('12 seeded peers churning for 10 s: the tracker counts exactly what the peers saw', async () => {
    const { swarm, tracker } = await swarmAndTracker({
      seed: 'swarm-test', peers: 12, listenRatio: 0.25, flapRatio: 0.2, longLivedRatio: 0.1,
      timeScale: 0.1, minSessionMs: 250, dialRate: 100, workers: 0, listenPortBase: 0
    })
    const watch = watchScrapes(tracker)
    cleanups.push(async () => await watch.stop())

    // While it runs, identify has told the tracker each peer's planned agent version.
    const planned = new Map((await swarm.truth()).peers.map(p => [p.peerId, p.agentVersion]))
    let identified = 0
    await waitFor('the tracker to identify connected swarm peers', async () => {
      const peers = await (await fetch(`${tracker.url}/api/v1/peers`)).json() as Array<{ peerId: string, agentVersion: string | null }>
      for (const p of peers) {
        if (p.agentVersion !== null) expect(p.agentVersion).toBe(planned.get(p.peerId))
      }
      identified = peers.filter(p => p.agentVersion !== null).length
      return identified >= 3
    })
    await new Promise(resolve => setTimeout(resolve, 10_000)) // the run's length, not a wait for state

    const truth = await swarm.stop()
    const seen = await watch.stop()
    const totals = await trackerTotalsWhenSettled(tracker, truth)

    expect(truth.remotePeers).toBe(1)
    expect(truth.connectedPeers).toBe(0)
    expect(totalOpened(truth)).toBe(totalClosed(truth))
    // Both directions happened: peers dialled in, and the tracker dialled its bootstrap listeners.
    expect(truth.sessionsOpened.inbound).toBeGreaterThan(12)
    expect(truth.sessionsOpened.outbound).toBeGreaterThan(0)
    expect(totals.connects).toEqual(truth.sessionsOpened)
    expect(totals.disconnects).toEqual(truth.sessionsClosed)
    expect(totals.connected).toBe(0)
    expect(totals.connectionsByMuxer).toEqual(truth.connectionsByMuxer)
    expect(Object.keys(truth.connectionsByMuxer).sort()).toEqual(['mplex', 'yamux'])
    expect(seen.violations).toEqual([])
    expect(seen.scrapes).toBeGreaterThanOrEqual(10) // about 40 on a quiet machine; the invariant held at each
  })

  it('B5 at reduced size: 1,000 sessions over two shard processes, totals exact, invariant at every scrape', async () => {
    const { swarm, tracker } = await swarmAndTracker({
      seed: 'b5-test', peers: 60, listenRatio: 0.1, flapRatio: 0.2, longLivedRatio: 0.05,
      timeScale: 0.02, minSessionMs: 250, dialRate: 300, workers: 2, listenPortBase: 0
    })
    expect(swarm.pids).toHaveLength(2)
    const watch = watchScrapes(tracker, 150)
    cleanups.push(async () => await watch.stop())
    // About 15 s on an idle 2-core machine; the margin is for a machine shared with other work.
    await waitFor('the swarm to open 1,000 sessions', async () => totalOpened(await swarm.truth()) >= 1000, 150_000)

    const truth = await swarm.stop()
    const seen = await watch.stop()
    const totals = await trackerTotalsWhenSettled(tracker, truth)

    expect(totalOpened(truth)).toBeGreaterThanOrEqual(1000)
    expect(truth.remotePeers).toBe(1)
    expect(totals.connects).toEqual(truth.sessionsOpened)
    expect(totals.disconnects).toEqual(truth.sessionsClosed)
    expect(totals.connected).toBe(0)
    expect(totals.connectionsByMuxer).toEqual(truth.connectionsByMuxer)
    expect(seen.violations).toEqual([])
    expect(seen.scrapes).toBeGreaterThan(10)
  }, 240_000) // about 40 s on a quiet machine
})
