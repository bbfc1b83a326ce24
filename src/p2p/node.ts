/**
 * The CLI's libp2p node: TCP, QUIC-v1 (Node 22+), WebSockets and WebRTC-direct, Noise (XX) and
 * yamux and/or mplex over TCP and WebSockets, identify, ping and (optionally) Kad-DHT, with connection limits and the peer store's ages from the configuration, plus the
 * services the caller adds (the CLI adds the peerTracker service). Nothing else in the
 * project imports libp2p's transport, encryption and muxer factories.
 */
import './websocket-global.js' // before @libp2p/websockets dials: the ws package's WebSocket, on every Node
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper, removePrivateAddressesMapper } from '@libp2p/kad-dht'
import { mplex } from '@libp2p/mplex'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'
import { NAME, VERSION } from '../version.js'
import { IpFilter, ipConnectionGater } from './connection-gater.js'
import { TRANSPORT_NAMES, listenTransportOf } from './transports.js'
import type { TransportName } from './transports.js'
import type { Config, MuxerName } from '../config/config.js'
import type { Identify } from '@libp2p/identify'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Libp2p, PrivateKey, ServiceMap, StreamMuxerFactory, Transport } from '@libp2p/interface'
import type { ServiceFactoryMap } from 'libp2p'
import type { Ping } from '@libp2p/ping'
import type { Datastore } from 'interface-datastore'

// A type alias, not an interface: libp2p's ServiceMap wants an index signature.
export type TrackerServices = {
  identify: Identify
  ping: Ping
  dht?: KadDHT
}

export type TrackerNode = Libp2p<TrackerServices>

const MUXER_FACTORIES: Record<MuxerName, () => () => StreamMuxerFactory> = {
  yamux: () => yamux(),
  mplex: () => mplex()
}

type TransportFactory = (components: any) => Transport // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The transports the node runs: those it dials with and those of its listen addresses. QUIC is
 * imported only when it is on: @chainsafe/libp2p-quic needs Node 22 (config refuses it before).
 */
async function transportFactories (p2p: Pick<Config['p2p'], 'transports' | 'listen'>): Promise<TransportFactory[]> {
  const listened = new Set(p2p.listen.map(listenTransportOf))
  const factories: TransportFactory[] = []
  for (const name of TRANSPORT_NAMES) {
    const dialled = p2p.transports.includes(name)
    if (!dialled && !listened.has(name)) continue
    const factory = await transportFactory(name)
    factories.push(dialled ? factory : listenOnly(factory))
  }
  return factories
}

async function transportFactory (name: TransportName): Promise<TransportFactory> {
  switch (name) {
    case 'tcp': return tcp()
    case 'ws': return webSockets()
    case 'webrtc-direct': return (await import('@libp2p/webrtc')).webRTCDirect() // its native library loads only when it is on
    case 'quic': {
      const { quic } = await import('@chainsafe/libp2p-quic')
      return quic() as TransportFactory
    }
  }
}

/** A transport that listens (its address was given) but dials nothing: not in --p2p.transports. */
function listenOnly (factory: TransportFactory): TransportFactory {
  return (components) => {
    const transport = factory(components)
    transport.dialFilter = () => []
    return transport
  }
}

/** libp2p's own maxAddressAge: an address observed within it keeps a record from expiring. */
export const MAX_ADDRESS_AGE_MS = 3_600_000

/**
 * The peer store's ages for a --p2p.peer-store-max-age: records expire maxPeerAge after their
 * last update, unless an address was observed within maxAddressAge, which is capped at the
 * same age so that a shorter max age really expires records that have addresses.
 */
export function peerStoreAges (maxAgeMs: number): { maxPeerAge: number, maxAddressAge: number } {
  return { maxPeerAge: maxAgeMs, maxAddressAge: Math.min(maxAgeMs, MAX_ADDRESS_AGE_MS) }
}

/** Creates the node without starting it; `services` are added to identify, ping and the DHT. */
export async function createTrackerNode<S extends ServiceMap = Record<string, never>> (
  p2p: Config['p2p'],
  privateKey: PrivateKey,
  onGated?: (direction: 'inbound' | 'outbound', addr: string) => void,
  services?: ServiceFactoryMap<S>,
  /** --storage.path: libp2p keeps its peer store there (under /peers/); in memory otherwise. */
  datastore?: Datastore
): Promise<Libp2p<TrackerServices & S>> {
  const ipFilter = new IpFilter(p2p.allowCidrs ?? [], p2p.denyCidrs ?? [])
  const dht = p2p.dht === 'off'
    ? {}
    : {
        dht: kadDHT({
          clientMode: p2p.dht === 'client',
          peerInfoMapper: p2p.dhtAddressFilter === 'all' ? passthroughMapper : removePrivateAddressesMapper
        })
      }
  return await createLibp2p<TrackerServices & S>({
    privateKey,
    start: false,
    ...(datastore === undefined ? {} : { datastore }),
    nodeInfo: { name: NAME, version: VERSION },
    addresses: { listen: p2p.listen },
    peerStore: peerStoreAges(p2p.peerStoreMaxAgeMs),
    transports: await transportFactories(p2p),
    connectionEncrypters: [noise()],
    streamMuxers: p2p.muxers.map(m => MUXER_FACTORIES[m]()),
    connectionManager: {
      maxConnections: p2p.maxConnections,
      maxIncomingPendingConnections: p2p.maxIncomingPendingConnections,
      inboundConnectionThreshold: p2p.inboundConnectionThreshold
    },
    ...(ipFilter.active ? { connectionGater: ipConnectionGater(ipFilter, onGated) } : {}),
    services: { identify: identify(), ping: ping(), ...dht, ...services } as ServiceFactoryMap<TrackerServices & S>
  })
}
