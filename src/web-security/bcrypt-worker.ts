/**
 * bcrypt comparisons off the main thread. bcryptjs is pure JavaScript: one comparison at cost
 * 10 is ~90 ms of CPU, and its "async" form runs in 100 ms slices on the event loop, so wrong
 * passwords arriving together would stall every other request. Here they run one at a time
 * in a single worker thread (so bcrypt never takes more than one core); the event loop only
 * posts messages. If the worker cannot run, comparisons fall back to bcryptjs in process.
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import bcrypt from 'bcryptjs'

/** Compares a password with a bcrypt hash; false for a malformed hash. */
export type PasswordCompare = (password: string, hash: string) => Promise<boolean>

// CommonJS (an eval worker), loading the same bcryptjs as the main thread.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const bcrypt = require(workerData.bcryptjs)
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false
  try { ok = bcrypt.compareSync(password, hash) === true } catch {}
  parentPort.postMessage({ id, ok })
})
`

interface Pending {
  password: string
  hash: string
  resolve: (ok: boolean | Promise<boolean>) => void
}

export class BcryptWorker {
  private worker: Worker | undefined
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  /** Comparisons that ran in process because the worker was not available. */
  fallbacks = 0

  readonly compare: PasswordCompare = async (password, hash) => await new Promise<boolean>((resolve) => {
    const worker = this.ensureWorker()
    if (worker === undefined) {
      this.fallbacks++
      resolve(inProcessCompare(password, hash))
      return
    }
    const id = this.nextId++
    this.pending.set(id, { password, hash, resolve })
    if (this.pending.size === 1) worker.ref()
    worker.postMessage({ id, password, hash })
  })

  /** Stops the worker (tests); later comparisons start a new one. */
  async close (): Promise<void> {
    const worker = this.worker
    this.worker = undefined
    if (worker !== undefined) await worker.terminate()
  }

  private ensureWorker (): Worker | undefined {
    if (this.worker !== undefined) return this.worker
    let worker: Worker
    try {
      const bcryptjs = createRequire(import.meta.url).resolve('bcryptjs')
      worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptjs }, resourceLimits: { maxOldGenerationSizeMb: 32 } })
    } catch {
      return undefined
    }
    worker.unref()
    worker.on('message', (message: { id: number, ok: boolean }) => {
      const entry = this.pending.get(message.id)
      if (entry === undefined) return
      this.pending.delete(message.id)
      if (this.pending.size === 0) worker.unref()
      entry.resolve(message.ok)
    })
    const failed = (): void => {
      if (this.worker === worker) this.worker = undefined
      // What the worker did not answer runs in process; the next comparison starts a new worker.
      const stranded = [...this.pending.values()]
      this.pending.clear()
      for (const entry of stranded) {
        this.fallbacks++
        entry.resolve(inProcessCompare(entry.password, entry.hash))
      }
    }
    worker.on('error', failed)
    worker.on('exit', failed)
    this.worker = worker
    return worker
  }
}

async function inProcessCompare (password: string, hash: string): Promise<boolean> {
  try {
    return await bcrypt.compare(password, hash)
  } catch {
    return false
  }
}

let shared: BcryptWorker | undefined
/** The process' one bcrypt worker. */
export function sharedBcryptWorker (): BcryptWorker {
  shared ??= new BcryptWorker()
  return shared
}
