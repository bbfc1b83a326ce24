/**
 * The timer of a polling source: one poll right away, then one every interval, never two at
 * once (a poll that overruns delays the next to the following tick). stop() clears the timer
 * and waits for the poll in flight; no timer is left behind.
 */
import { timerDelay } from '../service/periodic-task.js'

export class PollLoop {
  private readonly intervalMs: number
  private readonly tick: () => Promise<void>
  private timer: ReturnType<typeof setTimeout> | undefined
  private running: Promise<void> | undefined
  private stopped = true
  private nextAt = 0

  /** `tick` must not reject (it reports its own failures). */
  constructor (intervalMs: number, tick: () => Promise<void>) {
    this.intervalMs = intervalMs
    this.tick = tick
  }

  start (): void {
    if (!this.stopped) return
    this.stopped = false
    this.nextAt = performance.now()
    this.run()
  }

  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    this.timer = undefined
    await this.running
  }

  private run (): void {
    if (this.stopped) return
    this.running = this.tick().finally(() => {
      this.running = undefined
      this.schedule()
    })
  }

  private schedule (): void {
    if (this.stopped) return
    const now = performance.now()
    // The next tick after now: ticks a slow poll overran are skipped, not run late in a burst.
    this.nextAt += this.intervalMs * Math.max(1, Math.ceil((now - this.nextAt) / this.intervalMs))
    this.timer = setTimeout(() => { this.timer = undefined; this.run() }, timerDelay(this.nextAt - now))
  }
}
