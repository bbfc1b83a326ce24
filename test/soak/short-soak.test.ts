/**
 * The soak in short (issue: "the long ones behind `npm run soak`, short versions in
 * `npm test`"): the same machinery as `npm run soak` (bench/soak-run.ts) for ~25 s against
 * the built CLI — real libp2p peers churning (with identity switches), autocannon scraping
 * /metrics without pause, a post-GC heap reading and a checked scrape every 2 s. It asserts
 * correctness only; the heap slope and latencies are judged by `npm run soak`, not here.
 */
import { describe, expect, it } from 'vitest'
import { invariantViolations, leastSquares, runSoak } from '../../bench/soak-run.js'
import type { SoakResult } from '../../bench/soak-run.js'

describe('short soak: churn and concurrent scrapes against the built CLI', () => {
  it('serves every scrape, keeps the invariant at every sample, and ends balanced with no internal errors', async () => {
    const result: SoakResult = await runSoak({
      durationMs: 25_000,
      peers: 8,
      scrapers: 2,
      identityPool: 12,
      sampleIntervalMs: 2000
    })

    // Churn happened, with identity switches drawn from the pool only.
    expect(result.sessions).toBeGreaterThan(0)
    expect(result.identitiesUsed).toBeGreaterThanOrEqual(8)
    expect(result.identitiesUsed).toBeLessThanOrEqual(12)

    // Zero scrape errors from the load tool, and scrapes were served.
    expect(result.load.requests).toBeGreaterThan(0)
    expect({ errors: result.load.errors, timeouts: result.load.timeouts, non2xx: result.load.non2xx }).toEqual({ errors: 0, timeouts: 0, non2xx: 0 })

    // Every sampled scrape was read and balanced; and each came with a post-GC heap reading.
    expect(result.samples.length).toBeGreaterThanOrEqual(3) // one every 2 s when quiet; a forced GC each takes longer under load
    expect(invariantViolations(result.samples)).toEqual([])
    expect(result.samples.filter(s => !Number.isFinite(s.heapMiB))).toEqual([])
    expect(Math.max(...result.samples.map(s => s.connected))).toBeGreaterThan(0)

    // After churn stopped: nobody counted as connected, the books balance, nothing went wrong inside.
    expect(result.final).toMatchObject({ connected: 0, balance: 0, internalErrors: 0 })
    // The per-peer history holds only the pool's peers.
    expect(result.final.rememberedPeers).toBeGreaterThan(0)
    expect(result.final.rememberedPeers).toBeLessThanOrEqual(result.identitiesUsed)
    expect(result.trackerExit).toEqual({ code: 0, signal: null })
  }, 120_000)
})

describe('the soak\'s slope', () => {
  it('is the least-squares slope, with a standard error from the residuals', () => {
    expect(leastSquares([[0, 1], [1, 3], [2, 5]])).toEqual({ slope: 2, standardError: 0, points: 3 })
    const noisy = leastSquares([[0, 0], [1, 1], [2, 0], [3, 1]])
    expect(noisy.slope).toBeCloseTo(0.2)
    expect(noisy.standardError).toBeCloseTo(Math.sqrt((0.8 / 2) / 5))
    expect(leastSquares([[1, 1]]).slope).toBeNaN()
  })
})
