/**
 * Hostile peers against the tracker: 2000 short-lived connections against the built CLI with
 * its memory measured; raw TCP garbage and half-open handshakes; identify messages crafted
 * byte by byte (invalid UTF-8 in the agent and protocols, every message at identify's 8 KiB
 * limit, ten of them, thousands of protocols), so the tracker's own caps are what is tested;
 * control characters and unpaired surrogates; peers outside --p2p.allow-cidr or inside
 * --p2p.deny-cidr. The tracker keeps exact counts, keeps only capped well-formed strings,
 * frees every connection's state, and /metrics stays valid for promtool.
 */
import { readFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_AGENT_LENGTH, MAX_PROTOCOL_LENGTH, MAX_PROTOCOLS, sanitizeAgentVersion, sanitizeProtocols } from '../../src/tracker/sanitize.js'
import { startCliTracker, startTestTracker } from '../support/tracker.js'
import { parseExposition, sumOf, valueOf } from '../support/exposition.js'
import { createTestPeer, startTestPeer } from '../support/peers.js'
import { waitFor } from '../support/wait.js'
import { lintFindings } from '../support/promtool.js'
import type { TestTracker } from '../support/tracker.js'
import type { IdentifyResult, Libp2p, PrivateKey, Stream } from '@libp2p/interface'
import { HeapProbe, inspectorUrl } from '../../bench/heap-probe.js'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

async function tracker (raw: Parameters<typeof startTestTracker>[0] = {}): Promise<TestTracker> {
  return await startTestTracker({ 'web.disable-exporter-metrics': true, ...raw }, cleanups)
}

async function peer (options: Parameters<typeof createTestPeer>[0] = {}): Promise<Libp2p> {
  return await startTestPeer({ listen: false, ...options }, cleanups)
}

async function lintClean (url: string): Promise<void> {
  expect(await lintFindings(await (await fetch(`${url}/metrics`)).text())).toEqual([])
}

/** A process's resident set size, from /proc (Linux). */
async function rssBytes (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]
  if (kb === undefined) throw new Error(`no VmRSS for ${pid}`)
  return Number(kb) * 1024
}

// ---- identify, byte by byte (github.com/libp2p/specs/blob/master/identify/README.md) ----

/** identify's largest message: js-libp2p's MAX_IDENTIFY_MESSAGE_SIZE (go-libp2p's too); a longer one is refused. */
const IDENTIFY_MAX_MESSAGE = 8192
/** Messages js-libp2p's identify reads from one stream (MAX_IDENTIFY_MESSAGES) and merges. */
const IDENTIFY_MAX_MESSAGES = 10

function varint (n: number): Uint8Array {
  const bytes: number[] = []
  while (n >= 0x80) { bytes.push((n & 0x7f) | 0x80); n >>>= 7 }
  bytes.push(n)
  return Uint8Array.from(bytes)
}

/** One length-delimited protobuf field: tag (wire type 2), length, bytes. */
function field (number: number, bytes: Uint8Array): Uint8Array {
  return Buffer.concat([varint((number << 3) | 2), varint(bytes.length), bytes])
}

const IDENTIFY_FIELD = { publicKey: 1, protocols: 3, agentVersion: 6 } as const

/**
 * An Identify message of exactly IDENTIFY_MAX_MESSAGE bytes: the given fields, then short
 * protocols (`/hostile/<tag>/<n>`) until it is full, the last one padded to the exact size.
 */
function fullIdentifyMessage (tag: string, fields: Uint8Array[]): Uint8Array {
  const parts = [...fields]
  let size = parts.reduce((n, p) => n + p.length, 0)
  for (let n = 0; ; n++) {
    const protocol = field(IDENTIFY_FIELD.protocols, Buffer.from(`/hostile/${tag}/${n}`))
    const room = IDENTIFY_MAX_MESSAGE - size
    if (room < protocol.length + 40) {
      // The last protocol takes what is left (its length byte stays one byte: room < 128).
      parts.push(field(IDENTIFY_FIELD.protocols, Buffer.from(`/hostile/${tag}/last/`.padEnd(room - 2, 'x'))))
      break
    }
    parts.push(protocol)
    size += protocol.length
  }
  const message = Buffer.concat(parts)
  if (message.length !== IDENTIFY_MAX_MESSAGE) throw new Error(`crafted ${message.length} bytes`)
  return message
}

