/**
 * The polling timer (src/sources/poll-loop.ts): a poll at once, then one per interval, never
 * two at once, and nothing left running after stop().
 */
import { describe, expect, it } from 'vitest'
import { PollLoop } from '../../src/sources/poll-loop.js'
import { waitFor } from '../support/wait.js'

describe('PollLoop', () => {
  it('polls at once, then every interval; a slow poll delays the next instead of overlapping it', async () => {
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
    await waitFor('six polls', () => starts.length >= 6)
    await loop.stop()
    expect(starts[0]! - t0).toBeLessThan(20)
    expect(most).toBe(1)
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(30)
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
