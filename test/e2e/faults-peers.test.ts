/**
 * Fault injection with real libp2p peers on 127.0.0.1: bootstrap peers that refuse (closed
 * port), that accept TCP and then never answer the handshake, that vanish mid-session
 * (connections reset, port closed) and come back, and every peer leaving at once and coming
 * back. Throughout, the tracker keeps serving, logs and backs off, recovers, and
 * connects - disconnects == connected holds at every scrape.
 */
import { connect, createServer } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import { sumOf, valueOf } from '../support/exposition.js'
import { createTestPeer, startTestPeer } from '../support/peers.js'
import { waitFor } from '../support/wait.js'
import { startTestTracker } from '../support/tracker.js'
import { watchScrapes, type ScrapeWatch } from '../support/accuracy.js'
import type { Exposition } from '../support/exposition.js'
import type { TestTracker } from '../support/tracker.js'
import type { Libp2p } from '@libp2p/interface'
import type { AddressInfo, Server, Socket } from 'node:net'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

async function tracker (raw: Parameters<typeof startTestTracker>[0]): Promise<TestTracker> {
  return await startTestTracker(raw, cleanups)
}

async function peer (options: Parameters<typeof createTestPeer>[0] = {}): Promise<Libp2p> {
  return await startTestPeer(options, cleanups)
}

async function randomPeerId (): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}

