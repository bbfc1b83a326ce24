/**
 * Shared by the swarm and fault tests: a scraper that reads the tracker's /metrics over HTTP in a loop
 * and checks the invariant connects - disconnects == connected at every scrape, and the
 * comparison of the tracker's final counters with the swarm's ground truth.
 */
import { METRICS } from '../../src/metrics/definitions.js'
import { samplesOf, sumOf, valueOf } from './exposition.js'
import { waitFor } from './wait.js'
import type { GroundTruth } from '../../src/swarm/index.js'
import type { Exposition } from './exposition.js'
import type { TestTracker } from './tracker.js'

export interface TrackerTotals {
  connects: { inbound: number, outbound: number }
  disconnects: { inbound: number, outbound: number }
  connected: number
  connectionsByMuxer: Record<string, number>
}

export function totalsOf (m: Exposition): TrackerTotals {
  const byMuxer: Record<string, number> = {}
  for (const s of samplesOf(m, METRICS.connectionsOpened.name)) {
    const muxer = s.labels.muxer as string
    if (s.value > 0) byMuxer[muxer] = (byMuxer[muxer] ?? 0) + s.value
  }
  return {
    connects: {
      inbound: valueOf(m, METRICS.peerConnects.name, { direction: 'inbound' }) ?? NaN,
      outbound: valueOf(m, METRICS.peerConnects.name, { direction: 'outbound' }) ?? NaN
    },
    disconnects: {
      inbound: valueOf(m, METRICS.peerDisconnects.name, { direction: 'inbound' }) ?? NaN,
      outbound: valueOf(m, METRICS.peerDisconnects.name, { direction: 'outbound' }) ?? NaN
    },
    connected: valueOf(m, METRICS.connectedPeers.name) ?? NaN,
    connectionsByMuxer: byMuxer
  }
}

/** connects - disconnects - connected: 0 when the books balance. */
export function imbalance (m: Exposition): number {
  return sumOf(m, METRICS.peerConnects.name) - sumOf(m, METRICS.peerDisconnects.name) - (valueOf(m, METRICS.connectedPeers.name) ?? NaN)
}

export interface ScrapeWatch {
  /** Stops scraping; resolves with what was seen. */
  stop: () => Promise<{ scrapes: number, violations: string[], maxConnected: number }>
}

/** Scrapes every `intervalMs` until stopped, checking the invariant each time. */
export function watchScrapes (tracker: TestTracker, intervalMs = 100): ScrapeWatch {
  let running = true
  let scrapes = 0
  let maxConnected = 0
  const violations: string[] = []
  const loop = (async () => {
    while (running) {
      let m: Exposition
      try {
        m = await tracker.scrape()
      } catch (err) {
        if (running) violations.push(`scrape ${scrapes + 1} failed: ${(err as Error).message}`)
        return
      }
      scrapes++
      const off = imbalance(m)
      const connected = valueOf(m, METRICS.connectedPeers.name) ?? 0
      maxConnected = Math.max(maxConnected, connected)
      if (off !== 0) violations.push(`scrape ${scrapes}: connects - disconnects - connected = ${off}`)
      await new Promise(resolve => setTimeout(resolve, intervalMs))
    }
  })()
  return {
    stop: async () => {
      running = false
      await loop
      return { scrapes, violations, maxConnected }
    }
  }
}

/** Waits until the tracker's totals reach the ground truth (the last closes may still be in flight). */
export async function trackerTotalsWhenSettled (tracker: TestTracker, truth: GroundTruth, timeoutMs = 10_000): Promise<TrackerTotals> {
  let last: TrackerTotals | undefined
  try {
    await waitFor('the tracker to count every session of the swarm', async () => {
      last = totalsOf(await tracker.scrape())
      return last.connects.inbound === truth.sessionsOpened.inbound &&
        last.connects.outbound === truth.sessionsOpened.outbound &&
        last.disconnects.inbound === truth.sessionsClosed.inbound &&
        last.disconnects.outbound === truth.sessionsClosed.outbound
    }, timeoutMs)
  } catch {
    // Fall through: the caller's exact assertions show the difference.
  }
  return last ?? totalsOf(await tracker.scrape())
}
