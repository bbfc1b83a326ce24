/**
 * Runs a RedialPlanner: dials the peers it names when it names them (one timer, re-armed for
 * the planner's next wake-up), tells it how each dial ended and which peers connected by
 * themselves, and stops when every peer is regained or given up, or when stopped.
 */
import { setMaxListeners } from 'node:events'
import { RedialPlanner } from './redial-planner.js'
import type { RedialOptions } from './redial-planner.js'

export interface RedialerOptions extends Partial<Omit<RedialOptions, 'maxConnections'>> {
  maxConnections: number
  /** Dials one peer by its ID (libp2p finds its addresses in the peer store); rejects on failure. */
  dial: (peerId: string, signal: AbortSignal) => Promise<void>
  /** Open connections now. */
  openConnections: () => number
  /** Whether a peer is connected now. */
  isConnected: (peerId: string) => boolean
  now?: () => number
  onDialError?: (peerId: string, err: unknown) => void
  /** Every peer regained or given up. */
  onDone?: (result: { regained: number, givenUp: number, dials: number }) => void
}

export class Redialer {
  readonly planner: RedialPlanner
  private readonly options: RedialerOptions
  private readonly now: () => number
  private readonly abort = new AbortController()
  private timer: ReturnType<typeof setTimeout> | undefined
  private running = false
  private finished = false
  /** Dials made (a peer found connected when its turn came is not dialled). */
  dials = 0

  constructor (peerIds: readonly string[], options: RedialerOptions) {
    this.options = options
    this.now = options.now ?? Date.now
    this.planner = new RedialPlanner(peerIds, this.now(), options)
    setMaxListeners(Infinity, this.abort.signal) // at most maxInFlight dials listen at once
  }

  start (): void {
    this.running = true
    this.tick()
  }

  stop (): void {
    this.running = false
    clearTimeout(this.timer)
    this.timer = undefined
    this.abort.abort()
    this.planner.clear()
  }

  /** Call on libp2p's peer:connect: a peer that connected by itself needs no dial. */
  peerConnected (peerId: string): void {
    this.planner.connected(peerId)
    this.checkDone()
  }

  private tick (): void {
    if (!this.running) return
    clearTimeout(this.timer)
    this.timer = undefined
    const now = this.now()
    for (const peerId of this.planner.take(now, this.options.openConnections())) {
      if (this.options.isConnected(peerId)) { this.planner.connected(peerId); continue }
      this.dials++
      this.options.dial(peerId, this.abort.signal).then(
        () => { this.planner.connected(peerId); this.checkDone(); this.tick() },
        (err: unknown) => {
          if (!this.running) return
          if (this.options.isConnected(peerId)) this.planner.connected(peerId)
          else { this.planner.failed(peerId, this.now()); this.options.onDialError?.(peerId, err) }
          this.checkDone()
          this.tick()
        }
      )
    }
    if (this.checkDone()) return
    const wakeAt = this.planner.nextWakeAt(this.now(), this.options.openConnections())
    if (wakeAt === undefined) return // a dial in flight ticks again when it settles
    this.timer = setTimeout(() => { this.tick() }, Math.max(0, wakeAt - this.now()))
    this.timer.unref?.()
  }

  private checkDone (): boolean {
    if (!this.running) return true // stopped: nothing more to report
    if (!this.planner.done || this.finished) return this.planner.done
    this.finished = true
    this.options.onDone?.({ regained: this.planner.regained, givenUp: this.planner.givenUp, dials: this.dials })
    return true
  }
}
