/**
 * The soak's machinery, shared by `npm run soak` (bench/soak.ts, minutes) and the short soak
 * in `npm test` (test/soak/short-soak.test.ts, seconds):
 *
 * - the built CLI as a child process (its RSS and heap are the tracker's alone), started with
 *   `--inspect=127.0.0.1:0` so each sample reads its heap after a full GC (bench/heap-probe.ts);
 * - churn from `peers` real libp2p peers in this process: each dials the tracker, stays
 *   0.2-3 s, hangs up, pauses up to 0.5 s, and one time in ten comes back under another
 *   identity. Identities come from a fixed pool (first in, first out), so libp2p's peer store
 *   and the tracker's per-peer history settle at the pool's size; `identityPool: 0` draws a
 *   new identity every time instead (libp2p's peer store then gains a record per new ID);
 * - `scrapers` autocannon connections scraping /metrics without pause;
 * - a sample every `sampleIntervalMs`: post-GC heap and external memory, RSS, and one
 *   scrape checked for connects - disconnects == connected.
 */
import '../src/runtime/node-shims.js'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import autocannon from 'autocannon'
import { createLibp2p } from 'libp2p'
import { parseExposition, sumOf, valueOf } from '../test/support/exposition.js'
import { HeapProbe, inspectorUrl } from './heap-probe.js'
import { rssBytes } from './stats.js'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { ChildProcess } from 'node:child_process'

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url))
const MiB = 2 ** 20

export interface SoakOptions {
  durationMs: number
  /** Churning peers (each one libp2p node at a time). */
  peers: number
  /** autocannon connections scraping /metrics. */
  scrapers: number
  /** Identities the peers share, at least `peers`; 0: a new identity at every switch. */
  identityPool: number
  sampleIntervalMs: number
  /** Extra flags for the tracker child, after the soak's own (a later flag wins): e.g. --p2p.peer-store-max-age=2m. */
  trackerFlags?: readonly string[]
  /** Called with each sample as it is taken (progress output). */
  onSample?: (sample: SoakSample) => void
}

export interface SoakSample {
  /** Seconds since the tracker started serving. */
  atS: number
  rssMiB: number
  /** V8 heap used right after a full GC (the lower of two readings); NaN if the probe failed. */
  heapMiB: number
  /** External memory (Buffer contents and the like) right after that GC (the lower of two readings). */
  externalMiB: number
  /** The sample's scrape could be read. */
  ok: boolean
  scrapeMs: number
  connected: number
  /** connects - disconnects; equals `connected` when the invariant holds. */
  balance: number
  /** libp2p_tracker_remembered_peers: the per-peer history (capped by --tracker.history-peers). */
  rememberedPeers: number
  /** libp2p_tracker_peers_seen: distinct peers since start (fixed-size Bloom filter). */
  peersSeen: number
  /** libp2p_tracker_internal_errors_total, all components. */
  internalErrors: number
  /** libp2p_tracker_peer_store_peers: libp2p's peer store records at the tracker's last sweep (0 before the first). */
  peerStorePeers: number
  error?: string
}

