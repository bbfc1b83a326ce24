/**
 * The timer that feeds PeerCountHistory: one sample at start, then one every interval. Owned
 * by the HTTP side (the history exists for the peer view); started and stopped with the server.
 */
import type { PeerCountHistory, PeerCounts } from './peer-count-history.js'

export interface HistorySamplerOptions {
  history: PeerCountHistory
  /** The tracker's counts now. */
  read: () => PeerCounts
  /** Told of an error thrown by read() or record(); the timer goes on. */
  onError: (err: unknown) => void
}

export class HistorySampler {
  private timer: NodeJS.Timeout | undefined
  constructor (private readonly options: HistorySamplerOptions) {}

  start (): void {
    if (this.timer !== undefined) return
    this.sample()
    this.timer = setInterval(() => { this.sample() }, this.options.history.intervalMs)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  sample (): void {
    try {
      this.options.history.record(this.options.read())
    } catch (err) {
      try { this.options.onError(err) } catch { /* a failing error handler must not stop the sampler */ }
    }
  }
}
