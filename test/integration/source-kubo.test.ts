/**
 * The Kubo RPC source against a stand-in answering in the exact shapes of kubo
 * core/commands/swarm.go (read in marssuren/kubo@759499066ce9776967f93ffb72a947e6ed871f9d, a
 * fork of ipfs/kubo with the `identify` option; see ./source-stand-in.ts). Kubo itself was not
 * run (docs/limits.md). Exact counts: a peer with two connections is one connected peer and
 * two open connections; closing one of its two connections is no disconnect.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ExpositionWriter } from '../../src/metrics/exposition.js'
import { TrackerState } from '../../src/service/tracker-state.js'
import { HttpSource } from '../../src/sources/http-source.js'
import { KuboRpc } from '../../src/sources/kubo-rpc.js'
import { PollingTracker } from '../../src/sources/polling-tracker.js'
import { parseExposition, sumOf, valueOf } from '../support/exposition.js'
import { kuboStandIn } from './source-stand-in.js'

const KUBO = '12D3KooWKuboStandIn00000000000000000000000000000001'
const P = '12D3KooWApmhCDoUFED7qJcRjPVrbmAjmATuxCeZrMD9d5CLPFNf'
const Q = 'QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

async function rig (): Promise<{ standIn: ReturnType<typeof kuboStandIn>, polling: PollingTracker, metrics: () => ReturnType<typeof parseExposition> }> {
  const standIn = await kuboStandIn({ peerId: KUBO }).start()
  cleanups.push(async () => { await standIn.stop() })
  const quiet = (): void => {}
  const log = { debug: quiet, info: quiet, warn: quiet, error: quiet }
  const state = new TrackerState({ knownConnectionLabels: [], maxPeerSeries: 10 })
  const polling = new PollingTracker(new KuboRpc(new HttpSource({ baseUrl: standIn.url, timeoutMs: 2000 })), state, { intervalMs: 1000, rttSampleIntervalMs: 1, log })
  cleanups.push(async () => { await polling.stop() })
  const metrics = (): ReturnType<typeof parseExposition> => {
    const w = new ExpositionWriter('text')
    polling.collect(w)
    return parseExposition(w.finish())
  }
  return { standIn, polling, metrics }
}

describe('the Kubo RPC source', () => {
  it('asks version and id at start, then swarm/peers with every option, all by POST', async () => {
    const { standIn, polling, metrics } = await rig()
    expect(await polling.describe()).toMatchObject({ peerId: KUBO, agentVersion: 'kubo/0.32.1/', listenAddrs: [`/ip4/127.0.0.1/tcp/4001/p2p/${KUBO}`] })
    await polling.pollOnce()
    expect(standIn.requests).toEqual([
      'POST /api/v0/version', 'POST /api/v0/id', 'POST /api/v0/id',
      'POST /api/v0/swarm/peers?verbose=true&latency=true&streams=true&direction=true&identify=true'
    ])
    expect(valueOf(metrics(), 'libp2p_tracker_source_info', { source: 'kubo-rpc', client: 'kubo', version: '0.32' })).toBe(1)
  })

  it('counts a peer with two connections once in connected_peers and twice in open_connections; one closing is no disconnect', async () => {
    const { standIn, polling, metrics } = await rig()
    await polling.describe()
    standIn.conns.push(
      { Addr: '/ip4/10.0.0.7/tcp/4001', Peer: P, Direction: 2, Latency: '1.5ms', AgentVersion: 'kubo/0.31.0/', Protocols: ['/ipfs/kad/1.0.0', '/ipfs/bitswap/1.2.0'], Streams: [{ Protocol: '/ipfs/kad/1.0.0' }] },
      { Addr: '/ip4/10.0.0.7/udp/4001/quic-v1', Peer: P, Direction: 1, Latency: '1.5ms', AgentVersion: 'kubo/0.31.0/' },
      { Addr: '/ip4/10.0.0.9/tcp/4001', Peer: Q, Latency: 'n/a' }
    )
    await polling.pollOnce()
    let m = metrics()
    expect(valueOf(m, 'libp2p_tracker_connected_peers')).toBe(2)
    expect(sumOf(m, 'libp2p_tracker_open_connections')).toBe(3)
    expect(valueOf(m, 'libp2p_tracker_open_connections', { direction: 'outbound', transport: 'tcp', encryption: 'unknown', muxer: 'unknown' })).toBe(1)
    expect(valueOf(m, 'libp2p_tracker_open_connections', { direction: 'inbound', transport: 'quic', encryption: 'unknown', muxer: 'unknown' })).toBe(1)
    expect(sumOf(m, 'libp2p_tracker_peer_connects_total')).toBe(2)
    expect(valueOf(m, 'libp2p_tracker_peers_by_agent', { agent: 'kubo', version: '0.31' })).toBe(1)
    expect(valueOf(m, 'libp2p_tracker_peers_by_agent', { agent: 'unknown', version: 'unknown' })).toBe(1)
    expect(valueOf(m, 'libp2p_tracker_peer_rtt_seconds_count', { agent: 'kubo' })).toBe(1)
    expect(polling.state.peers().find(p => p.peerId === P)).toMatchObject({ agentVersion: 'kubo/0.31.0/', protocols: ['/ipfs/kad/1.0.0', '/ipfs/bitswap/1.2.0'] })

    standIn.conns.splice(1, 1) // P's QUIC connection closes; its TCP one stays
    await polling.pollOnce()
    m = metrics()
    expect(valueOf(m, 'libp2p_tracker_connected_peers')).toBe(2)
    expect(sumOf(m, 'libp2p_tracker_open_connections')).toBe(2)
    expect(sumOf(m, 'libp2p_tracker_peer_disconnects_total')).toBe(0)
    expect(sumOf(m, 'libp2p_tracker_connections_closed_total')).toBe(1)

    standIn.conns.splice(0, 1) // P's last connection closes
    await polling.pollOnce()
    m = metrics()
    expect(valueOf(m, 'libp2p_tracker_connected_peers')).toBe(1)
    expect(sumOf(m, 'libp2p_tracker_peer_disconnects_total')).toBe(1)
    expect(valueOf(m, 'libp2p_tracker_peer_session_duration_seconds_count', { direction: 'outbound' })).toBe(1)
  })

  it('a peer whose connections all changed between two polls keeps its session', async () => {
    const { standIn, polling, metrics } = await rig()
    await polling.describe()
    standIn.conns.push({ Addr: '/ip4/10.0.0.7/tcp/4001', Peer: P, Direction: 2 })
    await polling.pollOnce()
    standIn.conns.splice(0, 1, { Addr: '/ip4/10.0.0.7/tcp/4002', Peer: P, Direction: 1 })
    await polling.pollOnce()
    const m = metrics()
    expect(sumOf(m, 'libp2p_tracker_peer_connects_total')).toBe(1)
    expect(sumOf(m, 'libp2p_tracker_peer_disconnects_total')).toBe(0)
    expect(sumOf(m, 'libp2p_tracker_connections_opened_total')).toBe(2)
  })

  it('no connections: Kubo\'s "Peers": null is an empty, successful poll', async () => {
    const { polling, metrics } = await rig()
    await polling.describe()
    await polling.pollOnce()
    expect(valueOf(metrics(), 'libp2p_tracker_source_polls_total', { result: 'success' })).toBe(2)
    expect(valueOf(metrics(), 'libp2p_tracker_connected_peers')).toBe(0)
  })
})
