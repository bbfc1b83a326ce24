/**
 * The one way to report an error the tracker survives ("count it, log it, carry on"): it is
 * counted in libp2p_tracker_internal_errors_total{component} and logged with the same
 * component, by construction, so the count and the log line cannot drift apart. Reporting
 * never throws into the code that survived the error.
 */
import type { TrackerLogger } from './logger.js'
import type { InternalErrorComponent, ReliabilityCounters } from '../tracker/reliability-counters.js'

export type ReportSurvivedError = (component: InternalErrorComponent, err: unknown, message: string) => void

export function survivedErrorReporter (reliability: ReliabilityCounters, log: TrackerLogger): ReportSurvivedError {
  return (component, err, message) => {
    try {
      reliability.internalErrors.count(component)
      log.error({ err, component }, message)
    } catch {
      // a failing logger must not turn a survived error into a fatal one
    }
  }
}
