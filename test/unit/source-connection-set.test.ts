/**
 * The pure part of a polling source: the diff of two polls' connection sets and the account
 * it feeds (src/sources/connection-set.ts, polled-account.ts), with an injected clock.
 */
import { describe, expect, it } from 'vitest'
import { TrackerState } from '../../src/service/tracker-state.js'
import { diffConnections, uniqueIds } from '../../src/sources/connection-set.js'
import { PolledAccount } from '../../src/sources/polled-account.js'
import type { PolledConnection, PolledPeer, Snapshot } from '../../src/sources/connection-set.js'

const A = '16Uiu2HAmPeerA0000000000000000000000000000000000000a'
const B = '16Uiu2HAmPeerB0000000000000000000000000000000000000b'

function conn (peerId: string, id = peerId, direction: 'inbound' | 'outbound' = 'outbound'): PolledConnection {
  return { id, peerId, remoteAddr: '/ip4/10.0.0.1/tcp/9000', direction, transport: 'tcp', encryption: 'unknown', muxer: 'unknown' }
}

function snapshot (connections: PolledConnection[], peers: Record<string, Partial<PolledPeer>> = {}): Snapshot {
  const map = new Map<string, PolledPeer>()
  for (const c of connections) map.set(c.peerId, { agentVersion: undefined, protocols: undefined, rttMs: undefined, ...peers[c.peerId] })
  return { connections, peers: map }
}

function setup (rttSampleIntervalMs = 10_000): { state: TrackerState, account: PolledAccount, clock: { t: number, now: () => number } } {
  const clock = { t: 1_000_000, now (): number { return this.t } }
  const state = new TrackerState({ clock, knownConnectionLabels: [], maxPeerSeries: 10 })
  return { state, account: new PolledAccount(state, { rttSampleIntervalMs }), clock }
}

describe('diffConnections', () => {
  it('finds the connections opened and closed between two polls', () => {
    const previous = new Map([[A, conn(A)], [B, conn(B)]])
    const { opened, closed } = diffConnections(previous, [conn(B), conn('C'.repeat(20))])
    expect(opened.map(c => c.id)).toEqual(['C'.repeat(20)])
    expect(closed.map(c => c.id)).toEqual([A])
  })

  it('numbers entries that repeat, so two alike connections stay two', () => {
    expect(uniqueIds(['x', 'y', 'x', 'x'], e => e)).toEqual(['x', 'y', 'x#1', 'x#2'])
  })
})

describe('PolledAccount', () => {
  it('turns polls into sessions: a session starts at the first poll listing the peer and ends at the first poll without it', () => {
    const { state, account, clock } = setup()
    account.apply(snapshot([conn(A)]))
    clock.t += 5000
    account.apply(snapshot([conn(A), conn(B, B, 'inbound')]))
    expect(state.counts()).toEqual({ connectedPeers: 2, openConnections: 2, peerConnects: 2, peerDisconnects: 0 })
    clock.t += 5000
    account.apply(snapshot([conn(B, B, 'inbound')]))
    expect(state.counts()).toEqual({ connectedPeers: 1, openConnections: 1, peerConnects: 2, peerDisconnects: 1 })
    expect(state.account.finishedSessions.outbound.sum).toBe(10) // first poll listing A to the first without it
    expect(state.account.connects).toEqual({ inbound: 1, outbound: 1 })
  })

  it('counts a peer with two connections once; closing one of the two is no disconnect', () => {
    const { state, account } = setup()
    account.apply(snapshot([conn(A, 'a1'), conn(A, 'a2')]))
    expect(state.counts()).toEqual({ connectedPeers: 1, openConnections: 2, peerConnects: 1, peerDisconnects: 0 })
    account.apply(snapshot([conn(A, 'a2')]))
    expect(state.counts()).toEqual({ connectedPeers: 1, openConnections: 1, peerConnects: 1, peerDisconnects: 0 })
    account.apply(snapshot([]))
    expect(state.counts()).toEqual({ connectedPeers: 0, openConnections: 0, peerConnects: 1, peerDisconnects: 1 })
  })

  it('keeps the session of a peer listed in both polls even when its connection changed in between', () => {
    const { state, account } = setup()
    account.apply(snapshot([conn(A, 'a1')]))
    account.apply(snapshot([conn(A, 'a2')]))
    expect(state.counts()).toEqual({ connectedPeers: 1, openConnections: 1, peerConnects: 1, peerDisconnects: 0 })
  })

  it('an identical poll changes nothing', () => {
    const { state, account } = setup()
    account.apply(snapshot([conn(A), conn(B)]))
    const before = state.exposition()
    expect(account.apply(snapshot([conn(A), conn(B)]))).toEqual({ opened: 0, closed: 0 })
    expect(state.exposition()).toBe(before)
  })

  it('classifies closes only when told why: source_gap after a gap, none for an ordinary poll', () => {
    const { state, account } = setup()
    account.apply(snapshot([conn(A), conn(B)]))
    account.apply(snapshot([conn(B)]))
    account.apply(snapshot([]), 'source_gap')
    expect(state.insight.closeReasons.counts).toMatchObject({ source_gap: 1, local: 0, remote: 0 })
    expect(state.peer(A)?.history.at(-1)?.closeReason).toBeNull()
    expect(state.peer(B)?.history.at(-1)?.closeReason).toBe('source_gap')
  })

  it('tells identify only of changes, and samples RTT at most once per interval per peer', () => {
    const { state, account, clock } = setup(10_000)
    const facts = { agentVersion: 'Lighthouse/v5.1.0-abc/x86_64-linux', protocols: ['/meshsub/1.1.0'], rttMs: 12 }
    account.apply(snapshot([conn(A)], { [A]: facts }))
    expect(state.peers()[0]).toMatchObject({ agentFamily: 'lighthouse', agentFamilyVersion: '5.1', protocols: ['/meshsub/1.1.0'] })
    clock.t += 5000
    account.apply(snapshot([conn(A)], { [A]: { ...facts, rttMs: 20 } }))
    clock.t += 5000
    account.apply(snapshot([conn(A)], { [A]: { ...facts, rttMs: 30 } }))
    const rtt = state.insight.rtt.reduce((n, h) => n + h.count, 0)
    expect(rtt).toBe(2) // at t0 and t0+10s, not t0+5s
  })

  it('closeAll ends every session (shutdown, identity change)', () => {
    const { state, account } = setup()
    account.apply(snapshot([conn(A, 'a1'), conn(A, 'a2'), conn(B)]))
    state.insight.beginShutdown(state.account.now())
    expect(account.closeAll('shutdown')).toBe(3)
    expect(state.counts()).toEqual({ connectedPeers: 0, openConnections: 0, peerConnects: 2, peerDisconnects: 2 })
    expect(state.insight.closeReasons.counts.shutdown).toBe(3)
  })
})
