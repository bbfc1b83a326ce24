/**
 * Hostile peers against an in-process tracker: hundreds of short-lived connections, raw TCP
 * garbage, a 10 KB agent string, hundreds and thousands of protocols, control characters and
 * unpaired surrogates in the agent; peers outside --p2p.allow-cidr or inside --p2p.deny-cidr.
 * The tracker keeps exact counts, keeps only capped strings, frees every connection's state,
 * and /metrics stays valid for promtool.
 */
import { connect } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_AGENT_LENGTH, MAX_PROTOCOLS } from '../../src/tracker/sanitize.js'
import { sumOf, valueOf } from '../support/exposition.js'
import { createTestPeer, waitFor } from '../support/peers.js'
import { promtool } from '../support/promtool.js'
import { startTestTracker } from '../support/tracker.js'
import type { TestTracker } from '../support/tracker.js'
import type { Libp2p } from '@libp2p/interface'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

async function tracker (raw: Parameters<typeof startTestTracker>[0] = {}): Promise<TestTracker> {
  const t = await startTestTracker({ 'web.disable-exporter-metrics': true, ...raw })
  cleanups.push(async () => { await t.stop() })
  return t
}

async function peer (options: Parameters<typeof createTestPeer>[0] = {}, protocols = 0): Promise<Libp2p> {
  const node = await createTestPeer({ listen: false, ...options })
  for (let i = 0; i < protocols; i++) await node.handle(`/x/${i}`, () => {})
  await node.start()
  cleanups.push(async () => { await node.stop() })
  return node
}

async function lintClean (t: TestTracker): Promise<void> {
  const text = await (await fetch(`${t.url}/metrics`)).text()
  const lint = await promtool(['check', 'metrics'], text)
  expect(lint.output).toBe('')
  expect(lint.code).toBe(0)
}

