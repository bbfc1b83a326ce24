/**
 * The swarm's options from raw flag strings: defaults and validation, every error a
 * ConfigError naming its flag (the CLI prints it as one line and exits 2).
 */
import { multiaddr } from '@multiformats/multiaddr'
import { ConfigError } from '../config/config-error.js'
import { parseCount, parseDuration, peerIdOfMultiaddr } from '../config/values.js'
import { PLAN_DEFAULTS } from './plan.js'
import type { SwarmOptions } from './swarm.js'

export interface RawSwarmOptions {
  peers?: string
  seed?: string
  duration?: string
  dialRate?: string
  workers?: string
  listenRatio?: string
  flapRatio?: string
  longLivedRatio?: string
  timeScale?: string
  minSession?: string
  listenPortBase?: string
}

/** Peers one shard process holds by default when --workers is auto. */
export const PEERS_PER_WORKER = 500

export const SWARM_DEFAULTS = {
  seed: '1',
  duration: '0',
  dialRate: '20',
  workers: 'auto',
  listenPortBase: '0',
  minSession: `${PLAN_DEFAULTS.minSessionMs}ms`
} as const

export interface ParsedSwarmOptions {
  swarm: SwarmOptions
  /** How long to run, ms; 0 until stopped. */
  durationMs: number
}

export function parseSwarmOptions (raw: RawSwarmOptions): ParsedSwarmOptions {
  if (raw.peers === undefined) throw new ConfigError('--peers: required (how many peers to run)')
  const peers = parseCount('--peers', raw.peers, 1)
  if (peers > 20_000) throw new ConfigError(`--peers: at most 20000 on one machine, got ${peers}`)
  const workersRaw = raw.workers ?? SWARM_DEFAULTS.workers
  const workers = workersRaw === 'auto' ? autoWorkers(peers) : parseCount('--workers', workersRaw, 0)
  const seed = raw.seed ?? SWARM_DEFAULTS.seed
  if (seed.trim() === '') throw new ConfigError('--seed: must not be empty')
  const listenPortBase = parseCount('--listen-port-base', raw.listenPortBase ?? SWARM_DEFAULTS.listenPortBase, 0)
  if (listenPortBase > 65535) throw new ConfigError(`--listen-port-base: ${listenPortBase} is out of range 0-65535`)
  return {
    swarm: {
      seed,
      peers,
      listenRatio: parseRatio('--listen-ratio', raw.listenRatio, PLAN_DEFAULTS.listenRatio),
      flapRatio: parseRatio('--flap-ratio', raw.flapRatio, PLAN_DEFAULTS.flapRatio),
      longLivedRatio: parseRatio('--long-lived-ratio', raw.longLivedRatio, PLAN_DEFAULTS.longLivedRatio),
      timeScale: parsePositive('--time-scale', raw.timeScale, PLAN_DEFAULTS.timeScale),
      minSessionMs: parseDuration('--min-session', raw.minSession ?? SWARM_DEFAULTS.minSession),
      dialRate: parseCount('--dial-rate', raw.dialRate ?? SWARM_DEFAULTS.dialRate, 0),
      workers: Math.min(workers, peers),
      listenPortBase
    },
    durationMs: parseDuration('--duration', raw.duration ?? SWARM_DEFAULTS.duration)
  }
}

/** In this process up to PEERS_PER_WORKER peers; beyond, one process per PEERS_PER_WORKER. */
export function autoWorkers (peers: number): number {
  return peers <= PEERS_PER_WORKER ? 0 : Math.ceil(peers / PEERS_PER_WORKER)
}

/** The target's multiaddrs: valid, each ending in /p2p/<peer-id>, all the same peer. */
export function parseTarget (values: readonly string[] | undefined): string[] {
  const list = (values ?? []).flatMap(v => v.split(',')).map(v => v.trim()).filter(v => v !== '')
  if (list.length === 0) throw new ConfigError('--target: required (the tracker\'s multiaddr with /p2p/<peer-id>)')
  const peerIds = new Set<string>()
  for (const value of list) {
    try {
      multiaddr(value)
    } catch {
      throw new ConfigError(`--target: "${value}" is not a valid multiaddr`)
    }
    const peerId = peerIdOfMultiaddr(value)
    if (peerId === undefined) throw new ConfigError(`--target: "${value}" has no /p2p/<peer-id> part`)
    peerIds.add(peerId)
  }
  if (peerIds.size > 1) throw new ConfigError('--target: the addresses name different peers; the swarm has one target')
  return list
}

function parseRatio (flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value.trim())
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new ConfigError(`${flag}: "${value}" is not a number from 0 to 1`)
  return n
}

function parsePositive (flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value.trim())
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new ConfigError(`${flag}: "${value}" is not a positive number`)
  return n
}