export interface SoakResult {
  options: Omit<SoakOptions, 'onSample'>
  samples: SoakSample[]
  /** Sessions the churn opened (dials that succeeded) and dials that failed. */
  sessions: number
  churnErrors: number
  /** Distinct peer IDs the churn used: an upper bound on libp2p's peer store records. */
  identitiesUsed: number
  load: {
    requests: number
    perSecond: number
    latencyMs: { p50: number, p90: number, p99: number, max: number }
    errors: number
    timeouts: number
    non2xx: number
  }
  /** Once churn stopped and every peer left (or the wait gave up). */
  final: {
    connected: number
    balance: number
    internalErrors: number
    rememberedPeers: number
    peersSeen: number
    peerStorePeers: number
    /** Post-GC heap and external memory with no peer connected. */
    heapMiB: number
    externalMiB: number
  }
  /** The tracker's exit on SIGTERM, and the last of its stderr (inspector lines left out). */
  trackerExit: { code: number | null, signal: NodeJS.Signals | null }
  trackerStderr: string
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

interface TrackerChild {
  child: ChildProcess
  url: string
  addrs: Multiaddr[]
  probe: HeapProbe
  stderr: () => string
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

/** The built CLI at its default log level (info: every session logged, as in production; the address it serves on is read from its log). */
async function startTrackerChild (maxConnections: number, extraFlags: readonly string[] = []): Promise<TrackerChild> {
  const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', CLI, '--web.listen-address=127.0.0.1:0', '--p2p.listen=/ip4/127.0.0.1/tcp/0',
    '--p2p.dht=off', '--p2p.bootstrap=', `--p2p.max-connections=${maxConnections}`, '--p2p.inbound-connection-threshold=100000',
    '--p2p.max-incoming-pending-connections=100', '--tracker.report-interval=0', ...extraFlags], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>(resolve => {
    child.on('exit', (code, signal) => { resolve({ code, signal }) })
  })
  let exitedEarly = false
  void exited.then(() => { exitedEarly = true })
  let out = ''
  let keep = true // stdout is kept only until the start-up lines are read, drained afterwards
  child.stdout.on('data', (chunk: Buffer) => { if (keep) out += chunk.toString('utf8') })
  let err = ''
  child.stderr.on('data', (chunk: Buffer) => { err = (err + chunk.toString('utf8')).slice(-20_000) })

  try {
    let url = ''
    const deadline = Date.now() + 60_000
    while (url === '' || inspectorUrl(err) === undefined) {
      if (exitedEarly) throw new Error(`the tracker exited at start: ${err}${out}`)
      if (Date.now() > deadline) throw new Error(`the tracker did not start within 60 s: ${err}${out}`)
      const line = out.split('\n').find(l => l.includes('"serving metrics"'))
      if (line !== undefined) url = `http://${(JSON.parse(line) as { address: string }).address}`
      await sleep(50)
    }
    keep = false
    out = ''
    const probe = await HeapProbe.connect(inspectorUrl(err) as string)
    const status = await (await fetch(`${url}/api/v1/status`)).json() as { listenAddrs: string[] }
    return {
      child,
      url,
      addrs: status.listenAddrs.map(a => multiaddr(a)),
      probe,
      stderr: () => err.split('\n').filter(l => !/^(Debugger (listening|attached|ending)|For help, see: )/.test(l)).join('\n').trim(),
      exited
    }
  } catch (error) {
    child.kill('SIGKILL')
    await exited
    throw error
  }
}

/** A churning peer as the old soak ran it: TCP, Noise, yamux, identify, ping; no listener. */
async function startPeer (privateKey: PrivateKey): Promise<Libp2p> {
  const node = await createLibp2p({
    privateKey,
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), ping: ping() }
  })
  await node.start()
  return node
}

/** Identities for the churn: a fixed pool handed out first in, first out, or new ones. */
class Identities {
  private readonly free: PrivateKey[] = []
  readonly used = new Set<string>()
  private readonly fresh: boolean

  private constructor (fresh: boolean) { this.fresh = fresh }

  static async create (pool: number): Promise<Identities> {
    const identities = new Identities(pool === 0)
    for (let i = 0; i < pool; i++) identities.free.push(await generateKeyPair('Ed25519'))
    return identities
  }

  async take (): Promise<PrivateKey> {
    const key = this.fresh ? await generateKeyPair('Ed25519') : this.free.shift()
    if (key === undefined) throw new Error('identity pool exhausted (it must hold at least one identity per peer)')
    return key
  }

  give (key: PrivateKey): void {
    if (!this.fresh) this.free.push(key)
  }
}

interface Scrape { connected: number, balance: number, rememberedPeers: number, peersSeen: number, internalErrors: number, peerStorePeers: number }

