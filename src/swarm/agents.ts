/**
 * Agent versions the swarm's peers announce through identify: the clients seen on the public
 * IPFS and Ethereum networks, in rough proportion, plus strings no table knows.
 */
import type { Prng } from './prng.js'

const KNOWN: ReadonlyArray<readonly [(r: Prng) => string, number]> = [
  [() => 'kubo/0.29.0/3f0947b', 30],
  [() => 'kubo/0.32.1/', 10],
  [() => 'go-libp2p/0.36.1', 12],
  [() => 'rust-libp2p/0.54.0', 8],
  [r => `lighthouse/v5.3.0-${hex(r, 7)}/x86_64-linux`, 10],
  [() => 'lodestar/v1.22.0/4b6c7d4', 8],
  [r => `js-libp2p/2.${r.int(0, 8)}.${r.int(0, 12)} UserAgent=v20.19.0`, 12],
  [r => unknownAgent(r), 10]
]

/** An agent version string for one peer. */
export function drawAgentVersion (r: Prng): string {
  return r.weighted(KNOWN)(r)
}

function hex (r: Prng, length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += '0123456789abcdef'[r.int(0, 15)] as string
  return out
}

const UNKNOWN_NAMES = ['storm', 'edgevpn', 'hydra-booster', 'crawler', 'my-node', 'nim-libp2p', 'zig-p2p', '']

/** Something a real network carries too: a name nobody maps, a bare version, or garbage. */
function unknownAgent (r: Prng): string {
  const name = UNKNOWN_NAMES[r.int(0, UNKNOWN_NAMES.length - 1)] as string
  return name === '' ? `unknown-${hex(r, 6)}` : `${name}/${r.int(0, 3)}.${r.int(0, 20)}.${r.int(0, 9)}`
}