describe('hostile peers', () => {
  it('counts 300 short-lived connections exactly and keeps no state for them afterwards', async () => {
    const t = await tracker()
    const addrs = t.node.getMultiaddrs()
    const dialers = await Promise.all(Array.from({ length: 10 }, async () => await peer()))
    await Promise.all(dialers.map(async (d) => {
      for (let i = 0; i < 30; i++) {
        const connection = await d.dial(addrs)
        await connection.close()
      }
    }))
    await waitFor('every connection to be closed', () => t.tracker.openConnections === 0 && t.tracker.connectedPeers === 0)
    const m = await t.scrape()
    expect(sumOf(m, 'libp2p_tracker_connections_opened_total')).toBe(300)
    expect(sumOf(m, 'libp2p_tracker_connections_closed_total')).toBe(300)
    expect(sumOf(m, 'libp2p_tracker_peer_connects_total')).toBe(sumOf(m, 'libp2p_tracker_peer_disconnects_total'))
    expect(sumOf(m, 'libp2p_tracker_internal_errors_total')).toBe(0)
    expect(t.tracker.ignoredEvents).toBe(0)
    await lintClean(t)
  })

  it('survives raw TCP garbage and half-open handshakes on the libp2p port', { timeout: 60_000 }, async () => {
    const t = await tracker()
    const port = Number(t.node.getMultiaddrs()[0]?.getComponents().find(c => c.name === 'tcp')?.value)
    // Garbage (sent, then the socket is reset) and half-open handshakes (held open): more
    // than --p2p.max-incoming-pending-connections (10) at once.
    for (let i = 0; i < 30; i++) {
      const socket = connect(port, '127.0.0.1', () => {
        if (i % 3 === 0) socket.write('\x13/multistream/1.0.0\n\x07/noi')
        else socket.write(Buffer.alloc(2048, i), () => { socket.resetAndDestroy() })
      })
      socket.on('error', () => {})
      cleanups.push(async () => { socket.destroy() })
    }
    // An honest peer gets in once pending slots free up (libp2p's inbound upgrade timeout, 10 s, at worst).
    const honest = await peer()
    await waitFor('the honest peer to be counted', async () => {
      if (t.tracker.connectedPeers === 1) return true
      await honest.dial(t.node.getMultiaddrs()).catch(() => {})
      return t.tracker.connectedPeers === 1
    }, 25_000)
    const m = await t.scrape()
    expect(sumOf(m, 'libp2p_tracker_connections_opened_total')).toBe(1)
    expect(sumOf(m, 'libp2p_tracker_internal_errors_total')).toBe(0)
  })

  it('keeps only capped agent strings and protocol lists, whatever peers announce', async () => {
    const t = await tracker()
    const addrs = t.node.getMultiaddrs()
    const huge = await peer({ agentVersion: 'A'.repeat(10_000) }) // over identify's 8 KiB message limit
    const long = await peer({ agentVersion: 'B'.repeat(5000) })
    const evil = await peer({ agentVersion: 'evil\n"agent\\\uD800} 1\n# EOF' })
    const chatty = await peer({}, 400) // fits in one identify message
    const flood = await peer({}, 3000) // does not
    for (const p of [huge, long, evil, chatty, flood]) await p.dial(addrs)
    await waitFor('5 peers', () => t.tracker.connectedPeers === 5)
    const session = (p: Libp2p): ReturnType<TestTracker['tracker']['session']> => t.tracker.session(p.peerId.toString())
    await waitFor('identify of the well-formed peers', () => [long, evil, chatty].every(p => session(p)?.agentVersion !== undefined))

    expect(session(long)?.agentVersion?.length).toBe(MAX_AGENT_LENGTH)
    expect(session(evil)?.agentVersion).toBe('evil\uFFFD"agent\\\uFFFD} 1\uFFFD# EOF')
    expect(session(chatty)?.protocols?.length).toBe(MAX_PROTOCOLS)
    for (const p of [huge, flood]) {
      // identify refuses the oversized message: the peer is counted, nothing it said is kept.
      expect(session(p)).toBeDefined()
      expect((session(p)?.agentVersion ?? '').length).toBeLessThanOrEqual(MAX_AGENT_LENGTH)
      expect((session(p)?.protocols ?? []).length).toBeLessThanOrEqual(MAX_PROTOCOLS)
    }
    const m = await t.scrape()
    expect(valueOf(m, 'libp2p_tracker_connected_peers')).toBe(5)
    expect(sumOf(m, 'libp2p_tracker_internal_errors_total')).toBe(0)
    await lintClean(t)
    const peersApi = await (await fetch(`${t.url}/api/v1/peers`)).text()
    expect(peersApi.length).toBeLessThan(5 * (MAX_AGENT_LENGTH + MAX_PROTOCOLS * 130 + 4096))
  })

  it('refuses peers outside --p2p.allow-cidr or inside --p2p.deny-cidr before any handshake, and counts them', async () => {
    const denied = await tracker({ 'p2p.deny-cidr': ['127.0.0.0/8'] })
    const notAllowed = await tracker({ 'p2p.allow-cidr': ['10.0.0.0/8', '2001:db8::/32'] })
    const allowed = await tracker({ 'p2p.allow-cidr': ['127.0.0.1/32'], 'p2p.deny-cidr': ['127.0.0.2'] })
    const p = await peer()
    await expect(p.dial(denied.node.getMultiaddrs())).rejects.toThrow()
    await expect(p.dial(notAllowed.node.getMultiaddrs())).rejects.toThrow()
    await p.dial(allowed.node.getMultiaddrs())
    await waitFor('the allowed peer', () => allowed.tracker.connectedPeers === 1)
    for (const [t, gated] of [[denied, 1], [notAllowed, 1], [allowed, 0]] as const) {
      const m = await t.scrape()
      expect(valueOf(m, 'libp2p_tracker_gated_connections_total', { direction: 'inbound' })).toBe(gated)
    }
    expect(denied.tracker.connectedPeers + notAllowed.tracker.connectedPeers).toBe(0)
    // Outbound too: the denied tracker will not dial a denied address.
    await expect(denied.node.dial(multiaddr(`${allowed.node.getMultiaddrs()[0]?.toString() ?? ''}`))).rejects.toThrow()
    expect(valueOf(await denied.scrape(), 'libp2p_tracker_gated_connections_total', { direction: 'outbound' })).toBe(1)
  })
})
