/**
 * A timer callback that cannot throw: a throw there would be an uncaught exception, which
 * exits the process. Errors are reported as survived (survived-error.ts: counted in
 * libp2p_tracker_internal_errors_total{component} and logged); the next run goes ahead as usual.
 */
import { survivedErrorReporter } from './survived-error.js'
import type { TrackerLogger } from './logger.js'
import type { InternalErrorComponent, ReliabilityCounters } from '../tracker/reliability-counters.js'

export function guardedTask (component: InternalErrorComponent, reliability: ReliabilityCounters, log: TrackerLogger, run: () => void): () => void {
  const report = survivedErrorReporter(reliability, log)
  return () => {
    try {
      run()
    } catch (err) {
      report(component, err, 'error in a periodic task')
    }
  }
}

/** The longest delay Node's timers take: 2^31 - 1 ms (~24.8 days). */
export const MAX_TIMER_DELAY_MS = 2_147_483_647

/**
 * A timer delay Node honours: a longer one runs at the maximum, where Node would instead set it
 * to 1 ms (TimeoutOverflowWarning), running an interval meant for weeks 1,000 times a second.
 */
export function timerDelay (ms: number): number {
  return Math.min(ms, MAX_TIMER_DELAY_MS)
}
