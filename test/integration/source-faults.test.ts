/**
 * Faults of the watched node's API never invent churn: against a real stand-in HTTP server on
 * 127.0.0.1, each kind of failed poll (down, slow, HTML, wrong JSON, 500, a body over the cap,
 * an absurd list, a connection cut) leaves the account as it was, sets source_up 0, counts
 * the poll by result and logs one line however long it lasts. When the API answers again,
 * only the peers really gone close, as source_gap. Another node behind the URL (identity) or
 * a restart it shows (metadata seq_number lower) closes the old node's peers and is counted.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ExpositionWriter } from '../../src/metrics/exposition.js'
import { TrackerState } from '../../src/service/tracker-state.js'
import { BeaconApi } from '../../src/sources/beacon-api.js'
import { HttpSource } from '../../src/sources/http-source.js'
import { PollingTracker } from '../../src/sources/polling-tracker.js'
import { parseExposition, valueOf } from '../support/exposition.js'
import { beaconStandIn } from './source-stand-in.js'
import type { Misbehaviour } from './source-stand-in.js'
import type { PollResult } from '../../src/sources/http-source.js'

const NODE = '16Uiu2HAmStandInNode0000000000000000000000000000001'
const OTHER_NODE = '16Uiu2HAmStandInNode0000000000000000000000000000002'
const A = '16Uiu2HAmPeerA0000000000000000000000000000000000000a'
const B = '16Uiu2HAmPeerB0000000000000000000000000000000000000b'
const C = '16Uiu2HAmPeerC0000000000000000000000000000000000000c'

const cleanups: Array<() => Promise<unknown> | unknown> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

interface Rig {
  standIn: ReturnType<typeof beaconStandIn>
  polling: PollingTracker
  lines: Array<{ level: string, msg: string, fields: Record<string, unknown> }>
  metrics: () => ReturnType<typeof parseExposition>
  seq: { value: string }
}

async function rig (options: { timeoutMs?: number, maxBodyBytes?: number } = {}): Promise<Rig> {
  const seq = { value: '5' }
  const standIn = await beaconStandIn({ peerId: NODE, seqNumber: () => seq.value }).start()
  cleanups.push(async () => { await standIn.stop() })
  const lines: Rig['lines'] = []
  const logAt = (level: string) => (fields: Record<string, unknown>, msg: string): void => { lines.push({ level, msg, fields }) }
  const log = { debug: logAt('debug'), info: logAt('info'), warn: logAt('warn'), error: logAt('error') }
  const http = new HttpSource({ baseUrl: standIn.url, timeoutMs: options.timeoutMs ?? 5000, ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }) })
  const state = new TrackerState({ knownConnectionLabels: [], maxPeerSeries: 10 })
  const polling = new PollingTracker(new BeaconApi(http), state, { intervalMs: 1000, rttSampleIntervalMs: 0, log })
  cleanups.push(async () => { await polling.stop() })
  expect(await polling.describe()).toMatchObject({ peerId: NODE, peersEndpoint: '/eth/v1/lodestar/peers?state=connected' })
  const metrics = (): ReturnType<typeof parseExposition> => {
    const w = new ExpositionWriter('text')
    polling.collect(w)
    return parseExposition(w.finish())
  }
  return { standIn, polling, lines, metrics, seq }
}

function peer (peerId: string, direction: 'inbound' | 'outbound' = 'outbound'): { peer_id: string, last_seen_p2p_address: string, direction: 'inbound' | 'outbound', agent_version: string } {
  return { peer_id: peerId, last_seen_p2p_address: '/ip4/127.0.0.1/tcp/9001', direction, agent_version: 'Lodestar/v1.5.1/abc' }
}

function counts (r: Rig): Record<string, number | undefined> {
  const m = r.metrics()
  return {
    connected: valueOf(m, 'libp2p_tracker_connected_peers'),
    connects: (valueOf(m, 'libp2p_tracker_peer_connects_total', { direction: 'inbound' }) ?? 0) + (valueOf(m, 'libp2p_tracker_peer_connects_total', { direction: 'outbound' }) ?? 0),
    disconnects: (valueOf(m, 'libp2p_tracker_peer_disconnects_total', { direction: 'inbound' }) ?? 0) + (valueOf(m, 'libp2p_tracker_peer_disconnects_total', { direction: 'outbound' }) ?? 0),
    up: valueOf(m, 'libp2p_tracker_source_up'),
    gapCloses: valueOf(m, 'libp2p_tracker_connection_close_reasons_total', { reason: 'source_gap' })
  }
}

function polls (r: Rig, result: PollResult): number | undefined {
  return valueOf(r.metrics(), 'libp2p_tracker_source_polls_total', { result })
}

const FAULTS: Array<[Misbehaviour | 'down', PollResult]> = [
  ['down', 'unreachable'],
  ['slow', 'timeout'],
  ['html', 'bad_response'],
  ['wrong_shape', 'bad_response'],
  ['error_500', 'http_error'],
  ['huge_body', 'too_large'],
  ['absurd_list', 'bad_response'],
  ['hang_up', 'unreachable']
]

describe('a polling source under faults', () => {
  it.each(FAULTS)('%s: polls counted as %s, the account unchanged, source_up 0, one log line; then only the gone peer closes, as source_gap', async (fault, result) => {
    const r = await rig({ timeoutMs: fault === 'slow' ? 300 : 5000 })
    r.standIn.peers.push(peer(A), peer(B, 'inbound'))
    await r.polling.pollOnce()
    expect(counts(r)).toEqual({ connected: 2, connects: 2, disconnects: 0, up: 1, gapCloses: 0 })
    const before = r.polling.state.exposition()

    const port = Number(new URL(r.standIn.url).port)
    if (fault === 'down') await r.standIn.stop()
    else r.standIn.misbehaviour = fault
    const linesBefore = r.lines.length
    for (let i = 0; i < 3; i++) await r.polling.pollOnce()
    expect(polls(r, result)).toBe(3)
    expect(counts(r)).toEqual({ connected: 2, connects: 2, disconnects: 0, up: 0, gapCloses: 0 })
    expect(r.polling.state.exposition().replace(/^libp2p_tracker_peer_connection_duration_seconds.*$/mg, ''))
      .toBe(before.replace(/^libp2p_tracker_peer_connection_duration_seconds.*$/mg, ''))
    const faultLines = r.lines.slice(linesBefore).filter(l => l.level !== 'debug')
    expect(faultLines, JSON.stringify(faultLines)).toHaveLength(1)
    expect(faultLines[0]).toMatchObject({ level: 'warn', fields: { result } })

    if (fault === 'down') await r.standIn.start(port)
    r.standIn.misbehaviour = 'none'
    r.standIn.peers.splice(0, 1) // A left during the gap; B is still there
    await r.polling.pollOnce()
    expect(counts(r)).toEqual({ connected: 1, connects: 2, disconnects: 1, up: 1, gapCloses: 1 })
    expect(r.polling.state.peer(A)?.history.at(-1)?.closeReason).toBe('source_gap')
    expect(r.lines.at(-1)).toMatchObject({ level: 'info', msg: 'source answers again', fields: { closedInGap: 1 } })
  })

  it('reads a body over the cap only up to the cap', async () => {
    const r = await rig({ maxBodyBytes: 1024 * 1024 })
    r.standIn.misbehaviour = 'huge_body' // 64 MiB streamed without a Content-Length
    await r.polling.pollOnce()
    expect(polls(r, 'too_large')).toBe(1)
    // The poll ended at the cap: 64 MiB cannot all have been written into the socket's buffers.
    expect(r.standIn.hugeBodiesCompleted).toBe(0)
  })

  it('a change of failure is a new line; a long outage stays one line', async () => {
    const r = await rig()
    const linesBefore = r.lines.length
    r.standIn.misbehaviour = 'error_500'
    for (let i = 0; i < 5; i++) await r.polling.pollOnce()
    r.standIn.misbehaviour = 'html'
    for (let i = 0; i < 5; i++) await r.polling.pollOnce()
    expect(r.lines.slice(linesBefore).map(l => l.fields.result)).toEqual(['http_error', 'bad_response'])
  })

  it('another node behind the URL: counted as an identity change, the old node\'s peers closed as source_gap', async () => {
    const r = await rig()
    r.standIn.peers.push(peer(A), peer(B))
    await r.polling.pollOnce()
    r.standIn.peerId = OTHER_NODE
    r.standIn.peers.splice(0, 2, peer(B), peer(C))
    await r.polling.pollOnce()
    const m = r.metrics()
    expect(valueOf(m, 'libp2p_tracker_source_node_changes_total', { change: 'identity' })).toBe(1)
    expect(counts(r)).toEqual({ connected: 2, connects: 4, disconnects: 2, up: 1, gapCloses: 2 })
    expect(r.polling.description?.peerId).toBe(OTHER_NODE)
    expect(r.lines.some(l => l.level === 'warn' && l.fields.change === 'identity')).toBe(true)
  })

  it('a restart the API shows (seq_number lower than before): counted, its peers\' sessions start again', async () => {
    const r = await rig()
    r.standIn.peers.push(peer(A))
    await r.polling.pollOnce()
    r.seq.value = '1'
    await r.polling.pollOnce()
    expect(valueOf(r.metrics(), 'libp2p_tracker_source_node_changes_total', { change: 'restart' })).toBe(1)
    expect(counts(r)).toEqual({ connected: 1, connects: 2, disconnects: 1, up: 1, gapCloses: 1 })
    r.seq.value = '3' // grows again: no restart
    await r.polling.pollOnce()
    expect(valueOf(r.metrics(), 'libp2p_tracker_source_node_changes_total', { change: 'restart' })).toBe(1)
  })
})