async function listenTcp (server: Server, port = 0): Promise<number> {
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** A port nothing listens on (listened on once, then closed). */
async function closedPort (): Promise<number> {
  const server = createServer()
  const port = await listenTcp(server)
  await new Promise(resolve => server.close(resolve))
  return port
}

/**
 * Scrapes in a loop and checks the invariant at every scrape; `violations` lists any scrape
 * where it did not hold. The tracker's state is read in one synchronous pass per scrape.
 */
function watchInvariant (t: TestTracker): ScrapeWatch {
  const watch = watchScrapes(t, 0)
  cleanups.push(async () => { await watch.stop() }) // stops before the tracker does (cleanups run in reverse)
  return watch
}

function failures (t: TestTracker, peerId: string): number[] {
  return t.logs().filter(l => l.msg === 'bootstrap peer dial failed' && l.peerId === peerId).map(l => l.retryInMs as number)
}

function noInternalErrors (m: Exposition): void {
  expect(sumOf(m, 'libp2p_tracker_internal_errors_total')).toBe(0)
}

function dialErrors (m: Exposition, reason: string): number {
  return valueOf(m, 'libp2p_tracker_dial_errors_total', { reason }) ?? NaN
}

/** Every failed dial has exactly one reason, and only the tracker's own (bootstrap) dials are counted. */
function dialCountsAgree (m: Exposition): void {
  expect(valueOf(m, 'libp2p_tracker_dials_total', { outcome: 'failure' })).toBe(sumOf(m, 'libp2p_tracker_dial_errors_total'))
}

describe('faults', () => {
  it('keeps serving while a bootstrap peer refuses and another stalls the handshake; backs off; counts nothing that did not happen', async () => {
    const refusing = await randomPeerId()
    const stalling = await randomPeerId()
    const held: Socket[] = []
    const staller = createServer(socket => { held.push(socket); socket.on('error', () => {}) }) // accepts, never answers
    const stallPort = await listenTcp(staller)
    cleanups.push(async () => { for (const s of held) s.destroy(); await new Promise(resolve => staller.close(resolve)) })

    const t = await tracker({ 'p2p.bootstrap': [`/ip4/127.0.0.1/tcp/${await closedPort()}/p2p/${refusing}`, `/ip4/127.0.0.1/tcp/${stallPort}/p2p/${stalling}`] })
    const watch = watchInvariant(t)
    await waitFor('the stalled handshake to hold a connection', () => held.length >= 1)
    await waitFor('two refused dials', () => failures(t, refusing).length >= 2)
    // Exponential backoff: 1 s * 2^failures, jittered by +-20%, so each wait is longer than the last.
    const [first = 0, second = 0] = failures(t, refusing)
    expect(first).toBeGreaterThanOrEqual(1600)
    expect(first).toBeLessThanOrEqual(2400)
    expect(second).toBeGreaterThan(first)
    // The stalled dial gives up by libp2p's dial timeout, and is retried later.
    await waitFor('the stalled dial to time out', () => failures(t, stalling).length >= 1, 25_000)
    const seen = await watch.stop()
    expect(seen.violations).toEqual([])
    expect(seen.scrapes).toBeGreaterThan(10)
    // Each failure is counted by its reason: refused for the closed port, timeout for the stall.
    // (A dial is counted before its failure is logged: logged before the scrape <= counted <= logged after it + 1.)
    const refusedBefore = failures(t, refusing).length
    const stalledBefore = failures(t, stalling).length
    const m = await t.scrape()
    const refusedAfter = failures(t, refusing).length
    const stalledAfter = failures(t, stalling).length
    expect(dialErrors(m, 'refused')).toBeGreaterThanOrEqual(refusedBefore)
    expect(dialErrors(m, 'refused')).toBeLessThanOrEqual(refusedAfter + 1)
    expect(dialErrors(m, 'timeout')).toBeGreaterThanOrEqual(stalledBefore)
    expect(dialErrors(m, 'timeout')).toBeLessThanOrEqual(stalledAfter + 1)
    expect(dialErrors(m, 'encryption_failed')).toBe(0) // a stalled handshake is a timeout, not an encryption failure
    expect(valueOf(m, 'libp2p_tracker_dials_total', { outcome: 'failure' })).toBe(dialErrors(m, 'refused') + dialErrors(m, 'timeout'))
    expect(valueOf(m, 'libp2p_tracker_dials_total', { outcome: 'success' })).toBe(0)
    dialCountsAgree(m)
    expect(valueOf(m, 'libp2p_tracker_connected_peers')).toBe(0)
    expect(sumOf(m, 'libp2p_tracker_peer_connects_total')).toBe(0)
    noInternalErrors(m)
  })

  it('redials a bootstrap peer that vanishes mid-session (connections reset, port closed) and recovers when it is back', async () => {
    const target = await peer()
    const targetPort = Number(target.getMultiaddrs()[0]?.getComponents().find(c => c.name === 'tcp')?.value)
    // A TCP proxy in front of the peer: vanishing = resetting every connection and closing the port.
    const sockets = new Set<Socket>()
    const proxy = createServer((client) => {
      const server = connect(targetPort, '127.0.0.1')
      for (const s of [client, server]) { sockets.add(s); s.on('error', () => {}); s.on('close', () => sockets.delete(s)) }
      client.pipe(server).pipe(client)
    })
    const proxyPort = await listenTcp(proxy)
    cleanups.push(async () => { for (const s of sockets) s.destroy(); await new Promise(resolve => proxy.close(resolve)) })
    const peerId = target.peerId.toString()

    const t = await tracker({ 'p2p.bootstrap': [`/ip4/127.0.0.1/tcp/${proxyPort}/p2p/${peerId}`] })
    const watch = watchInvariant(t)
    await waitFor('the bootstrap peer to connect', () => t.tracker.connectedPeers === 1)

    const closed = new Promise(resolve => proxy.close(resolve))
    for (const s of sockets) s.resetAndDestroy()
    await closed
    await waitFor('the vanished peer to be counted as gone', () => t.tracker.connectedPeers === 0)
    await waitFor('a refused redial', () => failures(t, peerId).length >= 1)
    await listenTcp(proxy, proxyPort)
    await waitFor('the peer to be back', () => t.tracker.connectedPeers === 1, 20_000)
    expect((await watch.stop()).violations).toEqual([])
    const m = await t.scrape()
    expect(valueOf(m, 'libp2p_tracker_peer_connects_total', { direction: 'outbound' })).toBe(2)
    expect(valueOf(m, 'libp2p_tracker_peer_disconnects_total', { direction: 'outbound' })).toBe(1)
    // The first dial and the redial that found the peer back succeeded; the redials in between were refused.
    expect(valueOf(m, 'libp2p_tracker_dials_total', { outcome: 'success' })).toBe(2)
    expect(dialErrors(m, 'refused')).toBe(failures(t, peerId).length)
    expect(dialErrors(m, 'refused')).toBeGreaterThanOrEqual(1)
    dialCountsAgree(m)
    noInternalErrors(m)
  })

  it('counts every peer leaving at once and coming back, with the invariant at every scrape', async () => {
    const t = await tracker({})
    const peers = await Promise.all(Array.from({ length: 8 }, async () => await peer({ listen: false })))
    const addrs = t.node.getMultiaddrs()
    const watch = watchInvariant(t)
    await Promise.all(peers.map(async p => await p.dial(addrs)))
    await waitFor('8 peers', () => t.tracker.connectedPeers === 8)
    await Promise.all(peers.map(async p => { await p.stop() }))
    await waitFor('all gone', () => t.tracker.connectedPeers === 0)
    await Promise.all(peers.map(async p => { await p.start(); await p.dial(addrs) }))
    await waitFor('all back', () => t.tracker.connectedPeers === 8)
    expect((await watch.stop()).violations).toEqual([])
    const m = await t.scrape()
    expect(valueOf(m, 'libp2p_tracker_peer_connects_total', { direction: 'inbound' })).toBe(16)
    expect(valueOf(m, 'libp2p_tracker_peer_disconnects_total', { direction: 'inbound' })).toBe(8)
    expect(valueOf(m, 'libp2p_tracker_peer_session_duration_seconds_count', { direction: 'inbound' })).toBe(8)
    // Inbound peers are not the tracker's dials: none counted.
    expect(sumOf(m, 'libp2p_tracker_dials_total')).toBe(0)
    dialCountsAgree(m)
    noInternalErrors(m)
  })
})
