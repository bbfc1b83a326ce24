/** The swarm's schedule is a pure function of its seed, with the mix the issue asks for. */
import { describe, expect, it } from 'vitest'
import { PeerLedger } from '../../src/swarm/ground-truth.js'
import { PLAN_DEFAULTS, Prng, planPeers, sessionSteps } from '../../src/swarm/index.js'
import type { PlanOptions } from '../../src/swarm/index.js'

const plan = (seed: string, peers: number): PlanOptions => ({ ...PLAN_DEFAULTS, seed, peers })

function firstSteps (seed: string, peers: number, n: number): Array<Array<{ offlineMs: number, onlineMs: number }>> {
  return planPeers(plan(seed, peers)).map(p => {
    const steps = sessionSteps(seed, p, PLAN_DEFAULTS)
    return Array.from({ length: n }, () => steps.next().value)
  })
}

describe('swarm plan', () => {
  it('is the same for the same seed and differs for another', () => {
    expect(planPeers(plan('a', 50))).toEqual(planPeers(plan('a', 50)))
    expect(firstSteps('a', 50, 5)).toEqual(firstSteps('a', 50, 5))
    expect(planPeers(plan('b', 50)).map(p => p.keySeed)).not.toEqual(planPeers(plan('a', 50)).map(p => p.keySeed))
    expect(new Prng(7).uint32()).toBe(new Prng('7').uint32())
  })

  it('a peer\'s profile does not depend on how many peers follow it', () => {
    const small = planPeers(plan('s', 30))
    const large = planPeers(plan('s', 300))
    expect(large.slice(0, 30).map(p => [p.agentVersion, p.muxers, p.keySeed])).toEqual(small.map(p => [p.agentVersion, p.muxers, p.keySeed]))
  })

  it('mixes roles, behaviours, muxers and agents in the asked proportions', () => {
    const peers = planPeers(plan('mix', 1000))
    const count = (f: (p: typeof peers[number]) => boolean): number => peers.filter(f).length
    expect(count(p => p.role === 'listener')).toBe(200)
    expect(count(p => p.behaviour === 'flapper')).toBe(100)
    expect(count(p => p.behaviour === 'long-lived')).toBe(100)
    expect(count(p => p.muxers.join() === 'yamux')).toBeGreaterThan(300)
    expect(count(p => p.muxers.join() === 'mplex')).toBeGreaterThan(120)
    expect(count(p => p.muxers.join() === 'yamux,mplex')).toBeGreaterThan(300)
    for (const family of ['kubo/', 'go-libp2p/', 'rust-libp2p/', 'lighthouse/v5.3.0-', 'lodestar/v1.22.0/', 'js-libp2p/2.']) {
      expect(count(p => p.agentVersion.startsWith(family))).toBeGreaterThan(20)
    }
    // At least five peers: at least one flapper and one long-lived peer.
    const five = planPeers(plan('five', 5))
    expect(five.filter(p => p.behaviour === 'flapper')).toHaveLength(1)
    expect(five.filter(p => p.behaviour === 'long-lived')).toHaveLength(1)
  })

  it('draws heavy-tailed churner sessions, flaps every few seconds, never below the minimum', () => {
    const peers = planPeers(plan('tails', 400))
    const online = (behaviour: string): number[] => peers.filter(p => p.behaviour === behaviour)
      .flatMap(p => { const s = sessionSteps('tails', p, PLAN_DEFAULTS); return Array.from({ length: 20 }, () => s.next().value.onlineMs) })
      .sort((a, b) => a - b)
    const churn = online('churner')
    const median = churn[Math.floor(churn.length / 2)] as number
    expect(median).toBeGreaterThan(15_000)
    expect(median).toBeLessThan(25_000)
    expect(churn[Math.floor(churn.length * 0.99)]).toBeGreaterThan(5 * median) // the tail
    expect(churn[0]).toBeGreaterThanOrEqual(PLAN_DEFAULTS.minSessionMs)
    const flaps = online('flapper')
    expect(flaps[0]).toBeGreaterThanOrEqual(1000)
    expect(flaps[flaps.length - 1]).toBeLessThanOrEqual(3000)
    expect(online('long-lived').every(ms => ms === Infinity)).toBe(true)
  })
})

describe('peer ledger', () => {
  it('opens a session with the first connection and closes it with the last, direction from the target\'s side', () => {
    const l = new PeerLedger({ index: 0, peerId: 'p', role: 'dialer', behaviour: 'churner', agentVersion: 'a', muxers: ['yamux'] })
    l.connectionOpened('c1', 'T', 'outbound', '/yamux/1.0.0')
    l.connectionOpened('c1', 'T', 'outbound', '/yamux/1.0.0') // repeated: ignored
    l.connectionOpened('c2', 'T', 'inbound', '/mplex/6.7.0')
    l.connectionClosed('c1', 'T')
    expect(l.sessionsClosed).toEqual({ inbound: 0, outbound: 0 })
    l.connectionClosed('c2', 'T')
    l.connectionClosed('c2', 'T') // repeated: ignored
    l.connectionOpened('c3', 'T', 'inbound', '/yamux/1.0.0')
    expect(l.sessionsOpened).toEqual({ inbound: 1, outbound: 1 })
    expect(l.sessionsClosed).toEqual({ inbound: 1, outbound: 0 })
    expect(l.connectionsByMuxer).toEqual({ yamux: 2, mplex: 1 })
    expect(l.openSessions).toBe(1)
  })
})
