/** The peer view's history: a bounded ring buffer with an injected clock, per-minute churn, and its sampler. */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { HistorySampler } from '../../src/http/peer-view/history-sampler.js'
import { PeerCountHistory } from '../../src/http/peer-view/peer-count-history.js'

const T0 = 1_800_000_000_000 // a whole minute (ms)

function history (capacity: number, intervalMs = 5000): { h: PeerCountHistory, clock: { t: number } } {
  const clock = { t: T0 }
  return { h: new PeerCountHistory({ capacity, intervalMs, clock: { now: () => clock.t } }), clock }
}

describe('PeerCountHistory', () => {
  it('keeps the last `capacity` samples, oldest first, in seconds; never more', () => {
    const { h, clock } = history(3)
    expect(h.series()).toEqual({ t: [], peers: [], opened: [], closed: [] })
    for (let i = 0; i < 5; i++) {
      h.record({ peers: i, opened: 10 * i, closed: 5 * i })
      clock.t += 5000
    }
    expect(h.size).toBe(3)
    expect(h.series()).toEqual({ t: [T0 / 1000 + 10, T0 / 1000 + 15, T0 / 1000 + 20], peers: [2, 3, 4], opened: [20, 30, 40], closed: [10, 15, 20] })
    // 10,000 more samples: still three.
    for (let i = 0; i < 10_000; i++) { h.record({ peers: 1, opened: 1, closed: 1 }); clock.t += 1 }
    expect(h.size).toBe(3)
    expect(h.series().t).toHaveLength(3)
  })

  it('answers only the samples after ?since (seconds, as its t values)', () => {
    const { h, clock } = history(10)
    for (let i = 0; i < 4; i++) { h.record({ peers: i, opened: i, closed: 0 }); clock.t += 5000 }
    const all = h.series()
    expect(h.series((all.t[1] as number) * 1000).peers).toEqual([2, 3])
    expect(h.series((all.t[3] as number) * 1000).peers).toEqual([])
  })

  it('rounds times to whole ms and never goes back in time when the clock does', () => {
    const { h, clock } = history(10)
    clock.t = T0 + 0.4
    h.record({ peers: 1, opened: 1, closed: 0 })
    clock.t = T0 - 60_000 // a step back
    h.record({ peers: 2, opened: 2, closed: 0 })
    expect(h.series().t).toEqual([T0 / 1000, T0 / 1000])
  })

  it('counts sessions opened and closed in each whole minute; the minute in progress is left out', () => {
    const { h, clock } = history(720)
    expect(h.perMinute()).toEqual({ t: [], opened: [], closed: [] })
    // Samples every 5 s from T0 - 7.5 s for 2.5 minutes; 1 opened per sample, 1 closed every other sample.
    clock.t = T0 - 7500
    let opened = 0
    let closed = 0
    for (let i = 0; clock.t <= T0 + 150_000; i++) {
      h.record({ peers: opened - closed, opened, closed })
      opened++
      if (i % 2 === 1) closed++
      clock.t += 5000
    }
    const m = h.perMinute()
    // Minutes starting at T0 and T0 + 60 s are whole; T0 + 120 s is in progress.
    expect(m.t).toEqual([T0 / 1000, T0 / 1000 + 60])
    expect(m.opened).toEqual([12, 12])
    expect(m.closed).toEqual([6, 6])
  })

  it('refuses a capacity below 1', () => {
    expect(() => history(0)).toThrow(RangeError)
  })
})

describe('HistorySampler', () => {
  afterEach(() => { vi.useRealTimers() })

  it('samples at start and every interval until stopped; an error is reported and sampling goes on', () => {
    vi.useFakeTimers()
    const { h, clock } = history(100, 5000)
    let peers = 0
    const errors: unknown[] = []
    const sampler = new HistorySampler({
      history: h,
      read: () => { if (peers === 2) { peers++; throw new Error('boom') } return { peers: peers++, opened: 0, closed: 0 } },
      onError: (err) => { errors.push(err) }
    })
    sampler.start()
    expect(h.series().peers).toEqual([0])
    for (let i = 0; i < 4; i++) { clock.t += 5000; vi.advanceTimersByTime(5000) }
    expect(h.series().peers).toEqual([0, 1, 3, 4])
    expect(errors).toHaveLength(1)
    sampler.stop()
    vi.advanceTimersByTime(60_000)
    expect(h.size).toBe(4)
    expect(vi.getTimerCount()).toBe(0)
  })
})
