/**
 * A throw in a periodic task (the peer report, RTT sampling) or in peer insight's libp2p
 * handlers is logged and counted in libp2p_tracker_internal_errors_total{component}, never an
 * uncaught exception (which would exit the process; vitest fails the run on one too).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { valueOf } from '../support/exposition.js'
import { createTestPeer } from '../support/peers.js'
import { waitFor } from '../support/wait.js'
import { startTestTracker } from '../support/tracker.js'
import type { TestTracker } from '../support/tracker.js'

const INTERNAL = 'libp2p_tracker_internal_errors_total'
const stoppers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(stoppers.splice(0).map(async stop => { await stop() }))
})

async function tracker (raw: Parameters<typeof startTestTracker>[0] = {}): Promise<TestTracker> {
  return await startTestTracker(raw, stoppers)
}

describe('guarded periodic tasks and insight handlers', () => {
  it('exports the report and rtt components as 0 from the start', async () => {
    const m = await (await tracker()).scrape()
    for (const component of ['libp2p_event', 'http', 'unhandled_rejection', 'web_config_reload', 'report', 'rtt']) {
      expect(valueOf(m, INTERNAL, { component }), component).toBe(0)
    }
  })

  it('counts a throwing peer report and RTT tick, and keeps running', async () => {
    const t = await tracker({ 'tracker.report-interval': '100ms', 'tracker.rtt-sample-interval': '100ms' })
    let reportThrows = 2
    const totalDisconnects = t.tracker.totalDisconnects.bind(t.tracker) // read by the report, not by /metrics
    t.tracker.totalDisconnects = () => { if (reportThrows > 0) { reportThrows--; throw new Error('report broke') } return totalDisconnects() }
    let rttThrows = 3
    // The service reads the connections from the node's connection manager (libp2p's components).
    // (getConnectionsMap: what the service reads, O(N), instead of getConnections(), which is O(N^2) in libp2p 3.)
    type ConnectionsMap = () => { values: () => Iterable<unknown> }
    const manager = (t.node as unknown as { components: { connectionManager: { getConnectionsMap: ConnectionsMap } } }).components.connectionManager
    const getConnectionsMap = manager.getConnectionsMap.bind(manager)
    manager.getConnectionsMap = () => { if (rttThrows > 0) { rttThrows--; throw new Error('rtt broke') } return getConnectionsMap() }

    await waitFor('both counted', async () => {
      const m = await t.scrape()
      return valueOf(m, INTERNAL, { component: 'report' }) === 2 && valueOf(m, INTERNAL, { component: 'rtt' }) === 3
    })
    // the timers kept going: reports after the failures, and RTT samples of a peer
    await waitFor('a later report', () => t.logs().filter(l => l.msg === 'peer report').length >= 1)
    const p = await createTestPeer({ listen: false })
    await p.start()
    stoppers.push(async () => { await p.stop() })
    await p.dial(t.node.getMultiaddrs())
    await waitFor('an RTT sample', () => {
      const session = t.tracker.session(p.peerId.toString())
      return session !== undefined && t.insight.of(session)?.rttMs !== undefined
    })
    expect(t.logs().filter(l => l.msg === 'error in a periodic task').map(l => l.component).sort()).toEqual(['report', 'report', 'rtt', 'rtt', 'rtt'])
  })

  it('counts errors in peer insight\'s connection handlers as libp2p_event', async () => {
    const t = await tracker()
    t.insight.connectionCloseClassified = () => { throw new Error('classification broke') }
    const p = await createTestPeer({ listen: false })
    await p.start()
    stoppers.push(async () => { await p.stop() })
    await p.dial(t.node.getMultiaddrs())
    await waitFor('connected', () => t.tracker.connectedPeers === 1)
    await p.hangUp(t.node.peerId)
    await waitFor('counted', async () => valueOf(await t.scrape(), INTERNAL, { component: 'libp2p_event' }) === 1)
    expect(t.tracker.connectedPeers).toBe(0) // the tracker's own handler still ran
  })
})
