// A plain js-libp2p node (TCP, Noise, yamux, identify, ping) with the peer tracker attached,
// its metrics in a prom-client registry served at /metrics by node:http.
//
//   npm install libp2p-peer-tracker libp2p @libp2p/tcp @chainsafe/libp2p-noise \
//     @chainsafe/libp2p-yamux @libp2p/identify @libp2p/ping prom-client
//   node libp2p-node.mjs            (METRICS_PORT=9089 node libp2p-node.mjs for a fixed port)
//
// Ctrl-C (or SIGTERM) stops the node and the server; the process then exits by itself.
import { createServer } from 'node:http'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { peerTracker } from 'libp2p-peer-tracker'
import { Registry } from 'prom-client'

const registry = new Registry()

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: {
    identify: identify(),
    ping: ping(),
    peerTracker: peerTracker({ registry })
  }
})

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

console.log(`peer id ${node.peerId}`)
for (const address of node.getMultiaddrs()) console.log(`listening on ${address}`)
console.log(`metrics at http://127.0.0.1:${server.address().port}/metrics`)

async function stop () {
  await node.stop()
  server.close()
  console.log('stopped')
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
