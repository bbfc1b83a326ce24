/**
 * Dial errors and dial counts from real libp2p dials on 127.0.0.1: each error class the
 * table must recognise is produced by a real dial (a stopped peer, a port that accepts TCP and
 * never answers, a wrong peer ID, a peer without addresses, an abort, a gater), and the
 * tracker counts every outbound dial libp2p makes, not only the bootstrap keeper's.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { classifyDialError } from '../../src/insight/dial-errors.js'
import { INSIGHT_METRICS as M } from '../../src/metrics/definitions.js'
import { sumOf, valueOf } from '../support/exposition.js'
import { createTestPeer, startSilentServer } from '../support/peers.js'
import { waitFor } from '../support/wait.js'
import { scrapeUntil, startTestTracker } from '../support/tracker.js'
import type { Exposition } from '../support/exposition.js'
import type { TestTracker } from '../support/tracker.js'
import type { Libp2p } from '@libp2p/interface'

const stoppers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(stoppers.splice(0).map(async stop => { await stop() }))
})

async function peer (options: Parameters<typeof createTestPeer>[0] = {}): Promise<Libp2p> {
  const node = await createTestPeer(options)
  await node.start()
  stoppers.push(async () => { await node.stop() })
  return node
}

async function silentServer (): Promise<Awaited<ReturnType<typeof startSilentServer>>> {
  const server = await startSilentServer()
  stoppers.push(server.close)
  return server
}

/** The error a dial rejects with (fails the test if it connects). */
async function dialError (dial: () => Promise<unknown>): Promise<Error> {
  try {
    await dial()
  } catch (err) {
    return err as Error
  }
  throw new Error('the dial succeeded')
}

/** An address of a peer that was listening and has stopped: nothing listens on its port. */
async function stoppedPeerAddr (): Promise<ReturnType<typeof multiaddr>> {
  const gone = await createTestPeer()
  await gone.start()
  const addr = gone.getMultiaddrs()[0]
  await gone.stop()
  if (addr === undefined) throw new Error('no address')
  return addr
}

describe('dial errors of real libp2p dials', () => {
  it('refused: a port nothing listens on', async () => {
    const dialer = await peer({ listen: false })
    const err = await dialError(async () => await dialer.dial(await stoppedPeerAddr()))
    expect(classifyDialError(err)).toBe('refused')
  })

  it('timeout: a port that accepts TCP and never answers the handshake (libp2p says EncryptionFailedError)', async () => {
    const dialer = await peer({ listen: false, addressDialTimeout: 500 })
    const target = await peer({ listen: false })
    const silent = await silentServer()
    const err = await dialError(async () => await dialer.dial(multiaddr(`/ip4/127.0.0.1/tcp/${silent.port}/p2p/${target.peerId.toString()}`)))
    expect(silent.accepted()).toBe(1)
    // what libp2p 3 throws: the reason the name-first table got wrong
    expect(err.name).toBe('EncryptionFailedError')
    expect(err.message).toMatch(/timeout/)
    expect(classifyDialError(err)).toBe('timeout')
  })

  it('timeout: the dial\'s own timeout signal', async () => {
    const dialer = await peer({ listen: false })
    const target = await peer({ listen: false })
    const silent = await silentServer()
    const err = await dialError(async () => await dialer.dial(multiaddr(`/ip4/127.0.0.1/tcp/${silent.port}/p2p/${target.peerId.toString()}`), { signal: AbortSignal.timeout(300) }))
    expect(classifyDialError(err)).toBe('timeout')
  })

  it('aborted: the caller aborts a dial in the handshake', async () => {
    const dialer = await peer({ listen: false })
    const target = await peer({ listen: false })
    const silent = await silentServer()
    const controller = new AbortController()
    const dialling = dialError(async () => await dialer.dial(multiaddr(`/ip4/127.0.0.1/tcp/${silent.port}/p2p/${target.peerId.toString()}`), { signal: controller.signal }))
    await waitFor('the TCP connection', () => silent.accepted() === 1)
    controller.abort()
    expect(classifyDialError(await dialling)).toBe('aborted')
  })

  it('peer_id_mismatch: a listening peer dialled under another peer ID', async () => {
    const dialer = await peer({ listen: false })
    const real = await peer()
    const other = await peer({ listen: false })
    const addr = real.getMultiaddrs()[0]?.decapsulateCode(421).encapsulate(`/p2p/${other.peerId.toString()}`)
    const err = await dialError(async () => await dialer.dial(addr ?? multiaddr('/ip4/127.0.0.1/tcp/1')))
    expect(err.name).toBe('EncryptionFailedError') // Noise's identity check, wrapped
    expect(classifyDialError(err)).toBe('peer_id_mismatch')
  })

  it('no_valid_addresses: a peer ID without known addresses, and an address no transport dials', async () => {
    const dialer = await peer({ listen: false })
    const unknown = await peer({ listen: false })
    expect(classifyDialError(await dialError(async () => await dialer.dial(unknown.peerId)))).toBe('no_valid_addresses')
    expect(classifyDialError(await dialError(async () => await dialer.dial(multiaddr(`/ip4/127.0.0.1/tcp/1/ws/p2p/${unknown.peerId.toString()}`)))))
      .toBe('no_valid_addresses')
  })

  it('denied: the connection gater refuses every address', async () => {
    const dialer = await peer({ listen: false, denyDials: true })
    const target = await peer()
    const err = await dialError(async () => await dialer.dial(target.getMultiaddrs()))
    expect(err.name).toBe('DialDeniedError')
    expect(classifyDialError(err)).toBe('denied')
  })

  it('other: a dial of itself is no peer ID mismatch', async () => {
    const dialer = await peer()
    const err = await dialError(async () => await dialer.dial(dialer.getMultiaddrs()))
    expect(err.message).toMatch(/dial self/)
    expect(classifyDialError(err)).toBe('other')
  })
})

