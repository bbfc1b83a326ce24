/**
 * rate_limit from the web config file, as exporter-toolkit has it: one token bucket for all
 * requests, `burst` tokens deep, one token back every `interval`; a request finding it empty
 * gets 429. Pure: the clock is passed in.
 */
import type { RateLimitSpec } from './web-config-schema.js'

export class TokenBucket {
  private tokens: number
  private last: number

  constructor (readonly spec: RateLimitSpec, now: number) {
    this.tokens = spec.burst
    this.last = now
  }

  /** Takes a token if there is one. */
  take (now: number): boolean {
    this.refill(now)
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }

  /** Whole seconds until the next token (at least 1), for Retry-After. */
  retryAfterSeconds (now: number): number {
    this.refill(now)
    return Math.max(1, Math.ceil((1 - this.tokens) * this.spec.intervalMs / 1000))
  }

  private refill (now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.spec.burst, this.tokens + (now - this.last) / this.spec.intervalMs)
      this.last = now
    }
  }
}
