/**
 * The swarm's schedule, a pure function of the seed: who each peer is (role, behaviour,
 * muxers, agent, identity seed) and the sequence of its sessions (time offline, then time
 * online). Real time only enters when a peer runs the plan (peer-runner.ts).
 */
import { drawAgentVersion } from './agents.js'
import { Prng } from './prng.js'

export type SwarmMuxer = 'yamux' | 'mplex'

/** dialer: dials the target. listener: listens so the target dials it (bootstrap or direct dial). */
export type PeerRole = 'dialer' | 'listener'

/** churner: heavy-tailed sessions; flapper: reconnects every few seconds; long-lived: stays. */
export type PeerBehaviour = 'churner' | 'flapper' | 'long-lived'

export interface PlanOptions {
  seed: string
  peers: number
  /** Fraction of peers that listen and wait to be dialled by the target. */
  listenRatio: number
  /** Fraction of peers that flap (at least one when there are 5 peers or more). */
  flapRatio: number
  /** Fraction of peers that stay connected for the whole run (at least one when there are 5 or more). */
  longLivedRatio: number
  /** Multiplies every duration: 1 is real pace, 0.05 runs a minute's churn in 3 s. */
  timeScale: number
  /** No session is planned shorter than this (ms, after scaling): a handshake must finish first. */
  minSessionMs: number
}

export const PLAN_DEFAULTS: Omit<PlanOptions, 'seed' | 'peers'> = {
  listenRatio: 0.2,
  flapRatio: 0.1,
  longLivedRatio: 0.1,
  timeScale: 1,
  minSessionMs: 250
}

export interface PeerProfile {
  index: number
  role: PeerRole
  behaviour: PeerBehaviour
  muxers: SwarmMuxer[]
  agentVersion: string
  /** 32 bytes (hex) for the peer's Ed25519 key: the same seed gives the same peer IDs. */
  keySeed: string
}

/** One step of a peer's schedule: wait offline, then stay connected. */
export interface SessionStep {
  offlineMs: number
  /** Infinity: stay until the swarm stops. */
  onlineMs: number
}

/**
 * Peers offering both muxers list yamux first. Not mplex first: with @chainsafe/libp2p-noise
 * 17.0.0's early muxer negotiation an mplex-first dialer and a yamux-first listener each pick
 * the other's first choice (the dialer runs yamux, the listener mplex) on the same connection.
 */
const MUXER_MIX: ReadonlyArray<readonly [SwarmMuxer[], number]> = [
  [['yamux'], 4],
  [['mplex'], 2],
  [['yamux', 'mplex'], 4]
]

/** Every peer's profile; peer i's profile depends only on (seed, i, counts). */
export function planPeers (options: PlanOptions): PeerProfile[] {
  const n = options.peers
  const atLeastOne = (ratio: number): number => Math.min(n, Math.max(n >= 5 && ratio > 0 ? 1 : 0, Math.round(n * ratio)))
  const flappers = atLeastOne(options.flapRatio)
  const longLived = Math.min(n - flappers, atLeastOne(options.longLivedRatio))
  const listeners = Math.min(n, Math.round(n * options.listenRatio))
  // Behaviours and roles are spread over the indices (not blocks), so a shard taking every
  // k-th peer still gets a mix.
  const roleOrder = new Prng(`${options.seed}/roles`)
  const listenerSet = new Set(shuffle(range(n), roleOrder).slice(0, listeners))
  const behaviourOrder = shuffle(range(n), new Prng(`${options.seed}/behaviours`))
  const behaviourOf = new Map<number, PeerBehaviour>()
  behaviourOrder.forEach((index, rank) => {
    behaviourOf.set(index, rank < flappers ? 'flapper' : rank < flappers + longLived ? 'long-lived' : 'churner')
  })
  return range(n).map(index => {
    const r = new Prng(`${options.seed}/peer/${index}`)
    return {
      index,
      role: listenerSet.has(index) ? 'listener' : 'dialer',
      behaviour: behaviourOf.get(index) as PeerBehaviour,
      muxers: [...r.weighted(MUXER_MIX)],
      agentVersion: drawAgentVersion(r),
      keySeed: toHex(r.bytes(32))
    }
  })
}

/**
 * A peer's sessions, one after another, forever (the runner stops taking them when the run
 * ends). Churners: log-normal time online (median 20 s, sigma 1.2, a heavy tail of hours),
 * exponential time offline (mean 8 s). Flappers: 1-3 s online, 0.5-2 s offline. Long-lived:
 * online for the whole run. The first offline time is spread over a few seconds so the
 * swarm does not dial all at once.
 */
export function * sessionSteps (seed: string, profile: PeerProfile, options: Pick<PlanOptions, 'timeScale' | 'minSessionMs'>): Generator<SessionStep, never> {
  const r = new Prng(`${seed}/sessions/${profile.index}`)
  const scale = options.timeScale
  const online = (ms: number): number => Math.max(options.minSessionMs, Math.round(ms * scale))
  const offline = (ms: number): number => Math.max(0, Math.round(ms * scale))
  let first = true
  while (true) {
    const startSpread = first ? r.uniform(0, 5000) : undefined
    first = false
    switch (profile.behaviour) {
      case 'long-lived':
        yield { offlineMs: offline(startSpread ?? r.uniform(500, 2000)), onlineMs: Infinity }
        break
      case 'flapper':
        yield { offlineMs: offline(startSpread ?? r.uniform(500, 2000)), onlineMs: online(r.uniform(1000, 3000)) }
        break
      case 'churner':
        yield { offlineMs: offline(startSpread ?? r.exponential(8000)), onlineMs: online(Math.min(6 * 3600_000, r.logNormal(20_000, 1.2))) }
        break
    }
  }
}

function range (n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}

/** Fisher-Yates, in place. */
function shuffle<T> (items: T[], r: Prng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = r.int(0, i)
    const t = items[i] as T
    items[i] = items[j] as T
    items[j] = t
  }
  return items
}

function toHex (bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}
