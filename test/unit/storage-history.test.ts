/**
 * The tracker's history in a datastore (src/storage): codec, batching writer and loader, on
 * the in-memory datastore libp2p itself defaults to, with peer insight driven through the pure
 * tracker and an injected clock. A "restart" is a new PeerAccount + PeerInsight loading what
 * the previous one wrote.
 */
import { MemoryDatastore } from 'datastore-core/memory'
import { describe, expect, it } from 'vitest'
import { PeerInsight } from '../../src/insight/peer-insight.js'
import { MAX_AGENT_LENGTH } from '../../src/tracker/sanitize.js'
import {
  PEERS_PREFIX, SEEN_CHUNK_PREFIX, UNCLEAN_SHUTDOWN, decodePeer, encodePeer, maxPeerBytes, peerKey
} from '../../src/storage/history-codec.js'
import { HistoryWriter, loadHistory } from '../../src/storage/history-store.js'
import { PeerAccount } from '../../src/tracker/peer-account.js'
import type { PeerRecord } from '../../src/insight/peer-history.js'

const WINDOW = 60_000
const FLAP = 3

interface Run {
  tracker: PeerAccount
  insight: PeerInsight
  writer: HistoryWriter
  clock: { t: number }
  nextConnection: number
}

function connectionsOf (run: Run): string[] {
  return Array.from(run.tracker.sessionsByAge(), s => s.peerId)
}

/** A tracker + insight whose history goes to `store` (loaded from it first). */
async function startRun (store: MemoryDatastore, t: number, historyPeers = 100): Promise<Run> {
  const clock = { t }
  const insight = new PeerInsight({ flappingSessions: FLAP, flappingWindowMs: WINDOW, historyPeers, historySessions: 4 })
  const tracker = new PeerAccount({ now: () => clock.t }, [], insight)
  const loaded = await loadHistory(store, insight.seen.words.length, insight.seen.hashCount)
  const run: Run = { tracker, insight, clock, nextConnection: 0, writer: undefined as unknown as HistoryWriter }
  run.writer = new HistoryWriter(store, {
    record: (peerId) => insight.history.get(peerId),
    seen: () => ({ words: insight.seen.words, distinct: insight.seen.distinct, hashes: insight.seen.hashCount }),
    connected: () => connectionsOf(run)
  }, () => clock.t)
  insight.history.onChange = (peerId) => { run.writer.markDirty(peerId) }
  insight.restore(loaded.records, loaded.seen, clock.t)
  run.writer.loadedSeen(loaded.seen?.words, loaded.seen?.distinct ?? 0)
  for (const peerId of loaded.uncleanPeers) run.writer.markDirty(peerId)
  return run
}

function connect (run: Run, peerId: string, direction: 'inbound' | 'outbound' = 'inbound'): string {
  const id = `c${run.nextConnection++}`
  run.tracker.connectionOpened({ id, peerId, remoteAddr: '/ip4/127.0.0.1/tcp/4001', direction, transport: 'tcp', encryption: 'noise', muxer: 'yamux' })
  return id
}

function disconnect (run: Run, connectionId: string, peerId: string, reason: 'remote' | 'shutdown' = 'remote'): void {
  run.tracker.connectionClosed(connectionId)
  run.insight.connectionCloseClassified(connectionId, peerId, reason, run.clock.t)
}

/** What /api/v1/peers/{id} would show of a peer's history, comparable across runs. */
function historyOf (insight: PeerInsight, peerId: string): unknown {
  const r = insight.history.get(peerId)
  return r === undefined ? undefined : { sessions: r.sessions, firstSeen: r.firstSeen, lastSeen: r.lastSeen, agent: r.agentVersion, recent: r.recent.map(s => ({ ...s })), starts: [...r.starts] }
}

