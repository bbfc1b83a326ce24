/**
 * Post-GC memory of another Node process, through its inspector (`node --inspect=127.0.0.1:0`):
 * the DevTools Protocol's HeapProfiler.collectGarbage (a full, compacting GC), then
 * process.memoryUsage() read with Runtime.evaluate. A sample taken this way holds only what
 * is reachable, so a series of them shows retained memory without the GC sawtooth of
 * heap-used samples.
 */
import WebSocket from 'ws'

/** The DevTools WebSocket URL Node prints on stderr when started with --inspect. */
export function inspectorUrl (stderr: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1]
}

export interface HeapUsage {
  /** V8 heap used (JS objects). */
  usedBytes: number
  totalBytes: number
  /** Memory outside the V8 heap held by JS objects (Buffer and ArrayBuffer contents among it). */
  externalBytes: number
  arrayBuffersBytes: number
}

interface Reply { id?: number, result?: unknown, error?: { message: string } }

export class HeapProbe {
  private readonly socket: WebSocket
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (result: unknown) => void, reject: (err: Error) => void }>()

  private constructor (socket: WebSocket) {
    this.socket = socket
    socket.on('message', (data: WebSocket.RawData) => {
      const reply = JSON.parse(data.toString()) as Reply
      if (reply.id === undefined) return // an event: none is enabled, none is needed
      const waiter = this.pending.get(reply.id)
      this.pending.delete(reply.id)
      if (reply.error !== undefined) waiter?.reject(new Error(`inspector: ${reply.error.message}`))
      else waiter?.resolve(reply.result)
    })
    socket.on('close', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('inspector connection closed'))
      this.pending.clear()
    })
  }

  static async connect (url: string, timeoutMs = 10_000): Promise<HeapProbe> {
    const socket = new WebSocket(url, { handshakeTimeout: timeoutMs, perMessageDeflate: false })
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => { resolve() })
      socket.once('error', reject)
    })
    return new HeapProbe(socket)
  }

  /** One DevTools Protocol call; fails after `timeoutMs` (a stuck target must not hang the soak). */
  private async call (method: string, params: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<unknown> {
    const id = this.nextId++
    let timer: NodeJS.Timeout | undefined
    const reply = new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`inspector: ${method} got no answer within ${timeoutMs} ms`))
      }, timeoutMs)
    })
    this.socket.send(JSON.stringify({ id, method, params }))
    try {
      return await reply
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * Collects garbage in the target, then reads its memory: what is left is retained. The V8
   * heap alone misses Buffer contents (they live outside it), hence process.memoryUsage()
   * evaluated in the target, which reports both.
   */
  async postGcHeap (): Promise<HeapUsage> {
    await this.call('HeapProfiler.collectGarbage')
    const reply = await this.call('Runtime.evaluate', { expression: 'process.memoryUsage()', returnByValue: true }) as
      { result: { value?: { heapUsed: number, heapTotal: number, external: number, arrayBuffers: number } }, exceptionDetails?: { text: string } }
    const usage = reply.result.value
    if (usage === undefined) throw new Error(`inspector: process.memoryUsage() failed: ${reply.exceptionDetails?.text ?? 'no value'}`)
    return { usedBytes: usage.heapUsed, totalBytes: usage.heapTotal, externalBytes: usage.external, arrayBuffersBytes: usage.arrayBuffers }
  }

  /** Disconnects (before the target exits: Node waits for an attached debugger to leave). */
  async close (): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return
    await new Promise<void>(resolve => {
      this.socket.once('close', () => { resolve() })
      this.socket.close()
    })
  }
}
