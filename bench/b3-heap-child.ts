/**
 * B3, run in its own process with --expose-gc: the heap a PeerAccount holds per connected
 * peer, including the peer ID and address strings it keeps (they would be garbage otherwise).
 * `b3-heap-child.ts N [tracker|insight]`:
 *   tracker  the pure account alone (B3 as before);
 *   insight  the account with PeerInsight at its defaults observing it (per-peer history of
 *            10,000 peers x 10 sessions, IP index, agent and protocol classes, RTT), each peer
 *            also identified (an agent string and a 6-protocol list of its own, as identify
 *            decodes them) and given an RTT sample. The fixed part (the 1 MiB seen-peers
 *            Bloom filter, histograms) is created before the baseline and reported apart.
 * Prints one JSON line: { peers, mode, bytesPerPeer, fixedHeapBytes, fixedArrayBufferBytes }.
 */
import { PeerInsight } from '../src/insight/peer-insight.js'
import { PeerAccount } from '../src/tracker/peer-account.js'
import { syntheticConnection } from './synthetic.js'

const peers = Number(process.argv[2] ?? 100_000)
const mode = (process.argv[3] ?? 'tracker') as 'tracker' | 'insight'
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc')
const settle = (): void => { for (let i = 0; i < 4; i++) gc() }

settle()
const m0 = process.memoryUsage()
const insight = mode === 'insight' ? new PeerInsight() : undefined
const tracker = new PeerAccount({ now: () => Date.now() }, [], insight)
settle()
const m1 = process.memoryUsage()
const decoded = (s: string): string => Buffer.from(s).toString('utf8')
const protocols = ['/ipfs/id/1.0.0', '/ipfs/id/push/1.0.0', '/ipfs/ping/1.0.0', '/ipfs/kad/1.0.0', '/libp2p/circuit/relay/0.2.0/stop', '/ipfs/bitswap/1.2.0']
for (let i = 0; i < peers; i++) {
  const opened = syntheticConnection(i)
  tracker.connectionOpened(opened)
  if (insight !== undefined) {
    // Fresh strings per peer, as identify decodes them from each peer's message.
    tracker.peerIdentified(opened.peerId, decoded(`kubo/0.38.${i % 7}/`), protocols.map(decoded))
    const session = tracker.session(opened.peerId)
    if (session !== undefined) insight.rttSampled(session, 20 + (i % 50))
  }
}
settle()
const m2 = process.memoryUsage()
if (tracker.connectedPeers !== peers) throw new Error('B3: lost count')
process.stdout.write(JSON.stringify({
  peers,
  mode,
  bytesPerPeer: (m2.heapUsed - m1.heapUsed) / peers,
  fixedHeapBytes: m1.heapUsed - m0.heapUsed,
  fixedArrayBufferBytes: m1.arrayBuffers - m0.arrayBuffers
}) + '\n')
