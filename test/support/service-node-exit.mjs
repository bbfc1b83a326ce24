// A user's app (for test/e2e/service-exit.test.ts): a js-libp2p node with the peerTracker
// service from the built package, a real peer dialling it, a render of the registry, then
// both nodes stopped. It never calls process.exit: it must end by itself, which it does only
// if nothing (timer, listener, socket) is left behind.
import { peerTracker } from '../../dist/index.js'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { Registry } from 'prom-client'

const base = () => ({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
const registry = new Registry()
// Short intervals so the RTT pings and the peer store sweeps run while the peer is connected.
const node = await createLibp2p({
  ...base(),
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  services: { identify: identify(), ping: ping(), peerTracker: peerTracker({ registry, rttSampleIntervalMs: 100, peerStoreSweepIntervalMs: 100 }) }
})
const peer = await createLibp2p({ ...base(), services: { identify: identify(), ping: ping() } })
await peer.dial(node.getMultiaddrs())

const deadline = Date.now() + 20_000
const tracker = node.services.peerTracker
while (!(tracker.status().connectedPeers === 1 && tracker.peers()[0]?.rttMs != null && /libp2p_tracker_peer_store_peers [1-9]/.test(await registry.metrics()))) {
  if (Date.now() > deadline) throw new Error(`no connected, pinged and swept peer: ${JSON.stringify(tracker.status())}`)
  await new Promise(resolve => setTimeout(resolve, 25))
}
const connected = /^libp2p_tracker_connected_peers (\d+)$/m.exec(await registry.metrics())?.[1]
await peer.stop()
await node.stop()
console.log(JSON.stringify({ connected: Number(connected), status: tracker.status(), stopped: true }))
