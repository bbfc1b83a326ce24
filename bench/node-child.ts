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
import { buildConfig } from '../src/config.js'
import { createLogger } from '../src/log.js'
import { createTrackerNode } from '../src/p2p/node.js'
import type { Config } from '../src/config.js'
import type { Libp2p } from '@libp2p/interface'
import type { AddressInfo } from 'node:net'

const mode = process.argv[2] as 'plain' | 'tracker' | 'prom'
const peers = Number(process.argv[3] ?? 1000)

const config: Config = buildConfig({
  'web.listen-address': '127.0.0.1:0',
  'p2p.listen': ['/ip4/127.0.0.1/tcp/0'],
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

process.stdout.write(JSON.stringify({ multiaddrs: node.getMultiaddrs().map(String), metricsUrl }) + '\n')
process.on('SIGTERM', () => { void stop().then(() => process.exit(0), () => process.exit(1)) })
process.on('unhandledRejection', () => {})