/** Invalid UTF-8 of several kinds around `text`: overlong encodings, a CESU-8 surrogate, stray bytes. */
function invalidUtf8 (text: string, length: number): Uint8Array {
  const head = Buffer.concat([
    Buffer.from(text),
    Buffer.from([0xc0, 0x8a]), // overlong "\n"
    Buffer.from([0xed, 0xa0, 0x80]), // U+D800 encoded as if it were a character
    Buffer.from([0xc0, 0xa2]), // overlong '"'
    Buffer.from([0xff, 0xfe, 0x80, 0xbf]), // bytes that never occur in UTF-8
    Buffer.from('€😀'), // valid multi-byte characters
    Buffer.from([0xe2, 0x82]) // a truncated sequence
  ])
  return Buffer.concat([head, Buffer.alloc(Math.max(0, length - head.length), 'A')])
}

/**
 * A peer whose identify answer is crafted: no identify service, a handler of /ipfs/id/1.0.0
 * that writes ten length-prefixed Identify messages of exactly 8 KiB each, the first with an
 * invalid-UTF-8 agent of ~3 KB and protocols of ~1 KB, then closes.
 */
async function craftedIdentifyPeer (): Promise<{ node: Libp2p, messages: Uint8Array[] }> {
  const privateKey: PrivateKey = await generateKeyPair('Ed25519')
  const node = await createTestPeer({ privateKey, listen: false, noStandardServices: true })
  const messages = Array.from({ length: IDENTIFY_MAX_MESSAGES }, (_, i) => fullIdentifyMessage(String(i), i > 0
    ? []
    : [
        field(IDENTIFY_FIELD.publicKey, publicKeyToProtobuf(privateKey.publicKey)),
        field(IDENTIFY_FIELD.agentVersion, invalidUtf8('hostile/', 3000)),
        field(IDENTIFY_FIELD.protocols, invalidUtf8('/hostile/long/a/', 1000)),
        field(IDENTIFY_FIELD.protocols, invalidUtf8('/hostile/long/b/', 1000))
      ]))
  await node.handle('/ipfs/id/1.0.0', async (stream: Stream) => {
    for (const message of messages) {
      if (!stream.send(Buffer.concat([varint(message.length), message]))) await stream.onDrain()
    }
    await stream.close()
  })
  await node.start()
  cleanups.push(async () => { await node.stop() })
  return { node, messages }
}

/** Well-formed (encodes to UTF-8 and back unchanged) and without control characters. */
function wellFormed (text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return Buffer.from(text, 'utf8').toString('utf8') === text && !/[\u0000-\u001f\u007f-\u009f]/.test(text)
}

// eslint-disable-next-line no-control-regex
const NEEDED_CLEANING = /[\uD800-\uDFFF\u0000-\u001f\u007f-\u009f\uFFFD]/

