// A Helia 7 node with Helia's own default libp2p stack (transports, Noise and TLS, yamux and
// mplex, identify, ping, kad-dht, autoNAT, ...), run as a child process on Node 22 by the
// interop test. Only two things differ from the defaults, to keep the test hermetic: it listens
// on 127.0.0.1 only, and it discovers no peers by itself (no bootstrap list, no mDNS).
//
//   node helia-peer.mjs <multiaddr to dial>
//
// It prints one JSON line per step on stdout ({"event":"started"|"connected"|"stopped", ...}),
// stops its node when it reads "stop" on stdin (or its stdin closes), and then exits by itself.
import { libp2pDefaults } from '@helia/libp2p'
import { multiaddr } from '@multiformats/multiaddr'
import { createHelia } from 'helia'

const target = process.argv[2]
if (target === undefined) {
  console.error('usage: helia-peer.mjs <multiaddr>')
  process.exit(2)
}

const say = (event, details = {}) => { process.stdout.write(JSON.stringify({ event, ...details }) + '\n') }

const libp2p = libp2pDefaults()
libp2p.addresses = { listen: ['/ip4/127.0.0.1/tcp/0'] }
libp2p.peerDiscovery = []

const helia = await createHelia({ libp2p })
await helia.start()
say('started', { peerId: helia.libp2p.peerId.toString() })

const connection = await helia.libp2p.dial(multiaddr(target), { signal: AbortSignal.timeout(30_000) })
say('connected', { remotePeer: connection.remotePeer.toString() })

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  await helia.stop()
  say('stopped')
  process.stdin.pause()
}
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk) => { if (chunk.includes('stop')) void stop() })
process.stdin.on('end', () => { void stop() })
