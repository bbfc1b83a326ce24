/**
 * B4 and B6: real connections. A subject process (node-child.ts: plain libp2p node, the
 * tracker, or the node with @libp2p/prometheus-metrics) holds N long-lived peers of the swarm
 * (other processes) on loopback. Measured per subject: time until all N are connected, CPU and
 * RSS while holding them, and (tracker, prometheus-metrics) /metrics latency and size. The
 * subjects run one after another in the same bench run, with the same swarm seed.
 */
import '../src/runtime/node-shims.js'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { startSwarm } from '../src/swarm/index.js'
import { parseExposition, valueOf } from '../test/support/exposition.js'
import { cpuSeconds, median, rssBytes } from './stats.js'
import type { ChildProcess } from 'node:child_process'

export type Subject = 'plain' | 'tracker' | 'prom'

export interface HoldResult {
  subject: Subject
  peers: number
  connectSeconds: number
  /** CPU of the subject while holding, as a fraction of one core. */
  holdCpuCores: number
  /** CPU seconds the subject spent accepting the N connections. */
  connectCpuSeconds: number
  /** CPU seconds over the hold window (holdCpuCores x holdSeconds). */
  holdCpuSeconds: number
  holdSeconds: number
  /** CPU seconds from the first dial to the end of the hold (connect, 3 s settle, hold). */
  totalCpuSeconds: number
  rssMiB: number
  /** Scrapes during the hold where the tracker's connected_peers was exactly N (tracker only). */
  exactScrapes: number
  scrapes: number
  metricsP50Ms: number
  metricsBytes: number
  /** Peers still connected at the end of the hold, as the peers see it. */
  heldAtEnd: number
  /** Dials of the swarm's peers that failed while connecting (each retried: more handshakes for the subject). */
  dialFailures: number
}

const CHILD = fileURLToPath(new URL('./node-child.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface HoldOptions {
  /** Profile the subject (V8 CPU profiler, one .cpuprofile per phase: connect, hold, end) into this directory. */
  profileDir?: string
  /** The swarm's dials per second, all shards together. Default 200. */
  dialRate?: number
  /** How long the swarm may take to connect every peer. Default 120 s. */
  connectTimeoutMs?: number
  /** Progress lines (connected so far, every 10 s while connecting). */
  log?: (text: string) => void
}

async function startSubject (subject: Subject, peers: number, options: HoldOptions = {}): Promise<{ child: ChildProcess, multiaddrs: string[], metricsUrl: string | undefined }> {
  const env = options.profileDir === undefined ? process.env : { ...process.env, B4_PROFILE_DIR: options.profileDir }
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, subject, String(peers)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve)
    child.once('exit', code => { reject(new Error(`${subject} subject exited with ${code}`)) })
  })
  const info = JSON.parse(first) as { multiaddrs: string[], metricsUrl?: string }
  return { child, multiaddrs: info.multiaddrs, metricsUrl: info.metricsUrl }
}

async function timedScrape (url: string): Promise<{ ms: number, text: string }> {
  const start = performance.now()
  // identity: compare serialisation, not gzip (fetch asks for gzip by default; ours honours it).
  const text = await (await fetch(url, { headers: { 'accept-encoding': 'identity' } })).text()
  return { ms: performance.now() - start, text }
}

export async function hold (subject: Subject, peers: number, holdMs: number, seed: string, options: HoldOptions = {}): Promise<HoldResult> {
  const { child, multiaddrs, metricsUrl } = await startSubject(subject, peers, options)
  const nextPhase = (): void => { if (options.profileDir !== undefined) child.kill('SIGUSR2') }
  const pid = child.pid as number
  const swarm = await startSwarm({
    seed, peers, listenRatio: 0, flapRatio: 0, longLivedRatio: 1, timeScale: 0.01, minSessionMs: 250,
    dialRate: options.dialRate ?? 200, workers: Math.max(1, Math.ceil(peers / 500)), listenPortBase: 0
  })
  try {
    const cpu0 = cpuSeconds(pid)
    const t0 = performance.now()
    swarm.run(multiaddrs)
    const deadline = t0 + (options.connectTimeoutMs ?? 120_000)
    let nextProgress = t0 + 10_000
    let connected = 0
    while ((connected = (await swarm.truth()).connectedPeers) < peers) {
      if (performance.now() > nextProgress) { nextProgress += 10_000; options.log?.(`    ${subject}: ${connected}/${peers} connected after ${Math.round((performance.now() - t0) / 1000)} s`) }
      if (performance.now() > deadline) throw new Error(`${subject}: only ${(await swarm.truth()).connectedPeers} of ${peers} peers connected after ${Math.round((performance.now() - t0) / 1000)} s`)
      // Every 250 ms: each poll gathers every peer's ledger from every swarm process.
      await new Promise(resolve => setTimeout(resolve, 250))
    }
    const connectSeconds = (performance.now() - t0) / 1000
    const connectCpuSeconds = cpuSeconds(pid) - cpu0
    const dialFailures = (await swarm.truth()).dialFailures
    nextPhase()

    // Let identify and the first pings finish before the hold window.
    await new Promise(resolve => setTimeout(resolve, 3000))
    const cpu1 = cpuSeconds(pid)
    const h0 = performance.now()
    const rss: number[] = []
    let scrapes = 0
    let exactScrapes = 0
    let nextScrape = h0
    while (performance.now() - h0 < holdMs) {
      rss.push(rssBytes(pid))
      if (metricsUrl !== undefined && performance.now() >= nextScrape) {
        nextScrape += 5000
        const { text } = await timedScrape(metricsUrl)
        scrapes++
        if (subject === 'tracker' && valueOf(parseExposition(text), 'libp2p_tracker_connected_peers') === peers) exactScrapes++
      }
      await new Promise(resolve => setTimeout(resolve, 1000))
    }
    const cpu2 = cpuSeconds(pid)
    const holdSeconds = (performance.now() - h0) / 1000
    const holdCpuSeconds = cpu2 - cpu1
    const holdCpuCores = holdCpuSeconds / holdSeconds
    const totalCpuSeconds = cpu2 - cpu0
    nextPhase()
    const heldAtEnd = (await swarm.truth()).connectedPeers

    let metricsP50Ms = NaN
    let metricsBytes = NaN
    if (metricsUrl !== undefined) {
      const times: number[] = []
      for (let i = 0; i < 25; i++) {
        const r = await timedScrape(metricsUrl)
        if (i >= 5) times.push(r.ms)
        metricsBytes = Buffer.byteLength(r.text)
      }
      metricsP50Ms = median(times)
    }
    return { subject, peers, connectSeconds, connectCpuSeconds, holdCpuSeconds, holdSeconds, totalCpuSeconds, holdCpuCores, rssMiB: median(rss) / 2 ** 20, exactScrapes, scrapes, metricsP50Ms, metricsBytes, heldAtEnd, dialFailures }
  } finally {
    await swarm.stop()
    child.kill('SIGTERM')
    await new Promise(resolve => { if (child.exitCode !== null) resolve(null); else child.once('exit', resolve) })
  }
}
