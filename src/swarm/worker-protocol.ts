/** Messages between the swarm and its shard processes (Node's IPC channel, JSON). */
import type { GroundTruth } from './ground-truth.js'
import type { ShardOptions } from './shard.js'

export type ToShard =
  | { type: 'start', options: ShardOptions }
  | { type: 'run', target: string[] }
  | { type: 'truth', id: number }
  | { type: 'stop' }

export type FromShard =
  | { type: 'started', listeners: Array<{ index: number, addrs: string[] }> }
  | { type: 'truth', id: number, truth: GroundTruth }
  | { type: 'stopped', truth: GroundTruth }
  | { type: 'failed', message: string }
