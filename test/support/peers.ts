/**
 * Real libp2p peers for tests: TCP on 127.0.0.1, Noise, the muxers a test asks for,
 * identify and ping, so the tracker sees exactly what it would see from a remote node.
 */
import '../../src/runtime/node-shims.js'
import { createServer } from 'node:net'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { mplex } from '@libp2p/mplex'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from '@libp2p/interface'
import type { AddressInfo, Socket } from 'node:net'

export type TestMuxer = 'yamux' | 'mplex'

export interface TestPeerOptions {
  muxers?: TestMuxer[]
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
}

export async function createTestPeer (options: TestPeerOptions = {}): Promise<Libp2p> {
  const muxers = options.muxers ?? ['yamux']
  return await createLibp2p({
    addresses: { listen: options.listen === false ? [] : ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: muxers.map(m => m === 'yamux' ? yamux() : mplex()),
    connectionManager: {
      inboundConnectionThreshold: 1000,
      maxIncomingPendingConnections: 100,
      ...(options.addressDialTimeout === undefined ? {} : { addressDialTimeout: options.addressDialTimeout })
    },
    ...(options.denyDials === true ? { connectionGater: { denyDialMultiaddr: () => true } } : {}),
    nodeInfo: options.agentVersion === undefined ? undefined : { userAgent: options.agentVersion },
    services: {
      identify: identify(),
      ping: ping(),
      ...(options.dht === true ? { dht: kadDHT({ clientMode: false, peerInfoMapper: passthroughMapper }) } : {})
    }
  })
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

/** Polls until `check` returns true; fails with `what` after the timeout. No fixed sleeps. */
export async function waitFor (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}
