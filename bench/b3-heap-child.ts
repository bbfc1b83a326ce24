/**
 * B3, run in its own process with --expose-gc: the heap a PeerTracker holds per connected
 * peer, including the peer ID and address strings it keeps (they would be garbage otherwise).
 * Prints one JSON line: { peers, bytesPerPeer }.
 */
import { PeerTracker } from '../src/tracker/peer-tracker.js'
import { syntheticConnection } from './synthetic.js'

const peers = Number(process.argv[2] ?? 100_000)
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc')
const settle = (): void => { for (let i = 0; i < 4; i++) gc() }

settle()
const before = process.memoryUsage().heapUsed
const tracker = new PeerTracker({ now: () => Date.now() })
for (let i = 0; i < peers; i++) tracker.connectionOpened(syntheticConnection(i))
settle()
const after = process.memoryUsage().heapUsed
if (tracker.connectedPeers !== peers) throw new Error('B3: lost count')
process.stdout.write(JSON.stringify({ peers, bytesPerPeer: (after - before) / peers }) + '\n')