describe('history codec', () => {
  it('round-trips a record, open sessions included', () => {
    const record: PeerRecord = {
      peerId: '12D3KooWTest', sessions: 7, firstSeen: 1_700_000_000_000, lastSeen: 1_700_000_500_000, agentVersion: 'kubo/0.30.0', rttMs: 12.345,
      starts: [1, 2, 3], recent: [{ startedAt: 10, endedAt: 20, direction: 'inbound', closeReason: 'remote' }, { startedAt: 30, endedAt: undefined, direction: 'outbound', closeReason: undefined }]
    }
    expect(decodePeer(record.peerId, encodePeer(record))).toEqual(record)
  })

  it('refuses values that are not a stored peer (skipped, never thrown)', () => {
    const bad = ['', 'null', '{}', '{"s":-1,"f":0,"l":0,"a":null,"r":null,"t":[],"h":[]}', '{"s":1,"f":0,"l":0,"a":null,"r":null,"t":[],"h":[[1]]}', '\u00ff\u00fe']
    for (const text of bad) expect(decodePeer('p', new TextEncoder().encode(text))).toBeUndefined()
    expect(decodePeer('p', new Uint8Array([0xff, 0xfe, 0x00]))).toBeUndefined()
  })

  it('keeps every record within maxPeerBytes, even at its worst (longest agent of 3-byte characters, longest times)', () => {
    for (const [k, f] of [[1, 2], [10, 4], [100, 50]] as const) {
      const far = 10_000_000_000_000_000 // beyond any real time: every number at its longest (the double 9_999_999_999_999_999 was read as)
      const record: PeerRecord = {
        peerId: '12D3KooW' + 'x'.repeat(44), sessions: Number.MAX_SAFE_INTEGER, firstSeen: far, lastSeen: far, agentVersion: '€'.repeat(MAX_AGENT_LENGTH), rttMs: 123456.789,
        starts: Array.from({ length: f }, () => far),
        recent: Array.from({ length: k }, () => ({ startedAt: far, endedAt: far, direction: 'outbound', closeReason: UNCLEAN_SHUTDOWN }))
      }
      const bytes = encodePeer(record).byteLength + peerKey(record.peerId).toString().length
      expect(bytes).toBeLessThanOrEqual(maxPeerBytes(k, f))
    }
  })
})

