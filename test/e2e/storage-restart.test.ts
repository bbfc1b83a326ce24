/**
 * --storage.path end to end: the built CLI restarted between two phases of real libp2p peers
 * on 127.0.0.1. The history, returning-peer counts and flapping state carry over exactly; the
 * peers connected before the restart (listening, not bootstrap peers) are connected again by
 * the tracker's redial; a kill -9 in the middle of churn loses at most the last batch, and
 * the store opens again.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { SEEN_FILTER_BITS, SEEN_FILTER_HASHES } from '../../src/insight/seen-peers.js'
import { loadHistory } from '../../src/storage/history-store.js'
import { openStore } from '../../src/storage/store.js'
import { runCliToExit, startCliTracker } from '../support/tracker.js'
import { parseExposition, valueOf } from '../support/exposition.js'
import { createTestPeer } from '../support/peers.js'
import { waitFor } from '../support/wait.js'
import type { CliRun } from '../support/tracker.js'
import type { Exposition } from '../support/exposition.js'
import type { Libp2p } from '@libp2p/interface'

type Tracker = Awaited<ReturnType<typeof startCliTracker>>

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

function tempDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'tracker-storage-'))
  cleanups.push(async () => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

/**
 * A tracker with a store, at debug level; resolves after its first batch was made: its first
 * timer ran, so the CLI's signal handlers (installed once start-up returns) are in place.
 */
async function tracker (args: string[]): Promise<Tracker> {
  const run = await startCliTracker(['--p2p.bootstrap=', '--p2p.inbound-connection-threshold=1000', '--tracker.report-interval=0', '--log.level=debug', ...args])
  cleanups.push(run.kill)
  await waitFor('the first batch', () => run.logs().some(l => l.msg === 'history batch made'), 60_000)
  return run
}

async function stopped (run: CliRun): Promise<void> {
  run.process.kill('SIGTERM')
  const { code } = await run.exited
  expect(code, run.stderr()).toBe(0)
}

async function peer (): Promise<Libp2p> {
  const p = await createTestPeer({ listen: true })
  cleanups.push(async () => { await p.stop() })
  return p
}

async function scrape (t: Tracker): Promise<Exposition> {
  return parseExposition(await (await fetch(`${t.url}/metrics`)).text())
}

interface PeerDetail {
  connected: boolean
  sessions: number
  flapping: boolean
  lastSeen: string
  firstSeen: string | null
  agentVersion: string | null
  history: Array<{ start: string, end: string | null, direction: string, closeReason: string | null }>
}

async function detail (t: Tracker, peerId: string): Promise<PeerDetail | undefined> {
  const response = await fetch(`${t.url}/api/v1/peers/${peerId}`)
  if (response.status === 404) return undefined
  return await response.json() as PeerDetail
}

/** The tracker's view of the peer once `check` holds. */
async function detailWhen (t: Tracker, p: Libp2p, what: string, check: (d: PeerDetail) => boolean): Promise<PeerDetail> {
  let last: PeerDetail | undefined
  await waitFor(what, async () => { last = await detail(t, p.peerId.toString()); return last !== undefined && check(last) }, 60_000)
  return last as PeerDetail
}

/** One session of `p` with the tracker: dial, seen connected (and identified), hang up, seen ended. */
async function session (t: Tracker, p: Libp2p): Promise<void> {
  const before = (await detail(t, p.peerId.toString()))?.sessions ?? 0
  await p.dial(t.listenAddrs.map(a => multiaddr(a)))
  await detailWhen(t, p, 'the session to start', d => d.connected && d.sessions === before + 1 && d.agentVersion !== null)
  await p.hangUp(peerIdFromString(t.peerId))
  await detailWhen(t, p, 'the session to end', d => !d.connected && d.history[0]?.closeReason !== null)
}

function connectedTo (p: Libp2p, t: Tracker): boolean {
  return p.getConnections().some(c => c.remotePeer.toString() === t.peerId)
}

