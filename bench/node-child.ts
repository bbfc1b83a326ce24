/**
 * B4/B6 subject, in its own process so its CPU and RSS are its own. Modes:
 *   plain    the tracker's libp2p node (src/p2p/node.ts, same config) with nothing attached
 *   tracker  the whole tracker (startTracker from src/app.ts): node, PeerTracker, /metrics
 *   prom     the same libp2p node with @libp2p/prometheus-metrics, /metrics from prom-client
 * Prints one JSON line when listening: { multiaddrs, metricsUrl }. Stops on SIGTERM.
 */
import '../src/runtime/node-shims.js'
import { createServer } from 'node:http'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { register } from 'prom-client'
import { startTracker } from '../src/app.js'
import { buildConfig } from '../src/config/parse.js'
import { createLogger } from '../src/log.js'
import { createTrackerNode } from '../src/p2p/node.js'
import type { Config } from '../src/config/config.js'
import type { Libp2p } from '@libp2p/interface'
import type { AddressInfo } from 'node:net'

const mode = process.argv[2] as 'plain' | 'tracker' | 'prom'
const peers = Number(process.argv[3] ?? 1000)

const config: Config = buildConfig({
  'web.listen-address': '127.0.0.1:0',
  // With B4_QUIC_RATIO (b4-compare.ts --quic-ratio), QUIC too: the swarm's QUIC peers dial it.
  'p2p.listen': Number(process.env.B4_QUIC_RATIO ?? 0) > 0 ? ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/udp/0/quic-v1'] : ['/ip4/127.0.0.1/tcp/0'],
  'p2p.transports': Number(process.env.B4_QUIC_RATIO ?? 0) > 0 ? 'tcp,quic' : 'tcp',
  'p2p.bootstrap': [],
  'p2p.dht': 'off',
  'p2p.max-connections': String(peers * 2 + 100),
  'p2p.max-incoming-pending-connections': '200',
  'p2p.inbound-connection-threshold': '100000',
  'tracker.report-interval': '0',
  'log.level': 'warn'
})

let stop: () => Promise<void>
let metricsUrl: string | undefined
let node: Libp2p

if (mode === 'tracker') {
  const running = await startTracker(config, createLogger(config.log))
  node = running.node
  metricsUrl = `http://127.0.0.1:${running.http.port}/metrics`
  stop = running.stop
} else {
  const privateKey = await generateKeyPair('Ed25519')
  if (mode === 'prom') {
    // createTrackerNode has no metrics option: build the same node with prometheusMetrics().
    const { createLibp2p } = await import('libp2p')
    const { tcp } = await import('@libp2p/tcp')
    const { noise } = await import('@chainsafe/libp2p-noise')
    const { yamux } = await import('@chainsafe/libp2p-yamux')
    const { mplex } = await import('@libp2p/mplex')
    const { identify } = await import('@libp2p/identify')
    const { ping } = await import('@libp2p/ping')
    node = await createLibp2p({
      privateKey,
      addresses: { listen: config.p2p.listen },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux(), mplex()],
      connectionManager: {
        maxConnections: config.p2p.maxConnections,
        maxIncomingPendingConnections: config.p2p.maxIncomingPendingConnections,
        inboundConnectionThreshold: config.p2p.inboundConnectionThreshold
      },
      metrics: prometheusMetrics(),
      services: { identify: identify(), ping: ping() }
    })
    const server = createServer((_req, res) => {
      register.metrics().then(text => {
        res.setHeader('Content-Type', register.contentType)
        res.end(text)
      }, (err: unknown) => { res.statusCode = 500; res.end(String(err)) })
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    metricsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`
    await node.start()
    stop = async () => { server.close(); await node.stop() }
  } else {
    node = await createTrackerNode(config.p2p, privateKey)
    await node.start()
    stop = async () => { await node.stop() }
  }
}

// Profiling (bench/b4-profile.ts): B4_PROFILE_DIR set, the V8 CPU profiler (the sampler
// --cpu-prof uses) runs from here on; each SIGUSR2 writes the phase profiled so far
// (<dir>/<subject>-<phase>.cpuprofile) and starts the next, SIGTERM writes the last.
const profileDir = process.env.B4_PROFILE_DIR
const profiler = profileDir === undefined ? undefined : await startPhaseProfiler(profileDir, mode, ['connect', 'hold', 'end'])

process.stdout.write(JSON.stringify({ multiaddrs: node.getMultiaddrs().map(String), metricsUrl }) + '\n')
// Fixed memory (bench/b4-fixed-memory.ts, B4_FIXED_MEMORY=1, run with --expose-gc): SIGUSR2
// prints one JSON line of process.memoryUsage() after full GCs.
process.on('SIGUSR2', () => {
  if (process.env.B4_FIXED_MEMORY !== '1') { void profiler?.next(); return }
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.(); gc?.()
  process.stdout.write(JSON.stringify({ memory: process.memoryUsage() }) + '\n')
})
process.on('SIGTERM', () => {
  // b4-fixed-memory: exit without stopping, so that --heap-prof's profile holds what was live.
  if (process.env.B4_FIXED_MEMORY === '1') process.exit(0)
  void (profiler?.next() ?? Promise.resolve()).then(stop).then(() => process.exit(0), () => process.exit(1))
})
process.on('unhandledRejection', () => {})

async function startPhaseProfiler (dir: string, subject: string, phases: string[]): Promise<{ next: () => Promise<void> }> {
  const { Session } = await import('node:inspector/promises')
  const { writeFileSync, mkdirSync } = await import('node:fs')
  mkdirSync(dir, { recursive: true })
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 1000 })
  await session.post('Profiler.start')
  let phase = 0
  let chain = Promise.resolve()
  return {
    next: async () => {
      chain = chain.then(async () => {
        const { profile } = await session.post('Profiler.stop')
        writeFileSync(`${dir}/${subject}-${phases[phase] ?? String(phase)}.cpuprofile`, JSON.stringify(profile))
        phase++
        await session.post('Profiler.start')
      })
      await chain
    }
  }
}