describe('history writer and loader', () => {
  it('carries history, flapping, reconnects and returning peers over a restart exactly', async () => {
    const store = new MemoryDatastore()
    const t0 = 1_800_000_000_000
    const a = await startRun(store, t0)
    // p1 flaps: 3 sessions within the window; p2 comes and goes once; p3 stays connected.
    for (let i = 0; i < FLAP; i++) {
      const c = connect(a, 'p1'); a.clock.t += 1000; disconnect(a, c, 'p1'); a.clock.t += 1000
    }
    const c2 = connect(a, 'p2', 'outbound'); a.clock.t += 5000; disconnect(a, c2, 'p2')
    const c3 = connect(a, 'p3')
    a.tracker.peerIdentified('p3', 'kubo/0.30.0', ['/ipfs/id/1.0.0'])
    expect(a.insight.isFlapping('p1', a.clock.t)).toBe(true)
    expect(a.insight.newPeers).toBe(3)
    await a.writer.flush()
    // A clean stop: connected peers frozen, then every session ends as a shutdown.
    a.writer.freezeConnected()
    a.clock.t += 1000
    disconnect(a, c3, 'p3', 'shutdown')
    await a.writer.flush()
    const before = Object.fromEntries(['p1', 'p2', 'p3'].map(p => [p, historyOf(a.insight, p)]))

    const b = await startRun(store, a.clock.t + 2000)
    for (const p of ['p1', 'p2', 'p3']) expect(historyOf(b.insight, p)).toEqual(before[p])
    expect(b.insight.isFlapping('p1', b.clock.t)).toBe(true)
    expect(b.insight.isFlapping('p2', b.clock.t)).toBe(false)
    // Counters start from 0; each peer seen before the restart is returning, a new one is new.
    expect(b.insight.newPeers + b.insight.returningPeers).toBe(0)
    connect(b, 'p1'); connect(b, 'p3'); connect(b, 'p4')
    expect(b.insight.returningPeers).toBe(2)
    expect(b.insight.newPeers).toBe(1)
    // p1 and p3 came back within the window of their last session's end: reconnects.
    expect(b.insight.reconnects).toBe(2)
    expect(b.insight.seen.distinct).toBe(4)
    expect(b.insight.history.get('p1')?.sessions).toBe(FLAP + 1)
    // The flapping window still counts the starts from before the restart.
    expect(b.insight.flappingPeers(b.clock.t)).toBe(1)
  })

  it('stores the peers connected at the last write (frozen at a clean stop) for the redial', async () => {
    const store = new MemoryDatastore()
    const a = await startRun(store, 1_800_000_000_000)
    const ca = connect(a, 'pa'); const cb = connect(a, 'pb')
    await a.writer.flush()
    expect((await loadHistory(store, a.insight.seen.words.length, a.insight.seen.hashCount)).connected.sort()).toEqual(['pa', 'pb'])
    a.writer.freezeConnected()
    disconnect(a, ca, 'pa', 'shutdown'); disconnect(a, cb, 'pb', 'shutdown')
    await a.writer.flush()
    const loaded = await loadHistory(store, a.insight.seen.words.length, a.insight.seen.hashCount)
    expect(loaded.connected.sort()).toEqual(['pa', 'pb'])
    expect(loaded.uncleanPeers).toEqual([])
  })

  it('after a kill (no clean stop) keeps what the last batch held and closes open sessions at its time as unclean_shutdown', async () => {
    const store = new MemoryDatastore()
    const a = await startRun(store, 1_800_000_000_000)
    connect(a, 'kept')
    a.clock.t += 3000
    await a.writer.flush() // the last batch
    const flushedAt = a.clock.t
    a.clock.t += 1000
    connect(a, 'lost') // never written: the process is "killed" here
    const b = await startRun(store, a.clock.t + 10_000)
    expect(b.insight.history.get('lost')).toBeUndefined()
    const kept = b.insight.history.get('kept')
    expect(kept?.recent).toEqual([{ startedAt: 1_800_000_000_000, endedAt: flushedAt, direction: 'inbound', closeReason: UNCLEAN_SHUTDOWN }])
    expect(kept?.lastSeen).toBe(flushedAt)
    // The closed session is written back at the next flush, and a third start sees it unchanged.
    await b.writer.flush()
    const c = await startRun(store, b.clock.t + 1000)
    expect(c.insight.history.get('kept')?.recent).toEqual(kept?.recent)
    expect((await loadHistory(store, c.insight.seen.words.length, c.insight.seen.hashCount)).uncleanPeers).toEqual([])
  })

  it('writes only dirty peers and changed filter chunks; evicted peers are deleted, so the store holds at most history-peers', async () => {
    const store = new MemoryDatastore()
    const limit = 20
    const a = await startRun(store, 1_800_000_000_000, limit)
    for (let i = 0; i < 200; i++) {
      const c = connect(a, `peer-${i}`); a.clock.t += 10; disconnect(a, c, `peer-${i}`)
      if (i % 37 === 0) await a.writer.flush()
    }
    await a.writer.flush()
    let stored = 0
    let bytes = 0
    for await (const { key, value } of store.query({ prefix: PEERS_PREFIX })) { stored++; bytes += key.toString().length + value.byteLength }
    expect(stored).toBe(limit)
    expect(bytes).toBeLessThanOrEqual(limit * maxPeerBytes(4, FLAP))
    // Filter chunks: only those with bits set, each written when it changed.
    let chunks = 0
    for await (const _ of store.query({ prefix: SEEN_CHUNK_PREFIX })) chunks++
    expect(chunks).toBeGreaterThan(0)
    expect(chunks).toBeLessThanOrEqual(200 * a.insight.seen.hashCount)
    // Nothing changed: the next batch writes no peer and no chunk.
    const idle = await a.writer.flush()
    expect(idle).toMatchObject({ peersWritten: 0, peersDeleted: 0, seenChunksWritten: 0 })
    // Every peer of the 200 is still known as seen after a restart (the filter came back).
    const b = await startRun(store, a.clock.t + 1000, limit)
    connect(b, 'peer-0'); connect(b, 'peer-new')
    expect(b.insight.returningPeers).toBe(1)
    expect(b.insight.newPeers).toBe(1)
  })

  it('a lower --tracker.history-peers after the restart keeps the most recently seen and deletes the rest at the next write', async () => {
    const store = new MemoryDatastore()
    const a = await startRun(store, 1_800_000_000_000, 50)
    for (let i = 0; i < 30; i++) { const c = connect(a, `p${i}`); a.clock.t += 10; disconnect(a, c, `p${i}`) }
    await a.writer.flush()
    const b = await startRun(store, a.clock.t, 10)
    expect(b.insight.history.size).toBe(10)
    expect(b.insight.history.get('p29')).toBeDefined()
    expect(b.insight.history.get('p19')).toBeUndefined()
    await b.writer.flush()
    let stored = 0
    for await (const _ of store.query({ prefix: PEERS_PREFIX })) stored++
    expect(stored).toBe(10)
  })

  it('a failed write keeps its peers for the next batch', async () => {
    const store = new MemoryDatastore()
    const a = await startRun(store, 1_800_000_000_000)
    connect(a, 'p')
    const batch = store.batch.bind(store)
    let fail = true
    store.batch = () => {
      const b = batch()
      return { ...b, put: b.put, delete: b.delete, commit: async () => { if (fail) throw new Error('disk full'); await b.commit() } }
    }
    await expect(a.writer.flush()).rejects.toThrow('disk full')
    expect(a.writer.pending).toBe(1)
    fail = false
    await a.writer.flush()
    expect(await store.has(peerKey('p'))).toBe(true)
  })

  it('skips a stored value it cannot read, and says which', async () => {
    const store = new MemoryDatastore()
    await store.put(peerKey('broken'), new TextEncoder().encode('{not json'))
    const loaded = await loadHistory(store, 1 << 18, 7)
    expect(loaded.skipped).toEqual(['broken'])
    expect(loaded.records).toEqual([])
  })
})
