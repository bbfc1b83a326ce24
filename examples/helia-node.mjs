// A Helia 7 node (Node 22 or newer) with the peer tracker attached, its metrics in a
// prom-client registry served at /metrics by node:http.
//
//   npm install libp2p-peer-tracker helia @helia/libp2p prom-client
//   node helia-node.mjs             (METRICS_PORT=9089 node helia-node.mjs for a fixed port)
//
// Ctrl-C (or SIGTERM) stops the node and the server; the process then exits by itself.
import { createServer } from 'node:http'
import { libp2pDefaults } from '@helia/libp2p'
import { createHelia } from 'helia'
import { peerTracker } from 'libp2p-peer-tracker'
import { Registry } from 'prom-client'

const registry = new Registry()

// Helia's default libp2p options with the tracker added to its services. (Passing
// `libp2p: { services: { peerTracker } }` to createHelia would replace Helia's default
// services instead of adding to them.)
const libp2p = libp2pDefaults()
libp2p.services.peerTracker = peerTracker({ registry })
// Keep this example on this machine: loopback only, no bootstrap peers, no mDNS.
// Delete these two lines to join the public IPFS network.
libp2p.addresses = { listen: ['/ip4/127.0.0.1/tcp/0'] }
libp2p.peerDiscovery = []

const helia = await createHelia({ libp2p })
await helia.start()

const server = createServer((request, response) => {
  if (request.url !== '/metrics') {
    response.writeHead(404).end()
    return
  }
  registry.metrics().then(
    body => { response.writeHead(200, { 'content-type': registry.contentType }).end(body) },
    error => { response.writeHead(500).end(String(error)) }
  )
})
await new Promise(resolve => server.listen(Number(process.env.METRICS_PORT ?? 0), '127.0.0.1', resolve))

console.log(`peer id ${helia.libp2p.peerId}`)
for (const address of helia.libp2p.getMultiaddrs()) console.log(`listening on ${address}`)
console.log(`metrics at http://127.0.0.1:${server.address().port}/metrics`)

async function stop () {
  await helia.stop()
  server.close()
  console.log('stopped')
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