async function scrape (url: string): Promise<Scrape> {
  const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(30_000) })
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`)
  const m = parseExposition(await response.text())
  return {
    connected: valueOf(m, 'libp2p_tracker_connected_peers') ?? NaN,
    balance: sumOf(m, 'libp2p_tracker_peer_connects_total') - sumOf(m, 'libp2p_tracker_peer_disconnects_total'),
    rememberedPeers: valueOf(m, 'libp2p_tracker_remembered_peers') ?? NaN,
    peersSeen: valueOf(m, 'libp2p_tracker_peers_seen') ?? NaN,
    internalErrors: sumOf(m, 'libp2p_tracker_internal_errors_total'),
    peerStorePeers: valueOf(m, 'libp2p_tracker_peer_store_peers') ?? NaN
  }
}

/**
 * Post-GC heap and external memory: the lower of two readings, each right after a full GC
 * (objects of work in flight at one reading are not retained).
 */
async function postGcMemory (probe: HeapProbe): Promise<{ heapMiB: number, externalMiB: number }> {
  const first = await probe.postGcHeap()
  const second = await probe.postGcHeap()
  return { heapMiB: Math.min(first.usedBytes, second.usedBytes) / MiB, externalMiB: Math.min(first.externalBytes, second.externalBytes) / MiB }
}

export async function runSoak (options: SoakOptions): Promise<SoakResult> {
  if (options.identityPool !== 0 && options.identityPool < options.peers) throw new Error(`the identity pool (${options.identityPool}) must hold at least one identity per peer (${options.peers}), or be 0`)
  const identities = await Identities.create(options.identityPool)
  const tracker = await startTrackerChild(Math.max(300, options.peers * 4), options.trackerFlags)
  const pid = tracker.child.pid as number
  const started = Date.now()
  try {
    const deadline = started + options.durationMs
    let sessions = 0
    let churnErrors = 0

    const churn = async (): Promise<void> => {
      let key = await identities.take()
      let node = await startPeer(key)
      identities.used.add(node.peerId.toString())
      try {
        while (Date.now() < deadline) {
          if (Math.random() < 0.1) {
            await node.stop()
            identities.give(key)
            key = await identities.take()
            node = await startPeer(key)
            identities.used.add(node.peerId.toString())
          }
          try {
            const connection = await node.dial(tracker.addrs, { signal: AbortSignal.timeout(20_000) })
            sessions++
            await sleep(200 + Math.random() * 2800)
            await connection.close()
          } catch {
            churnErrors++
          }
          await sleep(Math.random() * 500)
        }
      } finally {
        await node.stop()
      }
    }

    const samples: SoakSample[] = []
    const sampler = async (): Promise<void> => {
      let next = Date.now()
      while (Date.now() < deadline) {
        const sample: SoakSample = { atS: (Date.now() - started) / 1000, rssMiB: rssBytes(pid) / MiB, heapMiB: NaN, externalMiB: NaN, ok: false, scrapeMs: NaN, connected: NaN, balance: NaN, rememberedPeers: NaN, peersSeen: NaN, internalErrors: NaN, peerStorePeers: NaN }
        try {
          Object.assign(sample, await postGcMemory(tracker.probe))
        } catch (err) {
          sample.error = `heap probe: ${(err as Error).message}`
        }
        const t0 = performance.now()
        try {
          Object.assign(sample, await scrape(tracker.url), { ok: true })
        } catch (err) {
          sample.error = `scrape: ${(err as Error).message}`
        }
        sample.scrapeMs = performance.now() - t0
        samples.push(sample)
        options.onSample?.(sample)
        next += options.sampleIntervalMs
        await sleep(Math.max(0, next - Date.now()))
      }
    }

    const load = autocannon({
      url: `${tracker.url}/metrics`,
      connections: options.scrapers,
      duration: Math.max(1, Math.round(options.durationMs / 1000)),
      headers: { 'accept-encoding': 'gzip' }
    })
    const [result] = await Promise.all([load, sampler(), ...Array.from({ length: options.peers }, churn)])

    // Every peer has stopped: the tracker must come to 0 connected and balance.
    let last: Scrape = { connected: NaN, balance: NaN, rememberedPeers: NaN, peersSeen: NaN, internalErrors: NaN, peerStorePeers: NaN }
    const until = Date.now() + 30_000
    while (Date.now() < until) {
      last = await scrape(tracker.url)
      if (last.connected === 0 && last.balance === 0) break
      await sleep(100)
    }
    const { heapMiB, externalMiB } = await postGcMemory(tracker.probe)

    const r = result as unknown as { latency: { p50: number, p90: number, p99: number, max: number }, requests: { total: number, average: number }, errors: number, timeouts: number, non2xx: number }
    const { onSample: _onSample, ...rest } = options
    await tracker.probe.close()
    tracker.child.kill('SIGTERM')
    const kill = setTimeout(() => tracker.child.kill('SIGKILL'), 15_000)
    const trackerExit = await tracker.exited
    clearTimeout(kill)
    return {
      options: rest,
      samples,
      sessions,
      churnErrors,
      identitiesUsed: identities.used.size,
      load: {
        requests: r.requests.total,
        perSecond: r.requests.average,
        latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
        errors: r.errors,
        timeouts: r.timeouts,
        non2xx: r.non2xx
      },
      final: { connected: last.connected, balance: last.balance, internalErrors: last.internalErrors, rememberedPeers: last.rememberedPeers, peersSeen: last.peersSeen, peerStorePeers: last.peerStorePeers, heapMiB, externalMiB },
      trackerExit,
      trackerStderr: tracker.stderr()
    }
  } finally {
    if (tracker.child.exitCode === null && tracker.child.signalCode === null) {
      await tracker.probe.close().catch(() => {})
      tracker.child.kill('SIGKILL')
      await tracker.exited
    }
  }
}

// --- analysis: pure functions of the samples -----------------------------------------------

export interface LineFit {
  /** Least-squares slope of y per unit of x. */
  slope: number
  /** Its standard error (from the residuals); NaN with fewer than 3 points. */
  standardError: number
  points: number
}

export function leastSquares (points: ReadonlyArray<readonly [number, number]>): LineFit {
  const n = points.length
  if (n < 2) return { slope: NaN, standardError: NaN, points: n }
  const mx = points.reduce((s, p) => s + p[0], 0) / n
  const my = points.reduce((s, p) => s + p[1], 0) / n
  let sxx = 0
  let sxy = 0
  for (const [x, y] of points) { sxx += (x - mx) ** 2; sxy += (x - mx) * (y - my) }
  if (sxx === 0) return { slope: NaN, standardError: NaN, points: n }
  const slope = sxy / sxx
  const intercept = my - slope * mx
  let residuals = 0
  for (const [x, y] of points) residuals += (y - (intercept + slope * x)) ** 2
  const standardError = n > 2 ? Math.sqrt(residuals / (n - 2) / sxx) : NaN
  return { slope, standardError, points: n }
}

/** What the tracker retains after a full GC: V8 heap used plus external memory (Buffer contents and the like). */
export function retainedMiB (sample: Pick<SoakSample, 'heapMiB' | 'externalMiB'>): number {
  return sample.heapMiB + sample.externalMiB
}

/** Samples in the second half of the run (after warm-up), with a post-GC reading. */
export function secondHalf (samples: readonly SoakSample[]): SoakSample[] {
  const end = samples.at(-1)?.atS ?? 0
  return samples.filter(s => s.atS >= end / 2 && Number.isFinite(retainedMiB(s)))
}

/** Slope of the post-GC retained memory over the second half, in MiB per hour. */
export function retainedSlope (samples: readonly SoakSample[]): LineFit {
  return leastSquares(secondHalf(samples).map(s => [s.atS / 3600, retainedMiB(s)] as const))
}

/** Samples whose scrape failed or broke connects - disconnects == connected. */
export function invariantViolations (samples: readonly SoakSample[]): SoakSample[] {
  return samples.filter(s => !s.ok || s.balance !== s.connected)
}
