import { describe, expect, it } from 'vitest'
import { PeerAccount } from '../../src/tracker/peer-account.js'
import type { OpenedConnection } from '../../src/tracker/peer-account.js'

function fakeClock (start = 1_700_000_000_000): { now: () => number, advance: (ms: number) => void } {
  let t = start
  return { now: () => t, advance: (ms) => { t += ms } }
}

let nextId = 0
function conn (peerId: string, overrides: Partial<OpenedConnection> = {}): OpenedConnection {
  return {
    id: `c${++nextId}`,
    peerId,
    remoteAddr: '/ip4/127.0.0.1/tcp/4001',
    direction: 'inbound',
    transport: 'tcp',
    encryption: 'noise',
    muxer: 'yamux',
    ...overrides
  }
}

function invariant (t: PeerAccount): number {
  return t.totalConnects() - t.totalDisconnects() - t.connectedPeers
}

describe('PeerAccount', () => {
  it('counts one session per peer however many connections it has', () => {
    const clock = fakeClock()
    const t = new PeerAccount(clock)
    const a1 = conn('A')
    const a2 = conn('A', { direction: 'outbound', muxer: 'mplex' })
    expect(t.connectionOpened(a1)?.peerId).toBe('A')
    expect(t.connectionOpened(a2)).toBeUndefined()
    expect(t.connectedPeers).toBe(1)
    expect(t.openConnections).toBe(2)
    expect(t.connects).toEqual({ inbound: 1, outbound: 0 })

    clock.advance(5000)
    expect(t.connectionClosed(a1.id)).toBeUndefined() // one connection left: still connected
    expect(t.connectedPeers).toBe(1)
    expect(t.disconnects).toEqual({ inbound: 0, outbound: 0 })

    clock.advance(5000)
    const finished = t.connectionClosed(a2.id)
    expect(finished).toMatchObject({ peerId: 'A', direction: 'inbound', durationSeconds: 10 })
    expect(t.connectedPeers).toBe(0)
    expect(t.disconnects).toEqual({ inbound: 1, outbound: 0 })
    expect(invariant(t)).toBe(0)
  })

  it('treats a redial after the last close as a new session with its own direction', () => {
    const clock = fakeClock()
    const t = new PeerAccount(clock)
    const first = conn('A', { direction: 'inbound' })
    t.connectionOpened(first)
    clock.advance(3000)
    t.connectionClosed(first.id)
    clock.advance(1000)
    const second = conn('A', { direction: 'outbound' })
    const session = t.connectionOpened(second)
    expect(session).toMatchObject({ peerId: 'A', direction: 'outbound', startedAt: clock.now() })
    expect(t.connects).toEqual({ inbound: 1, outbound: 1 })
    expect(t.disconnects).toEqual({ inbound: 1, outbound: 0 })
    expect(t.connectedPeers).toBe(1)
    expect(invariant(t)).toBe(0)
  })

  it('ignores a close for an unknown connection and a repeated open or close', () => {
    const t = new PeerAccount(fakeClock())
    expect(t.connectionClosed('never-opened')).toBeUndefined()
    const a = conn('A')
    t.connectionOpened(a)
    expect(t.connectionOpened(a)).toBeUndefined()
    expect(t.openConnections).toBe(1)
    expect(t.connectionClosed(a.id)?.peerId).toBe('A')
    expect(t.connectionClosed(a.id)).toBeUndefined()
    expect(t.connectedPeers).toBe(0)
    expect(t.totalConnects()).toBe(1)
    expect(t.totalDisconnects()).toBe(1)
    expect(t.ignoredEvents).toBe(3)
  })

  it('closes connections in any order: the session ends with the last one', () => {
    const clock = fakeClock()
    const t = new PeerAccount(clock)
    const cs = [conn('A'), conn('A'), conn('A')]
    for (const c of cs) t.connectionOpened(c)
    clock.advance(60_000)
    expect(t.connectionClosed((cs[1] as OpenedConnection).id)).toBeUndefined()
    expect(t.connectionClosed((cs[2] as OpenedConnection).id)).toBeUndefined()
    expect(t.session('A')?.connections.map(c => c.id)).toEqual([(cs[0] as OpenedConnection).id])
    expect(t.connectionClosed((cs[0] as OpenedConnection).id)?.durationSeconds).toBe(60)
  })

  it('orders sessions oldest first, and a returning peer moves to the back', () => {
    const clock = fakeClock()
    const t = new PeerAccount(clock)
    const a = conn('A')
    t.connectionOpened(a); clock.advance(1)
    t.connectionOpened(conn('B')); clock.advance(1)
    t.connectionOpened(conn('C')); clock.advance(1)
    t.connectionClosed(a.id)
    t.connectionOpened(conn('A'))
    expect([...t.sessionsByAge()].map(s => s.peerId)).toEqual(['B', 'C', 'A'])
  })

  it('counts connections per label combination; open = opened - closed', () => {
    const t = new PeerAccount(fakeClock(), [{ direction: 'outbound', transport: 'tcp', encryption: 'noise', muxer: 'mplex' }])
    const a = conn('A', { muxer: 'yamux' })
    t.connectionOpened(a)
    t.connectionOpened(conn('B', { muxer: 'yamux' }))
    t.connectionClosed(a.id)
    const counts = [...t.connectionCountsByLabels()].map(c => ({ ...c.labels, opened: c.opened, closed: c.closed }))
    expect(counts).toEqual([
      { direction: 'outbound', transport: 'tcp', encryption: 'noise', muxer: 'mplex', opened: 0, closed: 0 },
      { direction: 'inbound', transport: 'tcp', encryption: 'noise', muxer: 'yamux', opened: 2, closed: 1 }
    ])
  })

  it('puts finished sessions in the histogram of the direction that opened them', () => {
    const clock = fakeClock()
    const t = new PeerAccount(clock)
    const durations = [0.5, 1, 4, 3600, 700_000]
    for (const seconds of durations) {
      const c = conn(`P${seconds}`, { direction: 'outbound' })
      t.connectionOpened(c)
      clock.advance(seconds * 1000)
      t.connectionClosed(c.id)
    }
    const h = t.finishedSessions.outbound
    expect(h.count).toBe(5)
    expect(h.sum).toBeCloseTo(703_605.5, 6)
    const cumulative = h.cumulative()
    expect(cumulative[h.bounds.indexOf(1)]).toBe(2) // 0.5 and exactly 1 (le is inclusive)
    expect(cumulative[h.bounds.indexOf(5)]).toBe(3)
    expect(cumulative[h.bounds.indexOf(3600)]).toBe(4)
    expect(cumulative.at(-1)).toBe(4) // 700000 s is past the last bucket: only in +Inf (count)
    expect(t.finishedSessions.inbound.count).toBe(0)
  })

  it('records identify results for connected peers only', () => {
    const t = new PeerAccount(fakeClock())
    t.peerIdentified('ghost', 'kubo/0.30.0', ['/ipfs/id/1.0.0'])
    t.connectionOpened(conn('A'))
    t.peerIdentified('A', 'lighthouse/v5.1.0', ['/ipfs/ping/1.0.0'])
    expect(t.session('A')).toMatchObject({ agentVersion: 'lighthouse/v5.1.0', protocols: ['/ipfs/ping/1.0.0'] })
    expect(t.session('ghost')).toBeUndefined()
  })

  it('keeps connects - disconnects == connected through a long random run', () => {
    const clock = fakeClock()
    const t = new PeerAccount(clock)
    let seed = 42
    const random = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
    const open: string[] = []
    const peerOf = new Map<string, string>()
    const expectedPeers = new Map<string, number>()
    for (let i = 0; i < 20_000; i++) {
      clock.advance(Math.floor(random() * 100))
      if (open.length === 0 || random() < 0.55) {
        const c = conn(`P${Math.floor(random() * 300)}`, { direction: random() < 0.5 ? 'inbound' : 'outbound' })
        t.connectionOpened(c)
        open.push(c.id)
        peerOf.set(c.id, c.peerId)
        expectedPeers.set(c.peerId, (expectedPeers.get(c.peerId) ?? 0) + 1)
      } else {
        const id = open.splice(Math.floor(random() * open.length), 1)[0] as string
        const peerId = peerOf.get(id) as string
        t.connectionClosed(id)
        const left = (expectedPeers.get(peerId) as number) - 1
        if (left === 0) expectedPeers.delete(peerId)
        else expectedPeers.set(peerId, left)
      }
      expect(invariant(t)).toBe(0)
    }
    expect(t.connectedPeers).toBe(expectedPeers.size)
    expect(t.openConnections).toBe(open.length)
  })
})
