/**
 * The CLI's node over each of its transports, with real libp2p 3 peers on 127.0.0.1: TCP and
 * WebSockets peers in this process, QUIC (Node 22+) and WebRTC-direct peers in child processes
 * on Node 22 (./support/peer-process.ts): node-datachannel, WebRTC's native library, aborted
 * the test worker now and then when a WebRTC-direct node stopped in it. The tracker is the built CLI run on Node 22 (QUIC
 * needs it), so the same test runs on the Node 20, 22 and 24 runs. Each peer is counted once
 * with its transport; a peer over two transports is one peer, and moving from one transport to
 * the other without a gap is one session; failed dials over each transport are classified.
 */
import { createSocket } from 'node:dgram'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { parseExposition, samplesOf, sumOf, valueOf } from '../support/exposition.js'
import { node22 } from '../support/node22.js'
import { createTestPeer, startTestPeer } from '../support/peers.js'
import { startChild } from '../support/process.js'
import { runCliToExit, startCliTracker } from '../support/tracker.js'
import { waitFor } from '../support/wait.js'
import type { Exposition } from '../support/exposition.js'
import type { TestTransport } from '../support/peers.js'
import type { RunningChild } from '../support/process.js'
import type { AddressInfo } from 'node:net'

const PEER_PROCESS = fileURLToPath(new URL('../support/peer-process.ts', import.meta.url))
const HELIA_PEER = fileURLToPath(new URL('../support/helia-peer.mjs', import.meta.url))
const TSX = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href

/** The tracker listens on all four, on 127.0.0.1 (TCP comes from startCliTracker). */
const LISTEN = ['--p2p.listen=/ip4/127.0.0.1/udp/0/quic-v1', '--p2p.listen=/ip4/127.0.0.1/tcp/0/ws', '--p2p.listen=/ip4/127.0.0.1/udp/0/webrtc-direct']

/** What each transport's connections are labelled (transport, encryption, muxer). */
const STACKS: Record<TestTransport, { transport: string, encryption: string, muxer: string }> = {
  tcp: { transport: 'tcp', encryption: 'noise', muxer: 'yamux' },
  quic: { transport: 'quic', encryption: 'tls', muxer: 'quic' },
  ws: { transport: 'ws', encryption: 'noise', muxer: 'yamux' },
  'webrtc-direct': { transport: 'webrtc', encryption: 'dtls', muxer: 'webrtc' }
}

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map(async fn => await fn()))
})

type Tracker = Awaited<ReturnType<typeof startCliTracker>>

async function tracker (args: string[]): Promise<Tracker> {
  const t = await startCliTracker(['--p2p.inbound-connection-threshold=1000', '--tracker.report-interval=0', ...LISTEN, ...args], {}, await node22())
  cleanups.push(t.kill)
  return t
}

/** The tracker's address of a transport (one per transport: all listen on 127.0.0.1). */
function addressOf (t: { listenAddrs: string[] }, transport: TestTransport): string {
  const found = t.listenAddrs.find(a => a.startsWith('/ip4/127.0.0.1/') && stackOf(a) === transport)
  if (found === undefined) throw new Error(`the tracker has no ${transport} address: ${t.listenAddrs.join(' ')}`)
  return found
}

function stackOf (addr: string): TestTransport {
  if (addr.includes('/quic-v1')) return 'quic'
  if (addr.includes('/webrtc-direct')) return 'webrtc-direct'
  if (addr.includes('/ws')) return 'ws'
  return 'tcp'
}

async function metrics (url: string): Promise<Exposition> {
  const response = await fetch(`${url}/metrics`)
  expect(response.status).toBe(200)
  return parseExposition(await response.text())
}

/** A test peer in a Node 22 child (for QUIC), driven by commands on its stdin. */
interface ChildPeer {
  peerId: string
  addrs: string[]
  child: RunningChild
  /** Sends a command and resolves with its answer (the next event line). */
  command: (line: string) => Promise<Record<string, unknown>>
}

