/**
 * The libp2p node: TCP, Noise (XX), yamux and/or mplex, identify, ping and (optionally)
 * Kad-DHT, with connection limits from the configuration. Nothing else in the project
 * imports libp2p's factories.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper, removePrivateAddressesMapper } from '@libp2p/kad-dht'
import { mplex } from '@libp2p/mplex'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { NAME, VERSION } from '../version.js'
import { IpFilter, ipConnectionGater } from './connection-gater.js'
import type { Config, MuxerName } from '../config.js'
import type { Identify } from '@libp2p/identify'
import type { KadDHT, SingleKadDHT } from '@libp2p/kad-dht'
import type { Libp2p, PrivateKey, StreamMuxerFactory } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'

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

/** Creates the node without starting it, so the tracker can attach before the first event. */
export async function createTrackerNode (p2p: Config['p2p'], privateKey: PrivateKey, onGated?: (direction: 'inbound' | 'outbound', addr: string) => void): Promise<TrackerNode> {
  const ipFilter = new IpFilter(p2p.allowCidrs ?? [], p2p.denyCidrs ?? [])
  const dht = p2p.dht === 'off'
    ? {}
    : {
        dht: kadDHT({
          clientMode: p2p.dht === 'client',
          peerInfoMapper: p2p.dhtAddressFilter === 'all' ? passthroughMapper : removePrivateAddressesMapper
        })
      }
  return await createLibp2p<TrackerServices>({
    privateKey,
    start: false,
    nodeInfo: { name: NAME, version: VERSION },
    addresses: { listen: p2p.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: p2p.muxers.map(m => MUXER_FACTORIES[m]()),
    connectionManager: {
      maxConnections: p2p.maxConnections,
      maxIncomingPendingConnections: p2p.maxIncomingPendingConnections,
      inboundConnectionThreshold: p2p.inboundConnectionThreshold
    },
    ...(ipFilter.active ? { connectionGater: ipConnectionGater(ipFilter, onGated) } : {}),
    services: { identify: identify(), ping: ping(), ...dht }
  })
}

/** Peers in the DHT routing table; 0 when the DHT is off. (kadDHT() is typed without it.) */
export function dhtRoutingTableSize (node: TrackerNode): number {
  return (node.services.dht as SingleKadDHT | undefined)?.routingTable.size ?? 0
}
