/**
 * Synthetic peers for the in-process benchmarks: peer IDs and addresses shaped like real ones
 * (52-character base58 Ed25519 peer IDs, /ip4/.../tcp/... addresses), fed straight into the
 * real PeerAccount.
 */
import { PeerAccount } from '../src/tracker/peer-account.js'
import type { OpenedConnection } from '../src/tracker/peer-account.js'
import type { Clock } from '../src/tracker/clock.js'

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

/**
 * A flat copy of a string. Strings built by += or template literals are V8 ropes (a tree of
 * pieces, ~32 bytes a node) until something flattens them; libp2p hands the tracker flat
 * ones, so the benchmarks must too (a 52-character rope peer ID alone costs over 1 KiB).
 */
function flat (text: string): string {
  return Buffer.from(text, 'latin1').toString('latin1')
}

/** Unique per i: 36 pseudo-random characters, then i in base58 (8 characters). */
export function syntheticPeerId (i: number): string {
  let out = '12D3KooW'
  let x = (i + 1) | 0
  for (let k = 0; k < 36; k++) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) ^ (k * 0x9e3779b9)
    out += BASE58[(x >>> 8) % 58] as string
  }
  let n = i
  let tail = ''
  for (let k = 0; k < 8; k++) { tail = (BASE58[n % 58] as string) + tail; n = Math.floor(n / 58) }
  return flat(out + tail)
}

export function syntheticConnection (i: number, peer = i): OpenedConnection {
  return {
    id: flat(`c${i}`),
    peerId: syntheticPeerId(peer),
    remoteAddr: flat(`/ip4/10.${(peer >> 16) & 255}.${(peer >> 8) & 255}.${peer & 255}/tcp/${4001 + (i % 1000)}`),
    direction: i % 3 === 0 ? 'outbound' : 'inbound',
    transport: 'tcp',
    encryption: 'noise',
    muxer: i % 4 === 0 ? 'mplex' : 'yamux'
  }
}

/** A tracker holding `peers` connected peers, started one millisecond apart in the past. */
export function trackerWithPeers (peers: number, clock: Clock = { now: () => Date.now() }): PeerAccount {
  let t = Date.now() - peers - 1000
  const fill: Clock = { now: () => t++ }
  let current = fill
  const tracker = new PeerAccount({ now: () => current.now() })
  for (let i = 0; i < peers; i++) tracker.connectionOpened(syntheticConnection(i))
  current = clock
  return tracker
}
