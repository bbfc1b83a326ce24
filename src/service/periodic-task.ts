/**
 * A timer callback that cannot throw: a throw there would be an uncaught exception, which
 * exits the process. Errors are counted in libp2p_tracker_internal_errors_total{component}
 * and logged; the next run goes ahead as usual.
 */
import type { TrackerLogger } from './logger.js'
import type { InternalErrorComponent, ReliabilityCounters } from '../tracker/reliability-counters.js'

export function guardedTask (component: InternalErrorComponent, reliability: ReliabilityCounters, log: TrackerLogger, run: () => void): () => void {
  return () => {
    try {
      run()
    } catch (err) {
      try {
        reliability.internalErrors.count(component)
        log.error({ err, component }, 'error in a periodic task')
      } catch {
        // nothing may escape a timer
      }
    }
  }
}