describe('hostile peers', () => {
  /**
   * The memory promise: after a warm-up of 200 connections, 1800 more short-lived connections
   * (dial, identify, close) from 20 peers leave less than 8 MiB more retained memory (V8 heap
   * plus external, read after a forced full GC through the inspector), and the tracker's
   * resident memory stays under 320 MiB. A leak of 5 KB or more per connection breaks it.
   */
  const RETAINED_GROWTH_BOUND = 8 * 1024 * 1024
  const RSS_BOUND = 320 * 1024 * 1024

  it('counts 2000 short-lived connections exactly, frees their state, and stays within its memory bound', { timeout: 180_000 }, async () => {
    // The inbound rate limit (per IP and second) is set high: all 20 peers dial from 127.0.0.1.
    const run = await startCliTracker(['--p2p.bootstrap=', '--p2p.inbound-connection-threshold=100000', '--p2p.max-incoming-pending-connections=100'],
      { NODE_OPTIONS: '--inspect=127.0.0.1:0' })
    cleanups.push(run.kill)
    const probe = await HeapProbe.connect(inspectorUrl(run.stderr()) as string)
    cleanups.push(async () => { await probe.close() })
    /** Retained memory: the lower of two post-GC readings (a GC may finish work the first one started). */
    const retained = async (): Promise<number> => {
      let least = Infinity
      for (let i = 0; i < 2; i++) {
        const heap = await probe.postGcHeap()
        least = Math.min(least, heap.usedBytes + heap.externalBytes)
      }
      return least
    }
    const pid = run.process.pid as number
    const addrs = run.listenAddrs.map(a => multiaddr(a))
    const dialers = await Promise.all(Array.from({ length: 20 }, async () => await peer()))
    const scrape = async (): Promise<ReturnType<typeof parseExposition>> => parseExposition(await (await fetch(`${run.url}/metrics`)).text())
    const settled = async (opened: number): Promise<void> => {
      await waitFor(`${opened} connections opened and all closed`, async () => {
        const m = await scrape()
        return sumOf(m, 'libp2p_tracker_connections_opened_total') === opened && sumOf(m, 'libp2p_tracker_connections_closed_total') === opened &&
          valueOf(m, 'libp2p_tracker_connected_peers') === 0
      }, 30_000)
    }
    const round = async (perDialer: number): Promise<void> => {
      await Promise.all(dialers.map(async (d) => {
        for (let i = 0; i < perDialer; i++) {
          const connection = await d.dial(addrs)
          await connection.close()
        }
      }))
    }

    await round(10)
    await settled(200)
    const retainedBefore = await retained()
    await round(90)
    await settled(2000)
    const retainedAfter = await retained()
    const rssAfter = await rssBytes(pid)

    const m = await scrape()
    expect(sumOf(m, 'libp2p_tracker_connections_opened_total')).toBe(2000)
    expect(sumOf(m, 'libp2p_tracker_connections_closed_total')).toBe(2000)
    expect(sumOf(m, 'libp2p_tracker_open_connections')).toBe(0)
    expect(valueOf(m, 'libp2p_tracker_peer_connects_total', { direction: 'inbound' })).toBe(2000)
    expect(valueOf(m, 'libp2p_tracker_peer_disconnects_total', { direction: 'inbound' })).toBe(2000)
    expect(sumOf(m, 'libp2p_tracker_internal_errors_total')).toBe(0)
    const status = await (await fetch(`${run.url}/api/v1/status`)).json() as Record<string, unknown>
    expect(status).toMatchObject({ connectedPeers: 0, openConnections: 0, peerConnects: 2000, peerDisconnects: 2000 })
    expect(await (await fetch(`${run.url}/api/v1/peers`)).json()).toEqual([])
    console.log(`hostile: tracker retained ${(retainedBefore / 2 ** 20).toFixed(2)} MiB after 200 connections, ${(retainedAfter / 2 ** 20).toFixed(2)} MiB after 2000; RSS ${(rssAfter / 2 ** 20).toFixed(1)} MiB`)
    expect(retainedAfter - retainedBefore).toBeLessThan(RETAINED_GROWTH_BOUND)
    expect(rssAfter).toBeLessThan(RSS_BOUND)
    // Its exposition stays valid (prom-client's nodejs_active_*_total gauges are its only findings).
    for (const finding of await lintFindings(await (await fetch(`${run.url}/metrics`)).text())) expect(finding).toMatch(/^nodejs_active_\w+_total non-counter metrics/)
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

  it('keeps only capped, well-formed strings from ten full-size identify messages with invalid UTF-8 and thousands of protocols', async () => {
    const t = await tracker()
    const identified = new Map<string, IdentifyResult>()
    const onIdentify = (evt: CustomEvent<IdentifyResult>): void => { identified.set(evt.detail.peerId.toString(), evt.detail) }
    t.node.addEventListener('peer:identify', onIdentify)
    cleanups.push(async () => { t.node.removeEventListener('peer:identify', onIdentify) })

    const { node: hostile, messages } = await craftedIdentifyPeer()
    expect(messages.map(m => m.length)).toEqual(Array(IDENTIFY_MAX_MESSAGES).fill(IDENTIFY_MAX_MESSAGE))
    await hostile.dial(t.node.getMultiaddrs())
    const peerId = hostile.peerId.toString()
    await waitFor('the crafted identify to be read', () => t.tracker.session(peerId)?.agentVersion !== undefined)

    // What libp2p's identify decoded: all ten messages merged, the invalid bytes decoded into
    // something that needs cleaning (lone surrogates, controls or U+FFFD, by decoder).
    const raw = identified.get(peerId) as IdentifyResult
    expect(raw.agentVersion?.length).toBeGreaterThan(2000)
    expect(raw.agentVersion).toMatch(NEEDED_CLEANING)
    expect(raw.protocols.length).toBeGreaterThan(4000)
    expect(raw.protocols.filter(p => p.length > 900)).toHaveLength(2)

    // What the tracker keeps: its caps, well-formed, and nothing else.
    const session = t.tracker.session(peerId)
    const agent = session?.agentVersion as string
    expect(agent).toBe(sanitizeAgentVersion(raw.agentVersion))
    expect(agent.length).toBe(MAX_AGENT_LENGTH)
    expect(agent.startsWith('hostile/')).toBe(true)
    expect(agent.endsWith('…')).toBe(true)
    expect(wellFormed(agent)).toBe(true)
    const protocols = session?.protocols as string[]
    expect(protocols).toEqual(sanitizeProtocols(raw.protocols))
    expect(protocols).toHaveLength(MAX_PROTOCOLS)
    for (const protocol of protocols) {
      expect(protocol.length).toBeLessThanOrEqual(MAX_PROTOCOL_LENGTH)
      expect(wellFormed(protocol)).toBe(true)
    }
    expect(protocols.slice(0, 2).map(p => p.slice(0, 16))).toEqual(['/hostile/long/a/', '/hostile/long/b/'])

    // The API shows the kept strings; /metrics stays valid.
    const api = await (await fetch(`${t.url}/api/v1/peers`)).json() as Array<{ peerId: string, agentVersion: string, protocols: string[] }>
    expect(api.find(p => p.peerId === peerId)).toMatchObject({ agentVersion: agent, protocols })
    const m = await t.scrape()
    expect(valueOf(m, 'libp2p_tracker_connected_peers')).toBe(1)
    expect(sumOf(m, 'libp2p_tracker_internal_errors_total')).toBe(0)
    await lintClean(t.url)
  })

  it('keeps agents with control characters and unpaired surrogates as visible replacement characters', async () => {
    const t = await tracker()
    const evil = await peer({ agentVersion: 'evil\n"agent\\\uD800} 1\n# EOF' })
    const long = await peer({ agentVersion: 'B'.repeat(5000) })
    for (const p of [evil, long]) await p.dial(t.node.getMultiaddrs())
    const session = (p: Libp2p): ReturnType<TestTracker['tracker']['session']> => t.tracker.session(p.peerId.toString())
    await waitFor('identify of both peers', () => [evil, long].every(p => session(p)?.agentVersion !== undefined))
    expect(session(evil)?.agentVersion).toBe('evil\uFFFD"agent\\\uFFFD} 1\uFFFD# EOF')
    expect(session(long)?.agentVersion).toBe(`${'B'.repeat(MAX_AGENT_LENGTH - 1)}…`)
    await lintClean(t.url)
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

  it('lets --p2p.deny-cidr win over an overlapping --p2p.allow-cidr, both ways', async () => {
    // 127.0.0.1 is in both ranges: allowed by the wide one, denied by the narrow one.
    const t = await tracker({ 'p2p.allow-cidr': ['127.0.0.0/8'], 'p2p.deny-cidr': ['127.0.0.1/32'] })
    const p = await peer({ listen: true })
    const outcome = async (dial: Promise<unknown>): Promise<string> => await dial.then(() => 'connected', () => 'refused')
    expect(await outcome(p.dial(t.node.getMultiaddrs()))).toBe('refused')
    expect(await outcome(t.node.dial(p.getMultiaddrs()))).toBe('refused')
    const m = await t.scrape()
    expect(valueOf(m, 'libp2p_tracker_gated_connections_total', { direction: 'inbound' })).toBe(1)
    expect(valueOf(m, 'libp2p_tracker_gated_connections_total', { direction: 'outbound' })).toBe(1)
    expect(t.tracker.connectedPeers).toBe(0)
  })
})
