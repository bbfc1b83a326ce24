/**
 * Where a collector writes one render of the tracker's families. ExpositionWriter (the CLI's
 * /metrics, text or OpenMetrics) and SampledFamiliesSink (values for a prom-client registry)
 * both take the same calls from the same collectors, so both describe the same account.
 */
import type { MetricDefinition } from './definitions.js'

export interface MetricSink {
  /** Starts one of the project's families; its samples follow. */
  family: (metric: MetricDefinition) => void
  /** One sample; `labels` is formatted by formatLabels (`{a="x"}`) or ''. */
  sample: (name: string, labels: string, value: number) => void
  /** A histogram's samples; `labels` is the label body without braces (`direction="inbound"`) or ''. */
  histogram: (name: string, labels: string, bounds: readonly number[], cumulative: readonly number[], sum: number, count: number) => void
}
