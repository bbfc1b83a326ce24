/**
 * The polling timer (src/sources/poll-loop.ts): a poll at once, then one per interval, never
 * two at once, and nothing left running after stop().
 */
import { describe, expect, it, vi } from 'vitest'
import { PollLoop } from '../../src/sources/poll-loop.js'

describe('PollLoop', () => {
  it('polls at once, then every interval; a slow poll delays the next instead of overlapping it', async () => {
    // A fake clock (timers and performance.now), so the schedule is exact whatever the load.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
    try {
      let running = 0
      let most = 0
      const starts: number[] = []
      const loop = new PollLoop(40, async () => {
        starts.push(performance.now())
        most = Math.max(most, ++running)
        await new Promise(resolve => setTimeout(resolve, starts.length === 2 ? 100 : 1)) // the second poll overruns 2.5 intervals
        running--
      })
      const t0 = performance.now()
      loop.start()
      await vi.advanceTimersByTimeAsync(400)
      const stopped = loop.stop()
      await vi.advanceTimersByTimeAsync(10) // the poll in flight ends
      await stopped
      expect(most).toBe(1)
      // At once, then on the 40 ms grid; the ticks at 80 and 120 fell inside the slow poll (40..140)
      // and are skipped, not run late in a burst: the next poll is at the next tick, 160.
      expect(starts.map(s => s - t0)).toEqual([0, 40, 160, 200, 240, 280, 320, 360, 400])
    } finally {
      vi.useRealTimers()
    }
  })

  it('stop() waits for the poll in flight and no poll runs after it', async () => {
    let polls = 0
    let finished = false
    const loop = new PollLoop(10, async () => {
      polls++
      await new Promise(resolve => setTimeout(resolve, 50))
      finished = true
    })
    loop.start()
    await loop.stop()
    expect(finished).toBe(true)
    const after = polls
    await new Promise(resolve => setTimeout(resolve, 60))
    expect(polls).toBe(after)
  })
})
