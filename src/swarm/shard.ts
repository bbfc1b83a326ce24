/**
 * A shard: the part of the swarm one process runs. Peers are taken by index from the plan
 * (every peer's profile and schedule depend only on the seed and its index), so the swarm
 * behaves the same whether it runs in one process or across several.
 */
import { setMaxListeners } from 'node:events'
import { truthOf } from './ground-truth.js'
import { DialPacer } from './pacer.js'
import { PeerRunner } from './peer-runner.js'
import { planPeers } from './plan.js'
import type { GroundTruth } from './ground-truth.js'
import type { PlanOptions } from './plan.js'

export interface ShardOptions {
  plan: PlanOptions
  /** The peer indices this shard runs. */
  indices: number[]
  /** Dials per second this shard may start (its share of the swarm's rate). */
  dialRate: number
  /** First listen port for listeners (listener k of the whole swarm gets base + k); 0: OS-chosen. */
  listenPortBase: number
}

/** Nodes created at once while a shard starts. */
const START_CONCURRENCY = 16

export class SwarmShard {
  private readonly runners: PeerRunner[]
  private readonly pacer: DialPacer
  private readonly abort = new AbortController()
  private loops: Array<Promise<void>> = []
  private stopping: Promise<GroundTruth> | undefined

  private constructor (runners: PeerRunner[], dialRate: number) {
    this.runners = runners
    this.pacer = new DialPacer(dialRate)
    // Every peer's sleeps and dials listen on this one signal.
    setMaxListeners(Infinity, this.abort.signal)
  }

  /** Creates and starts the shard's nodes; listeners listen when this resolves. */
  static async start (options: ShardOptions): Promise<SwarmShard> {
    const profiles = planPeers(options.plan)
    const listenerRank = new Map(profiles.filter(p => p.role === 'listener').map((p, rank) => [p.index, rank]))
    const mine = options.indices.map(i => profiles[i]).filter(p => p !== undefined)
    const runners: PeerRunner[] = new Array(mine.length)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < mine.length) {
        const k = next++
        const profile = mine[k]!
        const rank = listenerRank.get(profile.index)
        runners[k] = await PeerRunner.start(profile, {
          seed: options.plan.seed,
          plan: options.plan,
          listenPort: options.listenPortBase > 0 && rank !== undefined ? options.listenPortBase + rank : 0
        })
      }
    }
    try {
      await Promise.all(Array.from({ length: Math.min(START_CONCURRENCY, mine.length) }, worker))
    } catch (err) {
      await Promise.allSettled(runners.filter(r => r !== undefined).map(async r => { await r.stop(1000) }))
      throw err
    }
    return new SwarmShard(runners, options.dialRate)
  }

  /** Multiaddrs (with /p2p/) of this shard's listeners, by peer index. */
  listeners (): Array<{ index: number, addrs: string[] }> {
    return this.runners
      .filter(r => r.profile.role === 'listener')
      .map(r => ({ index: r.profile.index, addrs: r.listenAddrs() }))
  }

  /** Starts every peer's schedule against the target (its multiaddrs, with /p2p/). */
  run (target: readonly string[]): void {
    if (this.loops.length > 0) return
    this.loops = this.runners.map(async r => {
      try {
        await r.run(target, this.pacer, this.abort.signal)
      } catch {
        // A peer whose loop breaks stops churning; its ledger still holds what it saw.
      }
    })
  }

  truth (): GroundTruth {
    return truthOf(this.runners.map(r => r.ledger))
  }

  /** Ends every schedule, hangs every peer up, waits for the closes, stops the nodes. */
  async stop (): Promise<GroundTruth> {
    this.stopping ??= (async () => {
      this.abort.abort()
      await Promise.all(this.loops)
      const queue = [...this.runners]
      await Promise.all(Array.from({ length: Math.min(START_CONCURRENCY * 4, queue.length) }, async () => {
        for (let r = queue.shift(); r !== undefined; r = queue.shift()) {
          try { await r.stop() } catch { /* a node that fails to stop is gone anyway */ }
        }
      }))
      return this.truth()
    })()
    return await this.stopping
  }
}
