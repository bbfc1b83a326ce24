/**
 * The swarm: N peers split into shards, run in this process (workers = 0) or in forked
 * processes (one shard each), so thousands of peers spread over the machine's cores.
 * Shard s runs the peers whose index mod W is s; the dial rate is split evenly.
 */
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { mergeTruths } from './ground-truth.js'
import { SwarmShard } from './shard.js'
import type { GroundTruth } from './ground-truth.js'
import type { PlanOptions } from './plan.js'
import type { ShardOptions } from './shard.js'
import type { FromShard, ToShard } from './worker-protocol.js'
import type { ChildProcess } from 'node:child_process'

export interface SwarmOptions extends PlanOptions {
  /** Dials per second across the whole swarm; 0: unpaced. */
  dialRate: number
  /** Shard processes; 0 runs every peer in this process. */
  workers: number
  /** First listen port of the listeners (listener k gets base + k); 0: OS-chosen. */
  listenPortBase: number
}

export interface ListeningPeer {
  index: number
  /** Multiaddrs with /p2p/<peer-id>, ready for --p2p.bootstrap. */
  addrs: string[]
}

export interface RunningSwarm {
  readonly peers: number
  /** The listening peers, for the target to dial (e.g. as its bootstrap peers). */
  readonly listeners: ListeningPeer[]
  /** Process ids of the shard processes (empty when in-process). */
  readonly pids: number[]
  /** Starts every peer's schedule against the target's multiaddrs (with /p2p/<peer-id>). */
  run: (target: readonly string[]) => void
  /** The ground truth so far. */
  truth: () => Promise<GroundTruth>
  /** Stops every schedule, hangs every peer up and waits for the closes; the final ground truth. */
  stop: () => Promise<GroundTruth>
}

interface ShardHandle {
  listeners: ListeningPeer[]
  pid: number | undefined
  run: (target: readonly string[]) => void
  truth: () => Promise<GroundTruth>
  stop: () => Promise<GroundTruth>
}

export async function startSwarm (options: SwarmOptions): Promise<RunningSwarm> {
  const shards = Math.max(1, Math.min(options.workers, options.peers))
  const shardOptions: ShardOptions[] = Array.from({ length: shards }, (_, s) => ({
    plan: planOptionsOf(options),
    indices: Array.from({ length: options.peers }, (_, i) => i).filter(i => i % shards === s),
    dialRate: options.dialRate / shards,
    listenPortBase: options.listenPortBase
  }))
  const started = await Promise.allSettled(shardOptions.map(async o => options.workers === 0 ? await localShard(o) : await forkedShard(o)))
  const handles = started.flatMap(s => s.status === 'fulfilled' ? [s.value] : [])
  const failure = started.find(s => s.status === 'rejected')
  if (failure !== undefined) {
    await Promise.allSettled(handles.map(async h => await h.stop()))
    throw (failure as PromiseRejectedResult).reason
  }
  let stopping: Promise<GroundTruth> | undefined
  return {
    peers: options.peers,
    listeners: handles.flatMap(h => h.listeners).sort((a, b) => a.index - b.index),
    pids: handles.flatMap(h => h.pid === undefined ? [] : [h.pid]),
    run: (target) => { for (const h of handles) h.run(target) },
    truth: async () => mergeTruths(await Promise.all(handles.map(async h => await h.truth()))),
    stop: async () => {
      stopping ??= (async () => mergeTruths(await Promise.all(handles.map(async h => await h.stop()))))()
      return await stopping
    }
  }
}

function planOptionsOf (o: SwarmOptions): PlanOptions {
  return {
    seed: o.seed,
    peers: o.peers,
    listenRatio: o.listenRatio,
    flapRatio: o.flapRatio,
    longLivedRatio: o.longLivedRatio,
    timeScale: o.timeScale,
    minSessionMs: o.minSessionMs
  }
}

async function localShard (options: ShardOptions): Promise<ShardHandle> {
  const shard = await SwarmShard.start(options)
  return {
    listeners: shard.listeners(),
    pid: undefined,
    run: (target) => { shard.run(target) },
    truth: async () => shard.truth(),
    stop: async () => await shard.stop()
  }
}

/** The compiled worker: next to this file when running from dist/, else dist/swarm/worker.js. */
export function workerScript (): string {
  const here = fileURLToPath(import.meta.url)
  const path = here.endsWith('.ts')
    ? fileURLToPath(new URL('../../dist/swarm/worker.js', import.meta.url))
    : fileURLToPath(new URL('./worker.js', import.meta.url))
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build first`)
  return path
}

async function forkedShard (options: ShardOptions): Promise<ShardHandle> {
  const child: ChildProcess = fork(workerScript(), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] })
  const send = (message: ToShard): void => { if (child.connected) child.send(message) }
  let exited = false
  const exit = new Promise<void>(resolve => child.once('exit', () => { exited = true; resolve() }))
  const pending = new Map<number, (truth: GroundTruth) => void>()
  let nextId = 0
  let lastTruth: GroundTruth | undefined
  let onStopped: ((truth: GroundTruth) => void) | undefined

  const listeners = await new Promise<ListeningPeer[]>((resolve, reject) => {
    child.on('message', (message: FromShard) => {
      switch (message.type) {
        case 'started': resolve(message.listeners); break
        case 'failed': reject(new Error(`swarm shard failed: ${message.message}`)); break
        case 'truth': lastTruth = message.truth; pending.get(message.id)?.(message.truth); pending.delete(message.id); break
        case 'stopped': lastTruth = message.truth; onStopped?.(message.truth); break
      }
    })
    void exit.then(() => { reject(new Error('swarm shard exited before starting')) })
    send({ type: 'start', options })
  })

  let stopping: Promise<GroundTruth> | undefined
  const emptyOr = (t: GroundTruth | undefined): GroundTruth => t ?? mergeTruths([])
  return {
    listeners,
    pid: child.pid,
    run: (target) => { send({ type: 'run', target: [...target] }) },
    truth: async () => {
      if (exited) return emptyOr(lastTruth)
      const id = nextId++
      return await new Promise<GroundTruth>(resolve => {
        pending.set(id, resolve)
        void exit.then(() => { resolve(emptyOr(lastTruth)) })
        send({ type: 'truth', id })
      })
    },
    stop: async () => {
      stopping ??= (async () => {
        if (exited) return emptyOr(lastTruth)
        const stopped = new Promise<GroundTruth>(resolve => { onStopped = resolve })
        send({ type: 'stop' })
        const truth = await Promise.race([stopped, exit.then(() => emptyOr(lastTruth))])
        await exit
        return truth
      })()
      return await stopping
    }
  }
}
