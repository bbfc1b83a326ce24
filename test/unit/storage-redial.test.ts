/** The redial planner (src/storage/redial-planner.ts): rate, in-flight cap, connection limit, backoff, giving up. Pure, times injected. */
import { describe, expect, it } from 'vitest'
import { FULL_RECHECK_MS, RedialPlanner } from '../../src/storage/redial-planner.js'
import { Redialer } from '../../src/storage/redialer.js'

const peers = (n: number): string[] => Array.from({ length: n }, (_, i) => `p${i}`)

describe('redial planner', () => {
  it('starts dials at most dialsPerSecond apart, never more than maxInFlight at once', () => {
    const plan = new RedialPlanner(peers(50), 0, { maxConnections: 1000, dialsPerSecond: 10, maxInFlight: 4, random: () => 0.5 })
    const starts: number[] = []
    const inFlight = new Map<string, number>()
    let maxInFlight = 0
    for (let t = 0; t <= 10_000; t += 10) {
      // Every dial takes 700 ms and succeeds: the in-flight cap, not the rate, is what holds dials back.
      for (const [p, at] of inFlight) if (t - at >= 700) { plan.connected(p); inFlight.delete(p) }
      const taken = plan.take(t, 0)
      for (const p of taken) { starts.push(t); inFlight.set(p, t) }
      maxInFlight = Math.max(maxInFlight, plan.inFlight)
      expect(taken.length).toBeLessThanOrEqual(1)
    }
    expect(maxInFlight).toBe(4)
    expect(starts).toHaveLength(50)
    expect(plan.done).toBe(true)
    for (let i = 1; i < starts.length; i++) expect((starts[i] as number) - (starts[i - 1] as number)).toBeGreaterThanOrEqual(100)
  })

  it('never lets open connections + dials in flight reach the connection limit, and looks again later when full', () => {
    const plan = new RedialPlanner(peers(10), 0, { maxConnections: 5, dialsPerSecond: 1000, maxInFlight: 8, random: () => 0.5 })
    const first: string[] = []
    for (let t = 0; t < 100; t++) first.push(...plan.take(t, 3))
    expect(first).toHaveLength(2) // 3 open + 2 in flight = 5
    expect(plan.nextWakeAt(100, 3)).toBeUndefined() // a settling dial wakes it
    plan.connected(first[0] as string); plan.connected(first[1] as string)
    expect(plan.take(100, 5)).toEqual([])
    expect(plan.nextWakeAt(100, 5)).toBe(100 + FULL_RECHECK_MS)
    expect(plan.take(1100, 4)).toHaveLength(1)
  })

  it('retries a failed peer with growing backoff and gives it up after maxAttempts', () => {
    const plan = new RedialPlanner(['p'], 0, { maxConnections: 10, dialsPerSecond: 100, maxInFlight: 1, maxAttempts: 3, minBackoffMs: 1000, maxBackoffMs: 3000, random: () => 0.5 })
    expect(plan.take(0, 0)).toEqual(['p'])
    plan.failed('p', 0)
    expect(plan.nextWakeAt(0, 0)).toBe(1000)
    expect(plan.take(999, 0)).toEqual([])
    expect(plan.take(1000, 0)).toEqual(['p'])
    plan.failed('p', 1000)
    expect(plan.nextWakeAt(1000, 0)).toBe(3000) // 2 s after the second failure
    expect(plan.take(3000, 0)).toEqual(['p'])
    plan.failed('p', 3000)
    expect(plan.done).toBe(true)
    expect(plan.givenUp).toBe(1)
    expect(plan.nextWakeAt(3000, 0)).toBeUndefined()
  })

  it('drops a peer that connected by itself (it dialled us) and counts it regained', () => {
    const plan = new RedialPlanner(['a', 'b'], 0, { maxConnections: 10, dialsPerSecond: 1, maxInFlight: 1, random: () => 0.5 })
    expect(plan.take(0, 0)).toEqual(['a'])
    plan.connected('b')
    plan.connected('a')
    expect(plan.done).toBe(true)
    expect(plan.regained).toBe(2)
    expect(plan.inFlight).toBe(0)
  })

  it('backoff is capped and jittered within +-20 %', () => {
    const low = new RedialPlanner([], 0, { maxConnections: 1, minBackoffMs: 1000, maxBackoffMs: 8000, random: () => 0 })
    const high = new RedialPlanner([], 0, { maxConnections: 1, minBackoffMs: 1000, maxBackoffMs: 8000, random: () => 0.999 })
    expect(low.backoffMs(1)).toBe(800)
    expect(high.backoffMs(1)).toBe(1200)
    expect(low.backoffMs(30)).toBe(6400)
    expect(high.backoffMs(30)).toBe(9597)
  })
})

describe('redialer (the planner run with real timers and a fake dial)', () => {
  it('dials every peer, retries failures, skips connected ones, and reports once when done', async () => {
    const connected = new Set<string>(['already'])
    const attempts = new Map<string, number>()
    let inFlight = 0
    let maxInFlight = 0
    const done = new Promise<{ regained: number, givenUp: number, dials: number }>(resolve => {
      const redialer = new Redialer(['a', 'b', 'flaky', 'dead', 'already'], {
        maxConnections: 100,
        dialsPerSecond: 200,
        maxInFlight: 2,
        maxAttempts: 3,
        minBackoffMs: 5,
        maxBackoffMs: 20,
        dial: async (peerId) => {
          attempts.set(peerId, (attempts.get(peerId) ?? 0) + 1)
          inFlight++
          maxInFlight = Math.max(maxInFlight, inFlight)
          await new Promise(r => setTimeout(r, 2))
          inFlight--
          if (peerId === 'dead' || (peerId === 'flaky' && (attempts.get(peerId) as number) < 3)) throw new Error('refused')
          connected.add(peerId)
        },
        openConnections: () => connected.size,
        isConnected: (peerId) => connected.has(peerId),
        onDone: resolve
      })
      redialer.start()
    })
    expect(await done).toEqual({ regained: 4, givenUp: 1, dials: 8 })
    expect(Object.fromEntries(attempts)).toEqual({ a: 1, b: 1, flaky: 3, dead: 3 })
    expect(maxInFlight).toBeLessThanOrEqual(2)
  })
})
