/**
 * Interop with a peer nobody here wrote: a Helia 7 node (its own default libp2p stack, in a
 * child process on Node 22) dials the built CLI over TCP on 127.0.0.1. The tracker must count
 * it, classify its agent as helia after identify, and count the disconnect when Helia stops.
 * Metric names are written out: they are the public contract this test holds to.
 */
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { startCliTracker } from '../support/tracker.js'
import { parseExposition, samplesOf, valueOf } from '../support/exposition.js'
import { node22 } from '../support/node22.js'
import { startChild } from '../support/process.js'
import { waitFor } from '../support/wait.js'
import type { Exposition } from '../support/exposition.js'
import type { RunningChild } from '../support/process.js'

const HELIA_PEER = fileURLToPath(new URL('../support/helia-peer.mjs', import.meta.url))

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map(async fn => await fn()))
})

function startHelia (binary: string, target: string): RunningChild {
  const helia = startChild(binary, [HELIA_PEER, target], { stdin: 'pipe' })
  cleanups.push(helia.kill)
  return helia
}

function events (helia: RunningChild): Array<{ event: string, peerId?: string }> {
  return helia.stdout().split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as { event: string, peerId?: string })
}

async function metrics (url: string): Promise<Exposition> {
  const response = await fetch(`${url}/metrics`)
  expect(response.status).toBe(200)
  return parseExposition(await response.text())
}

describe('a Helia 7 node dialling the CLI', () => {
  it('is counted, classified as helia after identify, and its disconnect counted when it stops', async () => {
    const binary = await node22()
    const tracker = await startCliTracker([])
    cleanups.push(tracker.kill)
    const target = tracker.listenAddrs[0]
    expect(target).toBeDefined()

    const helia = startHelia(binary, target ?? '')
    await waitFor('Helia to connect to the tracker', () => {
      if (helia.exitedYet()) throw new Error(`the Helia peer exited early: ${helia.output()}`)
      return events(helia).some(e => e.event === 'connected')
    }, 60_000)
    const heliaPeerId = String(events(helia).find(e => e.event === 'started')?.peerId)

    let m!: Exposition
    await waitFor('the tracker to see Helia identified', async () => {
      m = await metrics(tracker.url)
      return samplesOf(m, 'libp2p_tracker_peers_by_agent').some(s => s.labels.agent === 'helia' && s.value === 1)
    }, 30_000)
    expect(valueOf(m, 'libp2p_tracker_connected_peers')).toBe(1)
    expect(valueOf(m, 'libp2p_tracker_peer_connects_total', { direction: 'inbound' })).toBe(1)
    expect(valueOf(m, 'libp2p_tracker_peer_connects_total', { direction: 'outbound' })).toBe(0)
    const helias = samplesOf(m, 'libp2p_tracker_peers_by_agent').filter(s => s.value > 0)
    expect(helias).toHaveLength(1)
    // Helia's agent is `helia/<major.minor.patch> libp2p/...`: the version label is its major.minor.
    expect(helias[0]?.labels).toEqual({ agent: 'helia', version: expect.stringMatching(/^7\.\d+$/) as unknown as string })
    // The one per-peer series names Helia's peer ID.
    expect(samplesOf(m, 'libp2p_tracker_peer_connection_duration_seconds').map(s => s.labels.peer_id)).toEqual([heliaPeerId])

    helia.process.stdin?.write('stop\n')
    expect(await helia.exitWithin(30_000)).toBe(0)
    expect(events(helia).map(e => e.event)).toEqual(['started', 'connected', 'stopped'])

    await waitFor('the tracker to count Helia leaving', async () => {
      m = await metrics(tracker.url)
      return valueOf(m, 'libp2p_tracker_connected_peers') === 0
    }, 30_000)
    expect(valueOf(m, 'libp2p_tracker_peer_disconnects_total', { direction: 'inbound' })).toBe(1)
    expect(valueOf(m, 'libp2p_tracker_peer_session_duration_seconds_count', { direction: 'inbound' })).toBe(1)
    expect(samplesOf(m, 'libp2p_tracker_peers_by_agent').every(s => s.value === 0)).toBe(true)
    expect(samplesOf(m, 'libp2p_tracker_peer_connection_duration_seconds')).toEqual([])

    tracker.process.kill('SIGTERM')
    expect((await tracker.exited).code).toBe(0)
  }, 120_000)
})