describe('storage: a restart keeps history and regains peers', () => {
  it('carries history, returning peers and flapping over a restart exactly, and redials the peers connected before it', async () => {
    const dir = tempDir()
    const args = [`--storage.path=${join(dir, 'store')}`, `--p2p.identity-file=${join(dir, 'key')}`, '--storage.flush-interval=200ms',
      '--tracker.flapping-sessions=3', '--tracker.flapping-window=1h']
    const first = await tracker(args)

    // Phase 1: three peers stay connected (they dialled the tracker; they are no bootstrap peers),
    // one flaps (3 sessions), one comes and goes once.
    const stayers = [await peer(), await peer(), await peer()]
    const flapper = await peer()
    const visitor = await peer()
    for (const s of stayers) {
      await s.dial(first.listenAddrs.map(a => multiaddr(a)))
      await detailWhen(first, s, 'a stayer to be identified', d => d.connected && d.agentVersion !== null)
    }
    for (let i = 0; i < 3; i++) await session(first, flapper)
    await session(first, visitor)
    const m1 = await scrape(first)
    expect(valueOf(m1, 'libp2p_tracker_new_peers_total')).toBe(5)
    expect(valueOf(m1, 'libp2p_tracker_returning_peers_total')).toBe(2)
    expect(valueOf(m1, 'libp2p_tracker_flapping_peers')).toBe(1)
    const startTime1 = valueOf(m1, 'libp2p_tracker_start_time_seconds') as number
    const before = new Map<string, PeerDetail>()
    for (const p of [...stayers, flapper, visitor]) before.set(p.peerId.toString(), await detail(first, p.peerId.toString()) as PeerDetail)

    await stopped(first)
    for (const s of stayers) await waitFor('the stayer to see the tracker gone', () => !connectedTo(s, first), 60_000)

    // Phase 2: the same store. No bootstrap peer and no peer dials the tracker: only its redial can bring the stayers back.
    const second = await tracker(args)
    expect(second.peerId).toBe(first.peerId)
    const opened = second.logs().find(l => l.msg === 'storage opened')
    expect(opened).toMatchObject({ peers: 5, seenPeers: 5, connectedBefore: 3, uncleanSessions: 0, skipped: 0 })
    for (const s of stayers) await waitFor('the tracker to redial a peer connected before the restart', () => connectedTo(s, second), 60_000)

    // Each stayer: the session from before the restart ended as a shutdown, then the new one.
    for (const s of stayers) {
      const id = s.peerId.toString()
      const was = before.get(id) as PeerDetail
      const now = await detailWhen(second, s, 'the redialled session', d => d.connected && d.sessions === was.sessions + 1)
      expect(now.firstSeen).toBe(was.firstSeen)
      expect(now.history).toHaveLength(2)
      expect(now.history[0]).toMatchObject({ end: null, direction: 'outbound' })
      expect(now.history[1]).toMatchObject({ start: was.history[0]?.start, direction: 'inbound', closeReason: 'shutdown' })
      expect(now.history[1]?.end).not.toBeNull()
    }
    // The peers not connected: exactly what /api/v1/peers/{id} showed before the restart.
    for (const p of [flapper, visitor]) {
      const id = p.peerId.toString()
      const { peer: _peerBefore, ...was } = before.get(id) as PeerDetail & { peer: unknown }
      const { peer: _peerNow, ...now } = await detail(second, id) as PeerDetail & { peer: unknown }
      expect(now).toEqual(was)
    }
    expect((await detail(second, flapper.peerId.toString()))?.flapping).toBe(true)

    // Counters start from 0 in the new process (new start time); the redialled stayers are returning peers
    // and reconnects (their last session ended moments ago), and the flapper is still flapping.
    const m2 = await scrape(second)
    expect(valueOf(m2, 'libp2p_tracker_start_time_seconds')).toBeGreaterThanOrEqual(startTime1)
    expect(valueOf(m2, 'libp2p_tracker_new_peers_total')).toBe(0)
    expect(valueOf(m2, 'libp2p_tracker_returning_peers_total')).toBe(3)
    expect(valueOf(m2, 'libp2p_tracker_peer_reconnects_total')).toBe(3)
    expect(valueOf(m2, 'libp2p_tracker_flapping_peers')).toBe(1)
    expect(valueOf(m2, 'libp2p_tracker_peers_seen')).toBe(5)
    // A peer seen before the restart is returning; a new one is new.
    await session(second, visitor)
    const newcomer = await peer()
    await session(second, newcomer)
    const m3 = await scrape(second)
    expect(valueOf(m3, 'libp2p_tracker_returning_peers_total')).toBe(4)
    expect(valueOf(m3, 'libp2p_tracker_new_peers_total')).toBe(1)
    expect(valueOf(m3, 'libp2p_tracker_peers_seen')).toBe(6)
    const visitorNow = await detail(second, visitor.peerId.toString()) as PeerDetail
    expect(visitorNow.sessions).toBe(2)
    expect(visitorNow.history.slice(1)).toEqual(before.get(visitor.peerId.toString())?.history)
    await stopped(second)
  }, 180_000)

  it('a kill -9 in the middle of churn loses at most the last batch, and the store opens again', async () => {
    const dir = tempDir()
    const args = [`--storage.path=${join(dir, 'store')}`, '--storage.flush-interval=150ms']
    const first = await tracker(args)
    const peers = await Promise.all(Array.from({ length: 4 }, async () => await peer()))
    let churning = true
    const churn = peers.map(async (p) => {
      while (churning) {
        try {
          const connection = await p.dial(first.listenAddrs.map(a => multiaddr(a)))
          await connection.close()
        } catch {
          // the tracker was killed under the dial
        }
      }
    })
    // Kill once a few batches with sessions in them were written, while the peers keep churning.
    await waitFor('batches with peers written', () => first.logs().filter(l => l.msg === 'history written to the store' && (l.peersWritten as number) > 0).length >= 4, 60_000)
    await first.kill()
    churning = false
    await Promise.all(churn)

    // What the killed tracker had committed: every session it logged as started before the last
    // committed batch was made is in the store; what came after may be lost, nothing else.
    const lines = first.stdout().split('\n')
    const records = lines.filter(l => l.startsWith('{')).flatMap(l => { try { return [JSON.parse(l) as Record<string, unknown>] } catch { return [] } })
    const lastWritten = records.filter(l => l.msg === 'history written to the store').at(-1) as { batch: number }
    const madeIndex = records.findIndex(l => l.msg === 'history batch made' && l.batch === lastWritten.batch)
    expect(madeIndex).toBeGreaterThan(0)
    const startedBefore = new Map<string, number>()
    const startedInAll = new Map<string, number>()
    records.forEach((l, i) => {
      if (l.msg !== 'peer connected') return
      const id = l.peerId as string
      startedInAll.set(id, (startedInAll.get(id) ?? 0) + 1)
      if (i < madeIndex) startedBefore.set(id, (startedBefore.get(id) ?? 0) + 1)
    })

    // The store opens (in this process, then as the CLI opens it) and holds that much, no more.
    const store = await openStore(join(dir, 'store'), { createIfMissing: false })
    const loaded = await loadHistory(store.datastore, SEEN_FILTER_BITS / 32, SEEN_FILTER_HASHES)
    await store.close()
    expect(loaded.skipped).toEqual([])
    for (const p of peers) {
      const id = p.peerId.toString()
      const record = loaded.records.find(r => r.peerId === id)
      const kept = record?.sessions ?? 0
      expect(kept).toBeGreaterThanOrEqual(startedBefore.get(id) ?? 0)
      expect(kept).toBeLessThanOrEqual(startedInAll.get(id) ?? 0)
      // No session left open: the one the kill interrupted (if written) ended as unclean_shutdown at the last batch.
      for (const s of record?.recent ?? []) expect(s.endedAt).toBeDefined()
    }
    expect(startedBefore.size).toBeGreaterThan(0)
    const info = await runCliToExit(['storage', 'info', `--storage.path=${join(dir, 'store')}`])
    expect(info.code, info.stderr).toBe(0)
    const second = await tracker(args)
    expect(second.logs().find(l => l.msg === 'storage opened')).toMatchObject({ skipped: 0 })
    await stopped(second)
  }, 180_000)
})
