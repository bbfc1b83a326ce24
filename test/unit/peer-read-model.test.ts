/**
 * One read model of a peer (src/insight/peer-read-model.ts): the JSON API's peers and the peer
 * view's table rows show the same RTT (a sample, else the connection monitor's), agent family,
 * session count, flapping state and age for every connected peer.
 */
import { describe, expect, it } from 'vitest'
import { insightPeersView, peerDetailView } from '../../src/insight/peer-views.js'
import { parsePeerTableQuery, peerTableView } from '../../src/http/peer-view/views.js'
import { PeerInsight } from '../../src/insight/peer-insight.js'
import { PeerReadModel } from '../../src/insight/peer-read-model.js'
import { PeerAccount } from '../../src/tracker/peer-account.js'

function account (): { tracker: PeerAccount, insight: PeerInsight, monitor: Map<string, number> } {
  let now = 1_700_000_000_000
  const insight = new PeerInsight({ flappingSessions: 2, flappingWindowMs: 60_000 })
  const tracker = new PeerAccount({ now: () => now }, [], insight)
  const open = (peerId: string, id: string, addr = '/ip4/10.0.0.1/tcp/1', transport: 'tcp' | 'ws' = 'tcp'): void => {
    tracker.connectionOpened({ id, peerId, direction: 'inbound', remoteAddr: addr, transport, encryption: 'noise', muxer: 'yamux' })
  }
  open('kubo-sampled', 'c1')
  tracker.peerIdentified('kubo-sampled', 'kubo/0.32.1/', ['/ipfs/kad/1.0.0'])
  insight.rttSampled(tracker.session('kubo-sampled')!, 40)
  now += 61_500
  open('monitor-only', 'c2')
  open('monitor-only', 'c3', '/ip4/10.0.0.2/tcp/2/ws', 'ws')
  tracker.peerIdentified('monitor-only', 'lighthouse/v5.3.0', [])
  // A peer that comes back quickly: two sessions, flapping.
  open('flapper', 'c4')
  now += 1000
  tracker.connectionClosed('c4')
  now += 1000
  open('flapper', 'c5')
  open('nothing-known', 'c6')
  now += 2345
  const monitor = new Map([['monitor-only', 7], ['kubo-sampled', 1]])
  return { tracker, insight, monitor }
}

describe('the read model of a peer', () => {
  it('gives the API and the peer view\'s table the same values for every peer', () => {
    const { tracker, insight, monitor } = account()
    const monitorRtts = (peerId: string): number | undefined => monitor.get(peerId)
    const api = insightPeersView(tracker, insight, monitorRtts, { sort: 'peerId', limit: undefined })
    const query = parsePeerTableQuery({ sort: 'peerId' })
    if ('error' in query) throw new Error(query.error)
    const table = peerTableView({ tracker, insight, monitorRtts: () => monitorRtts }, query.query).rows
    expect(table.map(r => r.peerId)).toEqual(api.map(p => p.peerId))
    const fromApi = api.map(p => ({ peerId: p.peerId, rttMs: p.rttMs, agentFamily: p.agentFamily, sessions: p.sessions, flapping: p.flapping, age: p.durationSeconds, agentVersion: p.agentVersion }))
    const fromTable = table.map(r => ({ peerId: r.peerId, rttMs: r.rttMs, agentFamily: r.agentFamily, sessions: r.sessions, flapping: r.flapping, age: r.ageSeconds, agentVersion: r.agentVersion }))
    expect(fromTable).toEqual(fromApi)
    expect(fromApi).toEqual([
      { peerId: 'flapper', rttMs: null, agentFamily: 'unknown', sessions: 2, flapping: true, age: 2.345, agentVersion: null },
      { peerId: 'kubo-sampled', rttMs: 40, agentFamily: 'kubo', sessions: 1, flapping: false, age: 65.845, agentVersion: 'kubo/0.32.1/' },
      { peerId: 'monitor-only', rttMs: 7, agentFamily: 'lighthouse', sessions: 1, flapping: false, age: 4.345, agentVersion: 'lighthouse/v5.3.0' },
      { peerId: 'nothing-known', rttMs: null, agentFamily: 'unknown', sessions: 1, flapping: false, age: 2.345, agentVersion: null }
    ])
    expect(table.find(r => r.peerId === 'monitor-only')?.transports).toEqual(['tcp/noise/yamux', 'ws/noise/yamux'])
    expect(peerDetailView(tracker, insight, monitorRtts, 'flapper')).toMatchObject({ connected: true, sessions: 2, flapping: true, peer: { rttMs: null } })
  })

  it('reads every value at the instant it was made', () => {
    let now = 1_000_000
    const insight = new PeerInsight()
    const tracker = new PeerAccount({ now: () => now }, [], insight)
    tracker.connectionOpened({ id: 'c', peerId: 'p', direction: 'outbound', remoteAddr: '/ip4/10.0.0.1/tcp/1', transport: 'tcp', encryption: 'noise', muxer: 'yamux' })
    now += 1500
    const model = new PeerReadModel(tracker, insight, () => undefined)
    now += 10_000
    expect(model.ageSeconds(tracker.session('p')!)).toBe(1.5)
    expect(model.now).toBe(1_001_500)
  })
})
