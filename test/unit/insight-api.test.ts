/** The peers API over the pure tracker: ?sort=rtt orders by the RTT each entry shows. */
import { describe, expect, it } from 'vitest'
import { insightPeersView, peerDetailView } from '../../src/insight/peer-views.js'
import { PeerInsight } from '../../src/insight/peer-insight.js'
import { PeerAccount } from '../../src/tracker/peer-account.js'

function connected (peerIds: string[]): { tracker: PeerAccount, insight: PeerInsight } {
  let now = 1_700_000_000_000
  const insight = new PeerInsight()
  const tracker = new PeerAccount({ now: () => now }, [], insight)
  for (const peerId of peerIds) {
    tracker.connectionOpened({ id: `c-${peerId}`, peerId, direction: 'inbound', remoteAddr: '/ip4/10.0.0.1/tcp/1', transport: 'tcp', encryption: 'noise', muxer: 'yamux' })
    now += 1000
  }
  return { tracker, insight }
}

describe('peers API', () => {
  it('sorts by RTT by the value it shows: the last sample, else the connection monitor\'s', () => {
    const { tracker, insight } = connected(['sampled50', 'monitor5', 'none', 'sampled20'])
    insight.rttSampled(tracker.session('sampled50')!, 50)
    insight.rttSampled(tracker.session('sampled20')!, 20)
    const monitor = new Map([['monitor5', 5], ['sampled50', 1]]) // a sample wins over the monitor's value
    const views = insightPeersView(tracker, insight, (id) => monitor.get(id), { sort: 'rtt', limit: undefined })
    expect(views.map(v => [v.peerId, v.rttMs])).toEqual([['monitor5', 5], ['sampled20', 20], ['sampled50', 50], ['none', null]])
    const limited = insightPeersView(tracker, insight, (id) => monitor.get(id), { sort: 'rtt', limit: 1 })
    expect(limited.map(v => v.peerId)).toEqual(['monitor5'])
    expect(peerDetailView(tracker, insight, (id) => monitor.get(id), 'monitor5')?.rttMs).toBe(5)
  })
})
