/**
 * The built CLI (dist/cli/main.js) with a polling source, run as a user runs it, against
 * stand-ins of the watched node's API (./source-stand-in.ts): no libp2p node of its own; the
 * metrics, /api/v1/*, the peer view and /-/ready as with the libp2p source; credentials sent
 * and never shown; bad flags and files exit 2 with one line; a store belongs to one node.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { TrackerState } from '../../src/service/tracker-state.js'
import { createNodeApi } from '../../src/sources/create-api.js'
import { PollingTracker } from '../../src/sources/polling-tracker.js'
import { parseExposition, sumOf, valueOf } from '../support/exposition.js'
import { lintFindings } from '../support/promtool.js'
import { runCli, runCliToExit } from '../support/tracker.js'
import { waitFor } from '../support/wait.js'
import { makePki } from '../support/web.js'
import { beaconStandIn, kuboStandIn } from './source-stand-in.js'
import type { CliRun } from '../support/tracker.js'

const NODE = '16Uiu2HAmStandInNode0000000000000000000000000000001'
const OTHER_NODE = '16Uiu2HAmStandInNode0000000000000000000000000000002'
const A = '16Uiu2HAmPeerA0000000000000000000000000000000000000a'
const B = '16Uiu2HAmPeerB0000000000000000000000000000000000000b'
const SECRET = 's3cr3t-t0ken-never-shown'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

function scratch (): string {
  return mkdtempSync(join(tmpdir(), 'source-cli-'))
}

async function startPolling (args: string[]): Promise<CliRun & { url: string }> {
  const run = runCli(['--web.listen-address=127.0.0.1:0', '--source.interval=500ms', '--source.timeout=400ms', ...args])
  cleanups.push(async () => { await run.stop() })
  const serving = await waitFor('the tracker to serve', () => {
    if (run.exitedYet()) throw new Error(`tracker exited early: ${run.stderr()}${run.stdout()}`)
    return run.logs().find(l => l.msg === 'serving metrics') as { address: string } | undefined
  }, 45_000)
  const url = `http://127.0.0.1:${serving.address.slice(serving.address.lastIndexOf(':') + 1)}`
  await waitFor('ready', async () => (await fetch(`${url}/-/ready`)).status === 200, 20_000)
  return { ...run, url }
}

async function metrics (url: string): Promise<ReturnType<typeof parseExposition>> {
  return parseExposition(await (await fetch(`${url}/metrics`)).text())
}

describe('the CLI with --source=beacon-api', () => {
  it('tracks the node\'s peers with no libp2p node of its own, and serves everything the libp2p source serves', async () => {
    const standIn = await beaconStandIn({ peerId: NODE }).start()
    cleanups.push(async () => { await standIn.stop() })
    standIn.peers.push({ peer_id: A, last_seen_p2p_address: '/ip4/10.0.0.1/tcp/9000', direction: 'outbound', agent_version: 'Lodestar/v1.5.1/abc' })
    const dir = scratch()
    writeFileSync(join(dir, 'auth'), `bearer:${SECRET}\n`)
    const t = await startPolling([`--source=beacon-api`, `--source.url=${standIn.url}`, `--source.auth-file=${join(dir, 'auth')}`])
    await waitFor('peer A', async () => valueOf(await metrics(t.url), 'libp2p_tracker_connected_peers') === 1)

    standIn.peers.push({ peer_id: B, last_seen_p2p_address: '/ip4/10.0.0.2/tcp/9000', direction: 'inbound' })
    await waitFor('peer B', async () => valueOf(await metrics(t.url), 'libp2p_tracker_connected_peers') === 2)
    standIn.peers.splice(0, 1)
    const m = await waitFor('A gone', async () => { const m = await metrics(t.url); return valueOf(m, 'libp2p_tracker_connected_peers') === 1 ? m : undefined })
    expect(sumOf(m, 'libp2p_tracker_peer_connects_total')).toBe(2)
    expect(valueOf(m, 'libp2p_tracker_peer_disconnects_total', { direction: 'outbound' })).toBe(1)
    expect(valueOf(m, 'libp2p_tracker_source_up')).toBe(1)
    expect(valueOf(m, 'libp2p_tracker_source_poll_interval_seconds')).toBe(0.5)
    expect(valueOf(m, 'libp2p_tracker_source_info', { source: 'beacon-api', client: 'lodestar', version: '1.5' })).toBe(1)
    expect(valueOf(m, 'libp2p_tracker_source_last_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60)

    const status = await (await fetch(`${t.url}/api/v1/status`)).json() as Record<string, unknown>
    expect(status).toMatchObject({ peerId: NODE, connectedPeers: 1, source: { kind: 'beacon-api', up: true, peersEndpoint: '/eth/v1/lodestar/peers?state=connected' } })
    expect(status.listenAddrs).toEqual([`/ip4/127.0.0.1/tcp/9000/p2p/${NODE}`])
    const peers = await (await fetch(`${t.url}/api/v1/peers`)).json() as Array<{ peerId: string }>
    expect(peers.map(p => p.peerId)).toEqual([B])
    const history = await (await fetch(`${t.url}/api/v1/peers/${A}`)).json() as { history: unknown[] }
    expect(history.history).toHaveLength(1)
    const page = await (await fetch(`${t.url}/`)).text()
    expect(page).toContain(NODE)

    // Credentials: sent as the header, shown nowhere.
    expect(standIn.authorizations.every(a => a === `Bearer ${SECRET}`)).toBe(true)
    for (const text of [t.output(), page, JSON.stringify(status), await (await fetch(`${t.url}/metrics`)).text()]) expect(text).not.toContain(SECRET)
    expect(t.logs().some(l => l.msg === 'libp2p node started' || l.msg === 'listening for peers')).toBe(false)

    const findings = await lintFindings(await (await fetch(`${t.url}/metrics`)).text())
    expect(findings.filter(f => f.includes('libp2p_tracker_'))).toEqual([])
  })

  it('polls an https API whose certificate --source.ca-file vouches for; without the CA the poll is unreachable', async () => {
    const pki = makePki(scratch())
    const server = pki.issue('server', 'serverAuth')
    const standIn = await beaconStandIn({ peerId: NODE }).start(0, { cert: server.cert, key: server.key })
    cleanups.push(async () => { await standIn.stop() })
    standIn.peers.push({ peer_id: A, last_seen_p2p_address: '/ip4/10.0.0.1/tcp/9000', direction: 'outbound' })
    const t = await startPolling(['--source=beacon-api', `--source.url=${standIn.url}`, `--source.ca-file=${pki.caFile}`])
    await waitFor('peer A over TLS', async () => valueOf(await metrics(t.url), 'libp2p_tracker_connected_peers') === 1)

    const quiet = (): void => {}
    const untrusting = new PollingTracker(createNodeApi({ kind: 'beacon-api', url: standIn.url, intervalMs: 1000, timeoutMs: 900, authFile: undefined, caFile: undefined }),
      new TrackerState({ knownConnectionLabels: [], maxPeerSeries: 1 }), { intervalMs: 1000, rttSampleIntervalMs: 0, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } })
    await untrusting.pollOnce()
    expect(untrusting.health.polls.unreachable).toBe(1)
    await untrusting.stop()
  })

  it('waits for a node that is down at start (not ready, source_up 0), then tracks it', async () => {
    const standIn = beaconStandIn({ peerId: NODE })
    await standIn.start()
    const port = Number(new URL(standIn.url).port)
    await standIn.stop()
    const run = runCli(['--web.listen-address=127.0.0.1:0', '--source=beacon-api', `--source.url=http://127.0.0.1:${port}`, '--source.interval=500ms', '--source.timeout=400ms'])
    cleanups.push(async () => { await run.stop() })
    const serving = await waitFor('serving', () => run.logs().find(l => l.msg === 'serving metrics') as { address: string } | undefined, 45_000)
    const url = `http://127.0.0.1:${serving.address.slice(serving.address.lastIndexOf(':') + 1)}`
    expect((await fetch(`${url}/-/ready`)).status).toBe(503)
    await waitFor('failed polls counted', async () => (valueOf(await metrics(url), 'libp2p_tracker_source_polls_total', { result: 'unreachable' }) ?? 0) >= 2)
    expect(valueOf(await metrics(url), 'libp2p_tracker_source_up')).toBe(0)
    await standIn.start(port)
    cleanups.push(async () => { await standIn.stop() })
    await waitFor('ready', async () => (await fetch(`${url}/-/ready`)).status === 200, 20_000)
    expect(run.logs().filter(l => l.msg === 'source poll failed: the account stays as last seen until the node answers')).toHaveLength(1)
  })
})

describe('the CLI with --source=kubo-rpc', () => {
  it('counts Kubo\'s connections and peers apart', async () => {
    const standIn = await kuboStandIn({ peerId: '12D3KooWKuboStandIn00000000000000000000000000000001' }).start()
    cleanups.push(async () => { await standIn.stop() })
    const P = '12D3KooWApmhCDoUFED7qJcRjPVrbmAjmATuxCeZrMD9d5CLPFNf'
    standIn.conns.push({ Addr: '/ip4/10.0.0.7/tcp/4001', Peer: P, Direction: 2 }, { Addr: '/ip4/10.0.0.7/udp/4001/quic-v1', Peer: P, Direction: 1 })
    const t = await startPolling(['--source=kubo-rpc', `--source.url=${standIn.url}`])
    const m = await waitFor('two connections', async () => { const m = await metrics(t.url); return sumOf(m, 'libp2p_tracker_open_connections') === 2 ? m : undefined })
    expect(valueOf(m, 'libp2p_tracker_connected_peers')).toBe(1)
  })
})

describe('bad input exits 2 with one line naming the flag', () => {
  it.each([
    [['--source=grpc'], '--source: "grpc" is not one of libp2p, beacon-api, kubo-rpc'],
    [['--source=beacon-api'], '--source.url: required with --source=beacon-api'],
    [['--source=kubo-rpc', '--source.url=localhost:5001'], '--source.url: "localhost:5001" is not an http:// or https:// URL'],
    [['--source.url=http://127.0.0.1:5052'], '--source.url: only used with --source=beacon-api or --source=kubo-rpc'],
    [['--source=beacon-api', '--source.url=http://127.0.0.1:1', '--source.interval=1s', '--source.timeout=2s'], '--source.timeout: must be shorter than --source.interval'],
    [['--source=beacon-api', '--source.url=http://127.0.0.1:1', '--source.auth-file=/does/not/exist'], '--source.auth-file: cannot read /does/not/exist'],
    [['--source=beacon-api', '--source.url=https://127.0.0.1:1', '--source.ca-file=/does/not/exist'], '--source.ca-file: cannot read /does/not/exist']
  ])('%j', async (args, message) => {
    const { code, stderr } = await runCliToExit(['--web.listen-address=127.0.0.1:0', ...args])
    expect(code).toBe(2)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toContain(message)
  })

  it('names the environment variable when the value came from it', async () => {
    const { code, stderr } = await runCliToExit(['--web.listen-address=127.0.0.1:0'], { LIBP2P_TRACKER_SOURCE: 'beacon-api', LIBP2P_TRACKER_SOURCE_URL: 'nope' })
    expect(code).toBe(2)
    expect(stderr).toContain('LIBP2P_TRACKER_SOURCE_URL (--source.url): "nope" is not a URL')
  })
})

describe('a store belongs to one node', () => {
  it('refuses, at start, a store made for another watched node, and one a libp2p tracker made', async () => {
    const standIn = await beaconStandIn({ peerId: NODE }).start()
    cleanups.push(async () => { await standIn.stop() })
    standIn.peers.push({ peer_id: A, last_seen_p2p_address: '/ip4/10.0.0.1/tcp/9000', direction: 'outbound' })
    const store = join(scratch(), 'store')
    const first = await startPolling(['--source=beacon-api', `--source.url=${standIn.url}`, `--storage.path=${store}`])
    await waitFor('peer A', async () => valueOf(await metrics(first.url), 'libp2p_tracker_connected_peers') === 1)
    await first.stop()

    // The same node again: accepted, its history back.
    const again = await startPolling(['--source=beacon-api', `--source.url=${standIn.url}`, `--storage.path=${store}`])
    await waitFor('A back', async () => valueOf(await metrics(again.url), 'libp2p_tracker_returning_peers_total') === 1)
    await again.stop()

    standIn.peerId = OTHER_NODE
    const other = await runCliToExit(['--web.listen-address=127.0.0.1:0', '--source=beacon-api', `--source.url=${standIn.url}`, `--storage.path=${store}`])
    expect(other.code).toBe(2)
    expect(other.stderr.trim().split('\n')).toHaveLength(1)
    expect(other.stderr).toContain(`--storage.path: the store at ${store} belongs to the beacon-api node ${NODE}, and this tracker watches the beacon-api node ${OTHER_NODE}`)

    const libp2p = await runCliToExit(['--web.listen-address=127.0.0.1:0', '--p2p.listen=/ip4/127.0.0.1/tcp/0', '--p2p.bootstrap=', '--p2p.dht=off', `--storage.path=${store}`])
    expect(libp2p.code).toBe(2)
    expect(libp2p.stderr).toContain('--storage.path: the store at')
  })
})
