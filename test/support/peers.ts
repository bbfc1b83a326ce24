/**
 * Real libp2p peers for tests: TCP on 127.0.0.1 (or the transports a test asks for: QUIC,
 * WebSockets, WebRTC-direct), Noise, the muxers a test asks for, identify and ping, so the
 * tracker sees exactly what it would see from a remote node.
 */
import '../../src/runtime/node-shims.js'
import '../../src/p2p/websocket-global.js'
import { createServer } from 'node:net'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { mplex } from '@libp2p/mplex'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p, type ServiceFactoryMap } from 'libp2p'
import { peerTracker } from '../../src/index.js'
import type { PeerTracker, PeerTrackerInit } from '../../src/index.js'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { AddressInfo, Socket } from 'node:net'

export type TestMuxer = 'yamux' | 'mplex'
/** QUIC needs Node 22+: on older Node, run such a peer in a child (test/support/peer-process.ts). */
export type TestTransport = 'tcp' | 'quic' | 'ws' | 'webrtc-direct'

const LOOPBACK_LISTEN: Record<TestTransport, string> = {
  tcp: '/ip4/127.0.0.1/tcp/0',
  quic: '/ip4/127.0.0.1/udp/0/quic-v1',
  ws: '/ip4/127.0.0.1/tcp/0/ws',
  'webrtc-direct': '/ip4/127.0.0.1/udp/0/webrtc-direct'
}

async function transportFactory (transport: TestTransport): Promise<ReturnType<typeof tcp>> {
  switch (transport) {
    case 'tcp': return tcp()
    case 'ws': return webSockets() as unknown as ReturnType<typeof tcp>
    case 'webrtc-direct': return (await import('@libp2p/webrtc')).webRTCDirect() as unknown as ReturnType<typeof tcp>
    case 'quic': return (await import('@chainsafe/libp2p-quic')).quic() as unknown as ReturnType<typeof tcp>
  }
}

export interface TestPeerOptions {
  muxers?: TestMuxer[]
  /** The transports it dials with and (with listen) listens on, on 127.0.0.1 (default: tcp). */
  transports?: TestTransport[]
  /** identify's agent version; defaults to js-libp2p's own. */
  agentVersion?: string
  /** Listen on 127.0.0.1 (for peers the tracker dials). */
  listen?: boolean
  /** Run a Kad-DHT server that keeps loopback addresses, so a tracker's routing table can hold it. */
  dht?: boolean
  /** Per-address dial timeout in ms (libp2p's default is 6 s): for handshake timeouts in tests. */
  addressDialTimeout?: number
  /** A connection gater that refuses every outbound address. */
  denyDials?: boolean
  /** Its key (a fresh Ed25519 key by default). */
  privateKey?: PrivateKey
  /** Leave out identify and ping (for a peer that answers identify itself). */
  noStandardServices?: boolean
  /** More services, e.g. the peerTracker service. */
  services?: ServiceFactoryMap
  /** false: create it stopped (libp2p starts a node it creates by default). */
  start?: boolean
  /** false: without libp2p's connection monitor (which pings every connection every 10 s). */
  connectionMonitor?: boolean
}

export async function createTestPeer (options: TestPeerOptions = {}): Promise<Libp2p> {
  const muxers = options.muxers ?? ['yamux']
  const transports = options.transports ?? ['tcp']
  return await createLibp2p({
    ...(options.start === undefined ? {} : { start: options.start }),
    ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
    addresses: { listen: options.listen === false ? [] : transports.map(t => LOOPBACK_LISTEN[t]) },
    transports: await Promise.all(transports.map(transportFactory)),
    connectionEncrypters: [noise()],
    streamMuxers: muxers.map(m => m === 'yamux' ? yamux() : mplex()),
    connectionManager: {
      inboundConnectionThreshold: 1000,
      maxIncomingPendingConnections: 100,
      ...(options.addressDialTimeout === undefined ? {} : { addressDialTimeout: options.addressDialTimeout })
    },
    ...(options.denyDials === true ? { connectionGater: { denyDialMultiaddr: () => true } } : {}),
    ...(options.connectionMonitor === false ? { connectionMonitor: { enabled: false } } : {}),
    nodeInfo: options.agentVersion === undefined ? undefined : { userAgent: options.agentVersion },
    services: {
      ...(options.noStandardServices === true ? {} : { identify: identify(), ping: ping() }),
      ...(options.dht === true ? { dht: kadDHT({ clientMode: false, peerInfoMapper: passthroughMapper }) } : {}),
      ...options.services
    } as ServiceFactoryMap
  })
}

/**
 * createTestPeer, with a do-nothing handler for each of `protocols`, started; its stop goes
 * into `cleanups` (the test file's list, run after each test).
 */
export async function startTestPeer (options: TestPeerOptions, cleanups: Array<() => Promise<unknown>>, protocols: string[] = []): Promise<Libp2p> {
  const node = await createTestPeer(options)
  for (const protocol of protocols) await node.handle(protocol, () => {})
  await node.start()
  cleanups.push(async () => { await node.stop() })
  return node
}

/**
 * A user's node with the peerTracker service (TCP, Noise, yamux, identify, ping, and a DHT
 * server when asked), created stopped: the test starts it.
 */
export async function createServiceNode (init: PeerTrackerInit, options: Pick<TestPeerOptions, 'dht' | 'connectionMonitor'> = {}): Promise<Libp2p<{ peerTracker: PeerTracker, ping: Ping }>> {
  return await createTestPeer({ ...options, start: false, services: { peerTracker: peerTracker(init) } }) as unknown as Libp2p<{ peerTracker: PeerTracker, ping: Ping }>
}

/**
 * A TCP server on 127.0.0.1 that accepts connections and never sends a byte: a libp2p dial to
 * it connects and then waits in the handshake until its timeout.
 */
export async function startSilentServer (): Promise<{ port: number, accepted: () => number, close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  let accepted = 0
  const server = createServer((socket) => {
    accepted++
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => { sockets.delete(socket) })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}
