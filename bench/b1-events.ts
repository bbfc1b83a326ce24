/**
 * B1: connection events per second through the real PeerAccount, with TrackerCollector
 * rendering a scrape every 100,000 events (as a scraper would now and then). Steady churn at
 * 10,000 connected peers: each step closes the oldest connection and opens a new one.
 * A second figure goes through the libp2p adapter (attachTracker) with libp2p-shaped events
 * on an EventTarget, as the node delivers them.
 */
import { TrackerCollector } from '../src/metrics/tracker-collector.js'
import { ExpositionWriter } from '../src/metrics/exposition.js'
import { attachTracker } from '../src/service/libp2p-events.js'
import { PeerAccount } from '../src/tracker/peer-account.js'
import { syntheticConnection } from './synthetic.js'
import type { Logger } from '../src/log.js'
import type { Libp2pEventTarget } from '../src/service/libp2p-events.js'

const CONNECTED = 10_000
const SCRAPE_EVERY = 100_000

function collector (tracker: PeerAccount): TrackerCollector {
  return new TrackerCollector(tracker, {
    maxPeerSeries: 500,
    buildInfo: { version: 'bench', revision: 'bench', libp2pVersion: 'bench', nodejsVersion: process.version },
    startTimeSeconds: 0,
    dhtRoutingTablePeers: () => 0
  })
}

/** Events per second, direct calls into the tracker. */
export function eventsPerSecondDirect (durationMs: number): number {
  const tracker = new PeerAccount({ now: () => performance.timeOrigin + performance.now() })
  const c = collector(tracker)
  const pool = Array.from({ length: CONNECTED * 4 }, (_, i) => syntheticConnection(i, i % (CONNECTED * 2)))
  for (let i = 0; i < CONNECTED; i++) tracker.connectionOpened(pool[i]!)
  let next = CONNECTED
  let oldest = 0
  let events = 0
  const start = performance.now()
  const deadline = start + durationMs
  while (true) {
    for (let k = 0; k < 10_000; k++) {
      tracker.connectionClosed(pool[oldest % pool.length]!.id)
      tracker.connectionOpened(pool[next % pool.length]!)
      oldest++
      next++
      events += 2
      if (events % SCRAPE_EVERY === 0) { const w = new ExpositionWriter('text'); c.collect(w); w.finish() }
    }
    if (performance.now() > deadline) break
  }
  const seconds = (performance.now() - start) / 1000
  if (tracker.connectedPeers !== CONNECTED || tracker.ignoredEvents !== 0) throw new Error(`B1: the tracker lost count: ${tracker.connectedPeers} connected, ${tracker.ignoredEvents} ignored`)
  return events / seconds
}

interface FakeConnection {
  id: string
  remotePeer: { toString: () => string }
  remoteAddr: { toString: () => string }
  direction: 'inbound' | 'outbound'
  encryption: string
  multiplexer: string
}

// Every level the service writes at: a missing one would throw inside the guarded handler on
// every event past the info lines' limit, and B1 would measure the exceptions (it did: 2026-11-30).
const silentLog = { trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, fatal: () => {} } as unknown as Logger

/** Events per second through attachTracker: CustomEvents dispatched on an EventTarget. */
export function eventsPerSecondViaAdapter (durationMs: number): number {
  const tracker = new PeerAccount({ now: () => performance.timeOrigin + performance.now() })
  const c = collector(tracker)
  const target = new EventTarget()
  let handlerErrors = 0
  attachTracker(target as unknown as Libp2pEventTarget, tracker, silentLog, () => { handlerErrors++ })
  const pool: FakeConnection[] = Array.from({ length: CONNECTED * 4 }, (_, i) => {
    const s = syntheticConnection(i, i % (CONNECTED * 2))
    // libp2p's PeerId and Multiaddr cache their string forms.
    return { id: s.id, remotePeer: { toString: () => s.peerId }, remoteAddr: { toString: () => s.remoteAddr }, direction: s.direction, encryption: '/noise', multiplexer: s.muxer === 'yamux' ? '/yamux/1.0.0' : '/mplex/6.7.0' }
  })
  const dispatch = (type: string, detail: FakeConnection): void => { target.dispatchEvent(new CustomEvent(type, { detail })) }
  for (let i = 0; i < CONNECTED; i++) dispatch('connection:open', pool[i]!)
  let next = CONNECTED
  let oldest = 0
  let events = 0
  const start = performance.now()
  const deadline = start + durationMs
  while (true) {
    for (let k = 0; k < 5_000; k++) {
      dispatch('connection:close', pool[oldest % pool.length]!)
      dispatch('connection:open', pool[next % pool.length]!)
      oldest++
      next++
      events += 2
      if (events % SCRAPE_EVERY === 0) { const w = new ExpositionWriter('text'); c.collect(w); w.finish() }
    }
    if (performance.now() > deadline) break
  }
  const seconds = (performance.now() - start) / 1000
  if (tracker.connectedPeers !== CONNECTED) throw new Error('B1: the tracker lost count through the adapter')
  if (handlerErrors > 0) throw new Error(`B1: ${handlerErrors} events failed in the adapter's handlers`)
  return events / seconds
}
