/**
 * The "peer connected" / "peer disconnected" log lines, bounded: at most `maxPerWindow` of them
 * at info level per window of `windowMs` (from the first line of the window); beyond that the
 * same lines go to debug and, when the window ends, one info line says how many were not
 * logged at info ("peer events summarised": connected, disconnected, windowSeconds). A node with
 * a few peers logs every connect and disconnect at info as before; a node where thousands of
 * peers churn writes at most maxPerWindow + 1 info lines per window instead of one per event.
 *
 * The window's timer is armed only when a line is summarised, and cleared by close().
 */
import type { TrackerLogger } from './logger.js'

export interface PeerEventLogOptions {
  /** Info lines per window before the rest are summarised. Default 20. */
  maxPerWindow?: number
  /** Default 10 s. */
  windowMs?: number
  /** ms, monotonic. Default performance.now. */
  now?: () => number
}

export const DEFAULT_PEER_EVENT_LOG_MAX_PER_WINDOW = 20
export const DEFAULT_PEER_EVENT_LOG_WINDOW_MS = 10_000

export class PeerEventLog {
  private readonly log: TrackerLogger
  private readonly maxPerWindow: number
  private readonly windowMs: number
  private readonly now: () => number
  private windowStart = -Infinity
  private logged = 0
  private summarised = { connected: 0, disconnected: 0 }
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor (log: TrackerLogger, options: PeerEventLogOptions = {}) {
    this.log = log
    this.maxPerWindow = options.maxPerWindow ?? DEFAULT_PEER_EVENT_LOG_MAX_PER_WINDOW
    this.windowMs = options.windowMs ?? DEFAULT_PEER_EVENT_LOG_WINDOW_MS
    this.now = options.now ?? (() => performance.now())
  }

  connected (fields: Record<string, unknown>): void {
    this.write('connected', fields, 'peer connected')
  }

  disconnected (fields: Record<string, unknown>): void {
    this.write('disconnected', fields, 'peer disconnected')
  }

  /** Logs what the current window summarised so far, and clears the timer. */
  close (): void {
    this.flush()
  }

  private write (kind: 'connected' | 'disconnected', fields: Record<string, unknown>, message: string): void {
    const now = this.now()
    if (now - this.windowStart >= this.windowMs) {
      this.flush()
      this.windowStart = now
      this.logged = 0
    }
    if (this.logged < this.maxPerWindow) {
      this.logged++
      this.log.info(fields, message)
      return
    }
    this.log.debug(fields, message)
    this.summarised[kind]++
    this.timer ??= setTimeout(() => { this.timer = undefined; this.flush() }, Math.max(0, this.windowStart + this.windowMs - now))
  }

  private flush (): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    const { connected, disconnected } = this.summarised
    if (connected + disconnected === 0) return
    this.summarised = { connected: 0, disconnected: 0 }
    this.log.info({ connected, disconnected, windowSeconds: this.windowMs / 1000, maxPerWindow: this.maxPerWindow }, 'peer events summarised')
  }
}