async function childPeer (transports: TestTransport[], listen = false): Promise<ChildPeer> {
  const child = startChild(await node22(), ['--import', TSX, PEER_PROCESS, JSON.stringify({ transports, listen })], { stdin: 'pipe', name: 'a test peer on Node 22' })
  cleanups.push(child.kill)
  const events = (): Array<Record<string, unknown>> => child.stdout().split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Record<string, unknown>)
  const started = await waitFor('the child peer to start', () => {
    if (child.exitedYet()) throw new Error(`the child peer exited: ${child.output()}`)
    return events().find(e => e.event === 'started')
  }, 60_000)
  return {
    peerId: String(started.peerId),
    addrs: started.addrs as string[],
    child,
    command: async (line) => {
      const before = events().length
      child.process.stdin?.write(`${line}\n`)
      return await waitFor(`the child peer to answer "${line}"`, () => {
        const answer = events()[before]
        if (answer === undefined && child.exitedYet()) throw new Error(`the child peer exited: ${child.output()}`)
        return answer
      }, 60_000)
    }
  }
}

function connections (m: Exposition, name: string, direction: string, transport: TestTransport): number | undefined {
  return valueOf(m, name, { direction, ...STACKS[transport] })
}

describe('the CLI over TCP, QUIC, WebSockets and WebRTC-direct', () => {
  it('counts a peer of each transport once, with its transport, both ways', async () => {
    // Four peers the tracker dials (its bootstrap peers), one per transport.
    const dialled = [await startTestPeer({ transports: ['tcp'] }, cleanups), await startTestPeer({ transports: ['ws'] }, cleanups)]
    const dialledChildren = [await childPeer(['quic'], true), await childPeer(['webrtc-direct'], true)]
    const bootstrap = [
      ...dialled.map(p => p.getMultiaddrs()[0]?.toString() ?? ''),
      ...dialledChildren.map(p => p.addrs[0] ?? '')
    ]
    const t = await tracker(bootstrap.map(a => `--p2p.bootstrap=${a}`))

    // Four peers that dial the tracker, one per transport.
    for (const transport of ['tcp', 'ws'] as const) {
      const p = await startTestPeer({ transports: [transport], listen: false }, cleanups)
      await p.dial(multiaddr(addressOf(t, transport)))
    }
    for (const transport of ['quic', 'webrtc-direct'] as const) {
      const p = await childPeer([transport])
      expect(await p.command(`dial ${addressOf(t, transport)}`)).toMatchObject({ event: 'dialled' })
    }

    let m!: Exposition
    await waitFor('8 peers, each counted', async () => {
      m = await metrics(t.url)
      return valueOf(m, 'libp2p_tracker_connected_peers') === 8 && sumOf(m, 'libp2p_tracker_open_connections') === 8
    }, 90_000)
    for (const direction of ['inbound', 'outbound']) {
      for (const transport of ['tcp', 'quic', 'ws', 'webrtc-direct'] as const) {
        expect(connections(m, 'libp2p_tracker_open_connections', direction, transport), `${direction} ${transport}`).toBe(1)
        expect(connections(m, 'libp2p_tracker_connections_opened_total', direction, transport), `${direction} ${transport}`).toBe(1)
      }
      expect(valueOf(m, 'libp2p_tracker_peer_connects_total', { direction })).toBe(4)
    }
    expect(sumOf(m, 'libp2p_tracker_connections_opened_total')).toBe(8)
    for (const transport of ['tcp', 'quic', 'ws', 'webrtc']) expect(valueOf(m, 'libp2p_tracker_peers_by_transport', { transport }), transport).toBe(2)
    // One successful dial per bootstrap peer (a first attempt that timed out on a loaded machine
    // and was redialled is a failure counted apart, so failures are not asserted here).
    expect(valueOf(m, 'libp2p_tracker_dials_total', { outcome: 'success' })).toBe(4)
  }, 180_000)

  it('counts a peer over TCP and QUIC at once as one peer, and its move to QUIC as one session', async () => {
    const t = await tracker(['--p2p.bootstrap='])
    // The zero series from the first scrape cover every transport that is on.
    const first = await metrics(t.url)
    for (const transport of ['tcp', 'quic', 'ws', 'webrtc-direct'] as const) {
      expect(connections(first, 'libp2p_tracker_open_connections', 'inbound', transport), transport).toBe(0)
    }

    const p = await childPeer(['tcp', 'quic'])
    expect(await p.command(`dial ${addressOf(t, 'tcp')}`)).toMatchObject({ event: 'dialled' })
    expect(await p.command(`dial ${addressOf(t, 'quic')}`)).toMatchObject({ event: 'dialled' })
    let m!: Exposition
    await waitFor('two connections of one peer', async () => {
      m = await metrics(t.url)
      return sumOf(m, 'libp2p_tracker_open_connections') === 2
    }, 60_000)
    expect(valueOf(m, 'libp2p_tracker_connected_peers')).toBe(1)
    expect(connections(m, 'libp2p_tracker_open_connections', 'inbound', 'tcp')).toBe(1)
    expect(connections(m, 'libp2p_tracker_open_connections', 'inbound', 'quic')).toBe(1)
    expect(valueOf(m, 'libp2p_tracker_peer_connects_total', { direction: 'inbound' })).toBe(1)
    expect(valueOf(m, 'libp2p_tracker_peers_by_transport', { transport: 'tcp' })).toBe(1)
    expect(valueOf(m, 'libp2p_tracker_peers_by_transport', { transport: 'quic' })).toBe(1)

    // TCP goes; QUIC stays: the session goes on, no disconnect.
    expect(await p.command('close tcp')).toEqual({ event: 'closed', count: 1 })
    await waitFor('the TCP connection closed', async () => {
      m = await metrics(t.url)
      return connections(m, 'libp2p_tracker_connections_closed_total', 'inbound', 'tcp') === 1
    }, 60_000)
    expect(valueOf(m, 'libp2p_tracker_connected_peers')).toBe(1)
    expect(connections(m, 'libp2p_tracker_open_connections', 'inbound', 'quic')).toBe(1)
    expect(sumOf(m, 'libp2p_tracker_peer_disconnects_total')).toBe(0)
    expect(sumOf(m, 'libp2p_tracker_peer_connects_total')).toBe(1)
    expect(valueOf(m, 'libp2p_tracker_peers_by_transport', { transport: 'tcp' })).toBe(0)
    expect(valueOf(m, 'libp2p_tracker_peers_by_transport', { transport: 'quic' })).toBe(1)
    expect(samplesOf(m, 'libp2p_tracker_peer_connection_duration_seconds').map(s => s.labels.peer_id)).toEqual([p.peerId])

    expect(await p.command('stop')).toEqual({ event: 'stopped' })
    await waitFor('the peer gone', async () => {
      m = await metrics(t.url)
      return valueOf(m, 'libp2p_tracker_connected_peers') === 0
    }, 60_000)
    expect(valueOf(m, 'libp2p_tracker_peer_disconnects_total', { direction: 'inbound' })).toBe(1)
    expect(valueOf(m, 'libp2p_tracker_peer_session_duration_seconds_count', { direction: 'inbound' })).toBe(1)
  }, 180_000)

  it.each([
    ['tcp', 'refused'],
    ['ws', 'refused'],
    ['quic', 'timeout'],
    ['webrtc-direct', 'timeout']
  ] as const)('classifies a failed dial over %s (%s)', async (transport, reason) => {
    // A peer that listened and stopped: nothing answers on its port any more.
    const inChild = transport === 'quic' || transport === 'webrtc-direct'
    const gone = inChild ? await childPeer([transport], true) : undefined
    const goneInProcess = inChild ? undefined : await createTestPeer({ transports: [transport] })
    const addr = gone?.addrs[0] ?? goneInProcess?.getMultiaddrs()[0]?.toString() ?? ''
    if (gone !== undefined) expect(await gone.command('stop')).toEqual({ event: 'stopped' })
    await goneInProcess?.stop()

    const t = await tracker([`--p2p.bootstrap=${addr}`])
    let m!: Exposition
    await waitFor(`a failed ${transport} dial`, async () => {
      m = await metrics(t.url)
      return sumOf(m, 'libp2p_tracker_dial_errors_total') >= 1
    }, 90_000)
    const errors = samplesOf(m, 'libp2p_tracker_dial_errors_total').filter(s => s.value > 0).map(s => s.labels.reason)
    expect(errors).toEqual([reason])
    expect(valueOf(m, 'libp2p_tracker_connected_peers')).toBe(0)
  }, 180_000)

  it('counts a Helia 7 node (its default stack, Node 22) that reaches it over WebSockets, once', async () => {
    const t = await tracker(['--p2p.bootstrap='])
    const helia = startChild(await node22(), [HELIA_PEER, addressOf(t, 'ws')], { stdin: 'pipe', name: 'a Helia peer' })
    cleanups.push(helia.kill)
    const heliaEvents = (): string[] => helia.stdout().split('\n').filter(l => l.startsWith('{')).map(l => (JSON.parse(l) as { event: string }).event)
    await waitFor('Helia to connect over WebSockets', () => {
      if (helia.exitedYet()) throw new Error(`the Helia peer exited early: ${helia.output()}`)
      return heliaEvents().includes('connected')
    }, 60_000)
    let m!: Exposition
    await waitFor('the tracker to see Helia identified', async () => {
      m = await metrics(t.url)
      return samplesOf(m, 'libp2p_tracker_peers_by_agent').some(s => s.labels.agent === 'helia' && s.value === 1)
    }, 30_000)
    expect(valueOf(m, 'libp2p_tracker_connected_peers')).toBe(1)
    expect(sumOf(m, 'libp2p_tracker_open_connections')).toBe(1)
    expect(connections(m, 'libp2p_tracker_open_connections', 'inbound', 'ws')).toBe(1)
    expect(valueOf(m, 'libp2p_tracker_peer_connects_total', { direction: 'inbound' })).toBe(1)

    helia.process.stdin?.write('stop\n')
    expect(await helia.exitWithin(30_000)).toBe(0)
    await waitFor('the tracker to count Helia leaving', async () => {
      m = await metrics(t.url)
      return valueOf(m, 'libp2p_tracker_connected_peers') === 0
    }, 30_000)
    expect(valueOf(m, 'libp2p_tracker_peer_disconnects_total', { direction: 'inbound' })).toBe(1)
    expect(connections(m, 'libp2p_tracker_connections_closed_total', 'inbound', 'ws')).toBe(1)
  }, 120_000)

  it('exits 2 with one line naming a listen address it cannot serve', async () => {
    const unsupported = await runCliToExit(['--p2p.listen=/ip4/127.0.0.1/tcp/0', '--p2p.listen=/ip4/127.0.0.1/udp/0/quic'])
    expect(unsupported.code).toBe(2)
    expect(unsupported.stderr.trim().split('\n')).toEqual([expect.stringContaining('--p2p.listen: "/ip4/127.0.0.1/udp/0/quic" is not an address the node can serve')])

    // A UDP port another process holds: WebRTC-direct cannot listen there.
    const socket = createSocket('udp4')
    await new Promise<void>(resolve => socket.bind(0, '127.0.0.1', resolve))
    cleanups.push(async () => { await new Promise<void>(resolve => socket.close(() => { resolve() })) })
    const port = (socket.address() as AddressInfo).port
    const taken = await runCliToExit(['--web.listen-address=127.0.0.1:0', '--p2p.bootstrap=', '--p2p.listen=/ip4/127.0.0.1/tcp/0', `--p2p.listen=/ip4/127.0.0.1/udp/${port}/webrtc-direct`], {}, 30_000)
    expect(taken.code).toBe(2)
    expect(taken.stderr.trim().split('\n')).toEqual([expect.stringContaining(`--p2p.listen: /ip4/127.0.0.1/udp/${port}/webrtc-direct cannot be listened on`)])
  }, 60_000)
})
