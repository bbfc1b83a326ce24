/**
 * The store's size on disk is bounded by the history limits (docs/storage.md, "Size"): a real
 * LevelDB store (src/storage/store.ts) written by the batching writer through heavy churn of
 * many more peers than --tracker.history-peers holds, after `storage compact`, no more than
 * history-peers x maxPeerBytes + the Bloom filter + LevelDB's own small files.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { PeerInsight } from '../../src/insight/peer-insight.js'
import { maxPeerBytes } from '../../src/storage/history-codec.js'
import { HistoryWriter } from '../../src/storage/history-store.js'
import { compactStore, openStore, storeBytesOnDisk } from '../../src/storage/store.js'
import { PeerAccount } from '../../src/tracker/peer-account.js'

const dirs: string[] = []
afterEach(() => { for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true }) })

describe('storage size on disk', () => {
  it('stays within history-peers x maxPeerBytes + 1.125 MiB (Bloom filter) + 64 KiB after churn of 100x more peers, once compacted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracker-store-size-'))
    dirs.push(dir)
    const store = await openStore(join(dir, 'store'))
    const historyPeers = 100
    const k = 10
    const f = 4
    const clock = { t: 1_800_000_000_000.5 }
    const insight = new PeerInsight({ historyPeers, historySessions: k, flappingSessions: f })
    const tracker = new PeerAccount({ now: () => clock.t }, [], insight)
    const writer = new HistoryWriter(store.datastore, {
      record: (peerId) => insight.history.get(peerId),
      seen: () => ({ words: insight.seen.words, distinct: insight.seen.distinct, hashes: insight.seen.hashCount }),
      connected: () => Array.from(tracker.sessionsByAge(), s => s.peerId)
    }, () => clock.t)
    insight.history.onChange = (peerId) => { writer.markDirty(peerId) }
    let connection = 0
    // 10,000 peers (100x history-peers), one session each, with incompressible agents near the cap
    // (LevelDB compresses its tables). Were evicted peers not deleted, this store would take 3.3 MB, over twice the bound.
    const agents = Array.from({ length: 10_000 }, () => `agent/${randomBytes(180).toString('base64')}`)
    for (let round = 0; round < 1; round++) {
      for (let p = 0; p < 10_000; p++) {
        const peerId = `12D3KooW${String(p).padStart(44, 'x')}`
        const id = `c${connection++}`
        tracker.connectionOpened({ id, peerId, remoteAddr: '/ip4/127.0.0.1/tcp/4001', direction: 'inbound', transport: 'tcp', encryption: 'noise', muxer: 'yamux' })
        tracker.peerIdentified(peerId, agents[p], [])
        clock.t += 1.25
        tracker.connectionClosed(id)
        insight.connectionCloseClassified(id, peerId, 'remote', clock.t)
        if (p % 90 === 0) await writer.flush() // every peer written before the history (100) evicts it
      }
    }
    await writer.flush()
    await compactStore(store)
    const bytes = storeBytesOnDisk(store.path)
    await store.close()
    // The filter: 4,096 chunks of 256 bytes with their keys (1.125 MiB at most, far less compressed); LevelDB's own files: 64 KiB.
    const bound = historyPeers * maxPeerBytes(k, f) + 1.125 * 1024 * 1024 + 64 * 1024
    expect(bytes, `${bytes} bytes on disk`).toBeLessThanOrEqual(bound)
    // And it is not trivially small: the kept peers and the filter are there.
    expect(bytes).toBeGreaterThan(historyPeers * 500)
  })
})
