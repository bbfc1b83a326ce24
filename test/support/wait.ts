/** Condition waits for tests: poll until something holds, with a timeout. No fixed sleeps. */

export interface WaitOptions {
  /** Give up after this long (default 15 s). */
  timeoutMs?: number
  /** Time between two checks (default 25 ms). */
  intervalMs?: number
  /**
   * Count an error thrown by the check as "not yet" (and report the last one on timeout),
   * for checks that ask a server which may not answer yet. Off by default: an error thrown by
   * the check then ends the wait at once (e.g. "the process exited").
   */
  retryErrors?: boolean
}

/** For checks against a server (Prometheus, Alertmanager, VictoriaMetrics): errors retried, every 100 ms, 20 s. */
export const SERVER_POLL = { timeoutMs: 20_000, intervalMs: 100, retryErrors: true } as const satisfies WaitOptions

/**
 * Polls `check` until it returns a value other than `false` and `undefined`, and resolves with
 * that value; fails with `what` after the timeout. `options` is the timeout in ms, or WaitOptions.
 */
export async function waitFor<T> (
  what: string,
  check: () => Promise<T | false | undefined> | T | false | undefined,
  options: number | WaitOptions = {}
): Promise<T> {
  const { timeoutMs = 15_000, intervalMs = 25, retryErrors = false } = typeof options === 'number' ? { timeoutMs: options } : options
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined && value !== false) return value
    } catch (error) {
      if (!retryErrors) throw error
      lastError = error
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: last error: ${lastError.message}` : ''
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`)
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