async function tracker (raw: Parameters<typeof startTestTracker>[0] = {}): Promise<TestTracker> {
  return await startTestTracker(raw, stoppers)
}

const dials = (m: Exposition): { success: number | undefined, failure: number | undefined } =>
  ({ success: valueOf(m, M.dials.name, { outcome: 'success' }), failure: valueOf(m, M.dials.name, { outcome: 'failure' }) })

describe('the tracker counts every outbound dial libp2p makes', () => {
  it('counts dials that are not the bootstrap keeper\'s, each once, and not the ones an open connection answered', async () => {
    const t = await tracker() // no bootstrap peers: every dial below is someone else's
    const a = await peer()
    const b = await peer()
    const inbound = await peer({ listen: false })
    expect(dials(await t.scrape())).toEqual({ success: 0, failure: 0 })

    await t.node.dial(a.getMultiaddrs())
    await t.node.dial(a.peerId) // already connected: libp2p answers with the open connection
    await t.node.dial(a.getMultiaddrs())
    // two dials of one peer at once: libp2p joins the second to the first, one dial in all
    await Promise.all([t.node.dial(b.getMultiaddrs()), t.node.dial(b.getMultiaddrs())])
    await inbound.dial(t.node.getMultiaddrs()) // inbound: not a dial of ours
    await waitFor('three peers', () => t.tracker.connectedPeers === 3)
    let m = await t.scrape()
    expect(dials(m)).toEqual({ success: 2, failure: 0 })

    // a service's own dial: the ping service dials a peer it knows from the peer store
    await t.node.hangUp(a.peerId)
    await waitFor('a disconnected', () => t.tracker.session(a.peerId.toString()) === undefined)
    await t.node.services.ping.ping(a.peerId)
    m = await t.scrape()
    expect(dials(m)).toEqual({ success: 3, failure: 0 })

    // failures, by reason
    const refusedAddr = await stoppedPeerAddr()
    await dialError(async () => await t.node.dial(refusedAddr))
    const silent = await silentServer()
    const stranger = await peer({ listen: false })
    await dialError(async () => await t.node.dial(multiaddr(`/ip4/127.0.0.1/tcp/${silent.port}/p2p/${stranger.peerId.toString()}`), { signal: AbortSignal.timeout(300) }))
    expect((await dialError(async () => await t.node.dial(t.node.peerId))).message).toMatch(/dial self/)
    m = await t.scrape()
    expect(dials(m)).toEqual({ success: 3, failure: 3 })
    expect(valueOf(m, M.dialErrors.name, { reason: 'refused' })).toBe(1)
    expect(valueOf(m, M.dialErrors.name, { reason: 'timeout' })).toBe(1)
    expect(valueOf(m, M.dialErrors.name, { reason: 'other' })).toBe(1)
    expect(valueOf(m, M.dialErrors.name, { reason: 'peer_id_mismatch' })).toBe(0)
    expect(sumOf(m, M.dialErrors.name)).toBe(3)
  })

  it('counts the bootstrap keeper\'s dials once (no double count with the keeper)', async () => {
    const b = await peer()
    const t = await tracker({ 'p2p.bootstrap': [b.getMultiaddrs()[0]?.toString() ?? ''] })
    const m = await scrapeUntil(t, 'the bootstrap dial', m => dials(m).success === 1)
    expect(dials(m)).toEqual({ success: 1, failure: 0 })
    expect(t.tracker.connectedPeers).toBe(1)
  })

  it('does not count dials aborted by its own shutdown as failures', async () => {
    const t = await startTestTracker()
    const target = await peer({ listen: false })
    const silent = await silentServer()
    // no signal: libp2p's own 6 s address timeout would end it; the shutdown comes first
    const dialling = t.node.dial(multiaddr(`/ip4/127.0.0.1/tcp/${silent.port}/p2p/${target.peerId.toString()}`)).then(() => undefined, (err: unknown) => err)
    await waitFor('the TCP connection', () => silent.accepted() === 1)
    await t.stop()
    expect(await dialling).toBeInstanceOf(Error)
    expect(t.insight.dials).toEqual({ success: 0, failure: 0 })
    expect(Object.values(t.insight.dialErrors).reduce((n, v) => n + v, 0)).toBe(0)
  })
})
