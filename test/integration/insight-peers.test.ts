/**
 * Peer insight against real libp2p peers on 127.0.0.1: peers announcing known agents and
 * protocols, a flapping peer, a remote close, a local close, a refused dial and a shutdown.
 * Every number is read from /metrics (or the JSON API) over HTTP.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { INSIGHT_METRICS as M } from '../../src/metrics/definitions.js'
import { pingConnection } from '../../src/service/ping-connection.js'
import { samplesOf, sumOf, valueOf } from '../support/exposition.js'
import { createTestPeer, startTestPeer } from '../support/peers.js'
import { waitFor } from '../support/wait.js'
import { scrapeUntil, startTestTracker } from '../support/tracker.js'
import type { Exposition } from '../support/exposition.js'
import type { TestTracker } from '../support/tracker.js'
import type { Connection, Libp2p } from '@libp2p/interface'

const stoppers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(stoppers.splice(0).map(async stop => { await stop() }))
})

async function peer (options: Parameters<typeof createTestPeer>[0] = {}, protocols: string[] = []): Promise<Libp2p> {
  return await startTestPeer(options, stoppers, protocols)
}

async function tracker (raw: Parameters<typeof startTestTracker>[0] = {}): Promise<TestTracker> {
  return await startTestTracker(raw, stoppers)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests read the API's JSON as the client would, unchecked
async function getJson (url: string): Promise<{ status: number, body: any }> {
  const response = await fetch(url)
  return { status: response.status, body: await response.json() }
}

describe('peer insight with real peers', () => {
  it('counts peers by agent, protocol and address family, the sybil signal, and serves them in the API', async () => {
    const t = await tracker()
    const kubo = await peer({ listen: false, agentVersion: 'kubo/0.29.0/3f0947b' }, ['/ipfs/kad/1.0.0', '/ipfs/bitswap/1.2.0'])
    const lighthouse = await peer({ listen: false, agentVersion: 'Lighthouse/v5.3.0-d6ba8c3/x86_64-linux' }, ['/meshsub/1.1.0'])
    const plain = await peer({ listen: false })
    for (const p of [kubo, lighthouse, plain]) await p.dial(t.node.getMultiaddrs())

    const m = await scrapeUntil(t, 'three identified peers', m =>
      sumOf(m, M.peersByAgent.name) === 3 && valueOf(m, M.peersByAgent.name, { agent: 'unknown', version: 'unknown' }) === 0)
    expect(valueOf(m, M.peersByAgent.name, { agent: 'kubo', version: '0.29' })).toBe(1)
    expect(valueOf(m, M.peersByAgent.name, { agent: 'lighthouse', version: '5.3' })).toBe(1)
    expect(samplesOf(m, M.peersByAgent.name).filter(s => s.labels.agent === 'js-libp2p').reduce((n, s) => n + s.value, 0)).toBe(1)
    expect(valueOf(m, M.peersByProtocol.name, { protocol: 'identify' })).toBe(3)
    expect(valueOf(m, M.peersByProtocol.name, { protocol: 'ping' })).toBe(3)
    expect(valueOf(m, M.peersByProtocol.name, { protocol: 'kad' })).toBe(1)
    expect(valueOf(m, M.peersByProtocol.name, { protocol: 'bitswap' })).toBe(1)
    expect(valueOf(m, M.peersByProtocol.name, { protocol: 'gossipsub' })).toBe(1)
    expect(valueOf(m, M.peersByProtocol.name, { protocol: 'eth2' })).toBe(0)
    expect(valueOf(m, M.peersByIpVersion.name, { ip_version: 'ip4' })).toBe(3)
    expect(valueOf(m, M.peersByIpVersion.name, { ip_version: 'relayed' })).toBe(0)
    // three peer IDs behind 127.0.0.1
    expect(valueOf(m, M.ipsWithMultiplePeerIds.name)).toBe(1)
    expect(valueOf(m, M.maxPeerIdsPerIp.name)).toBe(3)
    expect(valueOf(m, M.newPeers.name)).toBe(3)
    expect(valueOf(m, M.returningPeers.name)).toBe(0)
    expect(valueOf(m, M.peersSeen.name)).toBe(3)
    expect(valueOf(m, M.stablePeers.name, { min_age: '1h' })).toBe(0)

    const sorted = await getJson(`${t.url}/api/v1/peers?sort=peerId&limit=2`)
    expect(sorted.status).toBe(200)
    const ids = [kubo, lighthouse, plain].map(p => p.peerId.toString()).sort()
    expect(sorted.body.map((p: { peerId: string }) => p.peerId)).toEqual(ids.slice(0, 2))
    const all = (await getJson(`${t.url}/api/v1/peers`)).body as Array<Record<string, unknown>>
    expect(all.find(p => p.peerId === kubo.peerId.toString())).toMatchObject({
      agentFamily: 'kubo', agentFamilyVersion: '0.29', sessions: 1, flapping: false, agentVersion: 'kubo/0.29.0/3f0947b'
    })
    expect(all.find(p => p.peerId === lighthouse.peerId.toString())?.protocolClasses).toContain('gossipsub')
    for (const bad of ['limit=0', 'limit=abc', 'limit=100001', 'sort=latency', 'sort=rtt&sort=peerId']) {
      const response = await fetch(`${t.url}/api/v1/peers?${bad}`)
      expect(response.status, bad).toBe(400)
      const text = await response.text()
      expect(text.split('\n')).toHaveLength(1)
      expect(JSON.parse(text).error).toMatch(/^(limit|sort): /)
    }
    const one = await getJson(`${t.url}/api/v1/peers/${kubo.peerId.toString()}`)
    expect(one.status).toBe(200)
    expect(one.body).toMatchObject({ peerId: kubo.peerId.toString(), connected: true, sessions: 1, flapping: false })
    expect(one.body.history).toHaveLength(1)
    expect(one.body.history[0].end).toBeNull()
    expect((await fetch(`${t.url}/api/v1/peers/12D3KooWNotAPeerWeKnowAboutAtAllxxxxxxxxxxxxxxxxx`)).status).toBe(404)
  })

  it('counts a flapping peer, its reconnects and remote closes exactly, and keeps its history', async () => {
    const t = await tracker({ 'tracker.flapping-sessions': '3', 'tracker.flapping-window': '10m' })
    const flapper = await peer({ listen: false, agentVersion: 'rust-libp2p/0.54.0' })
    for (let i = 1; i <= 3; i++) {
      await flapper.dial(t.node.getMultiaddrs())
      await scrapeUntil(t, `session ${i}`, m => sumOf(m, 'libp2p_tracker_peer_connects_total') === i)
      await flapper.hangUp(t.node.peerId)
      await scrapeUntil(t, `disconnect ${i}`, m => sumOf(m, 'libp2p_tracker_peer_disconnects_total') === i)
    }
    const m = await t.scrape()
    expect(valueOf(m, M.flappingPeers.name)).toBe(1)
    expect(valueOf(m, M.peerReconnects.name)).toBe(2)
    expect(valueOf(m, M.newPeers.name)).toBe(1)
    expect(valueOf(m, M.returningPeers.name)).toBe(2)
    expect(valueOf(m, M.peersSeen.name)).toBe(1)
    expect(valueOf(m, M.connectionCloseReasons.name, { reason: 'remote' })).toBe(3)
    expect(valueOf(m, M.connectionCloseReasons.name, { reason: 'local' })).toBe(0)
    expect(sumOf(m, M.connectionCloseReasons.name)).toBe(3)

    const detail = await getJson(`${t.url}/api/v1/peers/${flapper.peerId.toString()}`)
    expect(detail.status).toBe(200)
    expect(detail.body).toMatchObject({ connected: false, peer: null, sessions: 3, flapping: true })
    expect(detail.body.history.map((s: { closeReason: string }) => s.closeReason)).toEqual(['remote', 'remote', 'remote'])
  })

  it('lists the connected peers with the most sessions first with ?sort=sessions (the flapping runbook\'s query)', async () => {
    const t = await tracker({ 'tracker.flapping-sessions': '3', 'tracker.flapping-window': '10m' })
    const steady = await peer({ listen: false })
    await steady.dial(t.node.getMultiaddrs()) // connected longest, one session
    const [twice, thrice] = [await peer({ listen: false }), await peer({ listen: false })]
    let connects = 1
    for (const [p, sessions] of [[thrice, 3], [twice, 2]] as const) {
      for (let i = 1; i <= sessions; i++) {
        await p.dial(t.node.getMultiaddrs())
        connects++
        await scrapeUntil(t, `connect ${connects}`, m => sumOf(m, 'libp2p_tracker_peer_connects_total') === connects)
        if (i < sessions) {
          await p.hangUp(t.node.peerId)
          await waitFor('the hang-up', () => t.tracker.session(p.peerId.toString()) === undefined)
        }
      }
    }
    const id = (p: Libp2p): string => p.peerId.toString()
    const bySessions = (await getJson(`${t.url}/api/v1/peers?sort=sessions&limit=20`)).body as Array<{ peerId: string, sessions: number, flapping: boolean }>
    expect(bySessions.map(p => [p.peerId, p.sessions, p.flapping])).toEqual([[id(thrice), 3, true], [id(twice), 2, false], [id(steady), 1, false]])
    expect(((await getJson(`${t.url}/api/v1/peers?sort=sessions&limit=1`)).body as Array<{ peerId: string }>).map(p => p.peerId)).toEqual([id(thrice)])
    // the default order is the longest-connected first
    expect(((await getJson(`${t.url}/api/v1/peers`)).body as Array<{ peerId: string }>).map(p => p.peerId)).toEqual([id(steady), id(thrice), id(twice)])
  })

  it('counts a refused dial of a bootstrap peer by reason', async () => {
    const gone = await peer()
    const addr = gone.getMultiaddrs()[0]?.toString() ?? ''
    await gone.stop() // its port is closed now: the dial is refused
    const t = await tracker({ 'p2p.bootstrap': [addr] })
    const m = await scrapeUntil(t, 'a failed dial', m => (valueOf(m, M.dials.name, { outcome: 'failure' }) ?? 0) >= 1)
    const failures = valueOf(m, M.dials.name, { outcome: 'failure' })
    expect(valueOf(m, M.dialErrors.name, { reason: 'refused' })).toBe(failures)
    expect(sumOf(m, M.dialErrors.name)).toBe(failures)
    expect(valueOf(m, M.dials.name, { outcome: 'success' })).toBe(0)
  })

  it('counts a successful bootstrap dial, a local close after the prune grace period, and shutdown closes', async () => {
    const b = await peer()
    const t = await startTestTracker({ 'p2p.bootstrap': [b.getMultiaddrs()[0]?.toString() ?? ''] })
    let stopped = false
    stoppers.push(async () => { if (!stopped) await t.stop() })
    await scrapeUntil(t, 'the bootstrap dial', m => valueOf(m, M.dials.name, { outcome: 'success' }) === 1)
    const inbound = await peer({ listen: false })
    await inbound.dial(t.node.getMultiaddrs())
    await scrapeUntil(t, 'two peers', m => valueOf(m, 'libp2p_tracker_connected_peers') === 2)

    await t.node.hangUp(inbound.peerId)
    const m = await scrapeUntil(t, 'the local close', m => valueOf(m, M.connectionCloseReasons.name, { reason: 'local' }) === 1)
    expect(valueOf(m, M.connectionCloseReasons.name, { reason: 'pruned' })).toBe(0)
    expect(valueOf(m, M.connectionCloseReasons.name, { reason: 'remote' })).toBe(0)
    expect(valueOf(m, M.dials.name, { outcome: 'failure' })).toBe(0)

    await t.stop()
    stopped = true
    expect(t.insight.closeReasons.counts).toEqual({ local: 1, pruned: 0, remote: 0, reset: 0, timeout: 0, shutdown: 1, source_gap: 0 })
  })

  it('samples RTT on a bounded schedule into the histogram of the peer\'s family and the API', async () => {
    const intervalMs = 200
    const t = await tracker({ 'tracker.rtt-sample-interval': `${intervalMs}ms` })
    const p = await peer({ listen: false, agentVersion: 'nim-libp2p' })
    const q = await peer({ listen: false, agentVersion: 'rust-libp2p/0.54.0' })
    const since = Date.now()
    await p.dial(t.node.getMultiaddrs())
    await q.dial(t.node.getMultiaddrs())
    const m = await scrapeUntil(t, 'several RTT samples of each peer', m =>
      (valueOf(m, `${M.peerRtt.name}_count`, { agent: 'nim-libp2p' }) ?? 0) >= 4 && (valueOf(m, `${M.peerRtt.name}_count`, { agent: 'rust-libp2p' }) ?? 0) >= 4)
    // at most one sample per peer per interval: each peer is sampled on the tracker's ticks
    // only (libp2p's connection monitor has not measured yet: its first ping comes after 10 s)
    const ticks = Math.floor((Date.now() - since) / intervalMs)
    for (const agent of ['nim-libp2p', 'rust-libp2p']) {
      const count = valueOf(m, `${M.peerRtt.name}_count`, { agent }) ?? 0
      expect(count, agent).toBeLessThanOrEqual(ticks)
      expect(valueOf(m, `${M.peerRtt.name}_bucket`, { agent, le: '+Inf' })).toBe(count)
    }
    expect(valueOf(m, `${M.peerRtt.name}_count`, { agent: 'kubo' })).toBe(0)
    const view = (await getJson(`${t.url}/api/v1/peers/${p.peerId.toString()}`)).body
    expect(view.rttMs).toBeGreaterThanOrEqual(0)
    expect(view.rttMs).toBeLessThan(1000)
    // sorted by the RTT each entry shows
    const byRtt = (await getJson(`${t.url}/api/v1/peers?sort=rtt`)).body as Array<{ rttMs: number }>
    expect(byRtt).toHaveLength(2)
    expect(byRtt[0]!.rttMs).toBeLessThanOrEqual(byRtt[1]!.rttMs)
    expect(t.insight.dials).toEqual({ success: 0, failure: 0 }) // the pings dialled nothing

    // libp2p's connection monitor measures p: it sets Connection.rtt (every 10 s; set here as it
    // would). That value is recorded once, not on every tick, and p is no longer pinged. q, still
    // unmeasured, is pinged on every tick: its count is the clock.
    const inSlowBucket = (m: Exposition): number =>
      (valueOf(m, `${M.peerRtt.name}_bucket`, { agent: 'nim-libp2p', le: '2.5' }) ?? 0) - (valueOf(m, `${M.peerRtt.name}_bucket`, { agent: 'nim-libp2p', le: '1' }) ?? 0)
    const ticksOf = (m: Exposition): number => valueOf(m, `${M.peerRtt.name}_count`, { agent: 'rust-libp2p' }) ?? 0
    const countOf = (m: Exposition): number => valueOf(m, `${M.peerRtt.name}_count`, { agent: 'nim-libp2p' }) ?? 0
    const monitored = t.node.getConnections(p.peerId)[0]!
    monitored.rtt = 2000
    let before = await t.scrape()
    await scrapeUntil(t, 'the monitor\'s value recorded', m => inSlowBucket(m) === 1 && ticksOf(m) >= ticksOf(before) + 2)
    before = await t.scrape() // any ping of p that was in flight has landed by now
    const after = await scrapeUntil(t, 'three more ticks', m => ticksOf(m) >= ticksOf(before) + 3)
    expect(inSlowBucket(after)).toBe(1)
    expect(countOf(after)).toBe(countOf(before))
    monitored.rtt = 2001 // a new measurement
    await scrapeUntil(t, 'the new value recorded', m => inSlowBucket(m) === 2)
    const last = await scrapeUntil(t, 'three more ticks', m => ticksOf(m) >= ticksOf(after) + 4)
    expect(inSlowBucket(last)).toBe(2)
    expect(countOf(last)).toBe(countOf(after) + 1)
  })

  it('pings over the connection itself: a peer that left is not dialled', async () => {
    const t = await tracker()
    const p = await peer()
    await p.dial(t.node.getMultiaddrs())
    await waitFor('the peer', () => t.tracker.connectedPeers === 1)
    const [connection] = t.node.getConnections(p.peerId)
    expect(await pingConnection(connection!, AbortSignal.timeout(5000))).toBeGreaterThanOrEqual(0)
    await p.hangUp(t.node.peerId)
    await waitFor('the peer gone', () => t.tracker.connectedPeers === 0)
    // libp2p knows p's listen address (identify): its ping service would dial it again
    await expect(pingConnection(connection!, AbortSignal.timeout(5000))).rejects.toThrow()
    expect(t.node.getConnections()).toHaveLength(0)
    expect(t.insight.dials).toEqual({ success: 0, failure: 0 })
  })

  it('shows a connection pruned by libp2p\'s connection manager as pruned, in the counter and the peer\'s history', async () => {
    const t = await tracker({ 'p2p.max-connections': '1' })
    const a = await peer()
    const b = await peer()
    await t.node.dial(a.getMultiaddrs())
    await waitFor('a connected', () => t.tracker.connectedPeers === 1)
    await t.node.dial(b.getMultiaddrs()).catch(() => undefined) // one over the limit: libp2p prunes one of the two
    const m = await scrapeUntil(t, 'a pruned connection', m => valueOf(m, M.connectionCloseReasons.name, { reason: 'pruned' }) === 1)
    expect(valueOf(m, M.connectionCloseReasons.name, { reason: 'local' })).toBe(0)
    expect(t.tracker.connectedPeers).toBe(1)
    const pruned = [a, b].find(p => t.tracker.session(p.peerId.toString()) === undefined)
    expect(pruned).toBeDefined()
    const detail = (await getJson(`${t.url}/api/v1/peers/${pruned!.peerId.toString()}`)).body
    expect(detail).toMatchObject({ connected: false, sessions: 1 })
    expect(detail.history.map((s: { closeReason: string }) => s.closeReason)).toEqual(['pruned'])
  })

  it('tells local from remote closes although libp2p\'s close event does not (why the adapter wraps close/abort)', async () => {
    const t = await tracker()
    const p = await peer({ listen: false })
    const closeOf = async (connection: Connection): Promise<{ local: unknown, error: unknown }> =>
      await new Promise(resolve => { connection.addEventListener('close', (evt) => { resolve({ local: evt.local, error: evt.error }) }, { once: true }) })

    await p.dial(t.node.getMultiaddrs())
    await waitFor('session 1', () => t.tracker.connectedPeers === 1)
    const remoteClosing = closeOf(t.node.getConnections(p.peerId)[0]!)
    await p.hangUp(t.node.peerId)
    const remoteClose = await remoteClosing
    // libp2p 3.3 never marks a close by the remote as remote: `local` is undefined, as for our
    // own graceful close, or true when our side's socket errored in the race (EPIPE). If this
    // starts failing, libp2p reports locality: use evt.local and drop the wrapping.
    expect(remoteClose.local).not.toBe(false)
    // A remote hang-up is `remote`, or `reset` when our side saw the socket error.
    const remoteReason = remoteClose.error === undefined ? 'remote' : 'reset'

    await p.dial(t.node.getMultiaddrs())
    await waitFor('session 2', () => t.tracker.connectedPeers === 1)
    const localClosing = closeOf(t.node.getConnections(p.peerId)[0]!)
    await t.node.hangUp(p.peerId)
    expect((await localClosing).local).not.toBe(false)

    expect(t.insight.closeReasons.counts[remoteReason]).toBe(1)
    expect(t.insight.closeReasons.counts.remote + t.insight.closeReasons.counts.reset).toBe(1)
    expect(t.insight.closeReasons.pendingLocal).toBe(1) // local, waiting the prune grace period
    const detail = (await getJson(`${t.url}/api/v1/peers/${p.peerId.toString()}`)).body
    expect(detail.history.map((s: { closeReason: string }) => s.closeReason)).toEqual(['local', remoteReason])
  })
})
