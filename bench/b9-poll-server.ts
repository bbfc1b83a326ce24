/**
 * B9's stand-in API, in its own process so its CPU is not counted as the tracker's: a Beacon
 * API (Lodestar's peers endpoint) or Kubo RPC with N peers (Kubo: 2 connections each for a
 * tenth of them, identify on), 1 % of the peers replaced every 100 ms. Prints its URL.
 *   tsx bench/b9-poll-server.ts beacon-api|kubo-rpc N
 */
import { beaconStandIn, kuboStandIn } from '../test/integration/source-stand-in.js'

const [kind = 'beacon-api', count = '200'] = process.argv.slice(2)
const peers = Number(count)
const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
let seed = 42
function peerId (prefix: string): string {
  let id = prefix
  while (id.length < 53) { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; id += B58[seed % 58] as string }
  return id
}
const PROTOCOLS = ['/ipfs/id/1.0.0', '/ipfs/id/push/1.0.0', '/ipfs/ping/1.0.0', '/ipfs/kad/1.0.0', '/ipfs/bitswap/1.2.0', '/ipfs/bitswap/1.1.0', '/ipfs/bitswap/1.0.0', '/ipfs/bitswap', '/libp2p/circuit/relay/0.2.0/stop', '/libp2p/autonat/1.0.0', '/meshsub/1.1.0', '/x/']

if (kind === 'kubo-rpc') {
  const standIn = kuboStandIn({ peerId: peerId('12D3KooW') })
  const conns = (id: string, i: number): typeof standIn.conns => {
    const one = { Addr: `/ip4/10.${i >> 16 & 255}.${i >> 8 & 255}.${i & 255}/tcp/4001`, Peer: id, Direction: 1 + (i % 2), Latency: `${(i % 90) + 1}.${i % 10}ms`, AgentVersion: 'kubo/0.32.1/', Protocols: PROTOCOLS, Streams: [{ Protocol: '/ipfs/bitswap/1.2.0' }, { Protocol: '/ipfs/kad/1.0.0' }] }
    return i % 10 === 0 ? [one, { ...one, Addr: one.Addr.replace('/tcp/4001', '/udp/4001/quic-v1') }] : [one]
  }
  let next = 0
  for (; next < peers; next++) standIn.conns.push(...conns(peerId('12D3KooW'), next))
  setInterval(() => {
    for (let k = 0; k < Math.max(1, peers / 100); k++) {
      const gone = standIn.conns[0]?.Peer
      standIn.conns = standIn.conns.filter(c => c.Peer !== gone)
      standIn.conns.push(...conns(peerId('12D3KooW'), next++))
    }
  }, 100)
  await standIn.start()
  process.stdout.write(`${standIn.url}\n`)
} else {
  const standIn = beaconStandIn({ peerId: peerId('16Uiu2HAm') })
  const peer = (i: number): (typeof standIn.peers)[number] => ({ peer_id: peerId('16Uiu2HAm'), last_seen_p2p_address: `/ip4/10.${i >> 16 & 255}.${i >> 8 & 255}.${i & 255}/tcp/9000`, direction: i % 3 === 0 ? 'inbound' : 'outbound', agent_version: `Lighthouse/v5.${i % 4}.0-abc/x86_64-linux` })
  let next = 0
  for (; next < peers; next++) standIn.peers.push(peer(next))
  setInterval(() => {
    for (let k = 0; k < Math.max(1, peers / 100); k++) { standIn.peers.shift(); standIn.peers.push(peer(next++)) }
  }, 100)
  await standIn.start()
  process.stdout.write(`${standIn.url}\n`)
}
