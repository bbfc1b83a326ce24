/**
 * The peerTracker service's timers, on vitest's fake clock (which, like Node, runs a timer whose
 * delay exceeds 2^31 - 1 ms after 1 ms instead): an interval option longer than Node's maximum
 * delay must not turn into a 1 ms interval. Stand-in components: no network is needed to count
 * the RTT sampler's reads of the connection manager.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_TIMER_DELAY_MS, timerDelay } from '../../src/service/periodic-task.js'
import { PeerTrackerService } from '../../src/service/peer-tracker-service.js'
import type { PeerTrackerComponents } from '../../src/peer-tracker.js'
import type { TrackerLogger } from '../../src/service/logger.js'

afterEach(() => { vi.useRealTimers() })

const quiet: TrackerLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }

function service (rttSampleIntervalMs: number): { service: PeerTrackerService, reads: () => number } {
  let reads = 0
  const components = {
    peerId: { toString: () => 'self' },
    events: new EventTarget(),
    connectionManager: { getConnections: () => { reads++; return [] }, openConnection: async () => { throw new Error('no dials here') } },
    peerStore: {},
    logger: {}
  } as unknown as PeerTrackerComponents
  return {
    service: new PeerTrackerService(components, { registry: false, observeDials: false, peerStoreSweepIntervalMs: 0, rttSampleIntervalMs, logger: quiet }),
    reads: () => reads
  }
}

describe('the peerTracker service\'s timers', () => {
  it('caps a delay at Node\'s maximum', () => {
    expect(timerDelay(10_000)).toBe(10_000)
    expect(timerDelay(30 * 86_400_000)).toBe(MAX_TIMER_DELAY_MS)
    expect(timerDelay(Infinity)).toBe(MAX_TIMER_DELAY_MS)
  })

  it('samples RTTs every interval, and an interval of 30 days does not become 1 ms', async () => {
    vi.useFakeTimers()
    const every10s = service(10_000)
    const monthly = service(30 * 86_400_000)
    for (const { service } of [every10s, monthly]) {
      await service.start()
      await service.afterStart()
    }
    vi.advanceTimersByTime(60_000)
    expect(every10s.reads()).toBe(6)
    expect(monthly.reads()).toBe(0)
    for (const { service } of [every10s, monthly]) {
      await service.beforeStop()
      await service.afterStop()
    }
    vi.advanceTimersByTime(60_000)
    expect(every10s.reads()).toBe(6) // stopped: no timer left
    expect(vi.getTimerCount()).toBe(0)
  })
})
