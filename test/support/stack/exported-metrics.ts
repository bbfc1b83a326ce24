/**
 * The metric names the stack (dashboard, alert and recording rules) may reference, read
 * from their sources rather than copied: the tracker's own definitions
 * (src/metrics/definitions.ts, the public contract) and prom-client's default metrics as
 * the tracker registers them (src/metrics/process-metrics.ts), plus the series Prometheus
 * writes itself.
 */
import { Registry, collectDefaultMetrics } from 'prom-client'
import { INSIGHT_METRICS, METRICS, SOURCE_METRICS } from '../../../src/metrics/definitions.js'

export interface ExportedMetric {
  /** The family name as exposed (counters include their `_total` suffix). */
  name: string
  type: string
}

/** Every family of src/metrics/definitions.ts: the core metrics, the peer-insight ones and the source's. */
export const TRACKER_METRICS: readonly ExportedMetric[] = [...Object.values(METRICS), ...Object.values(INSIGHT_METRICS), ...Object.values(SOURCE_METRICS)]

/**
 * The source families that only a tracker with a polling source (--source=beacon-api or
 * kubo-rpc) exports: a tracker with its own libp2p node has libp2p_tracker_source_up (1) and
 * libp2p_tracker_source_info, not these. Dashboard queries that read them have no data for
 * such a tracker: the end-to-end tests with libp2p trackers (e2e, fleet) leave them out, and
 * source-dashboard.test.ts checks them with a polling tracker.
 */
export const POLLING_SOURCE_ONLY: ReadonlySet<string> = new Set(Object.values(SOURCE_METRICS)
  .filter((m) => m !== SOURCE_METRICS.sourceUp && m !== SOURCE_METRICS.sourceInfo)
  .flatMap((m) => seriesNames(m)))

/**
 * Exported metrics the dashboard leaves out on purpose. Every other tracker metric must
 * appear in a dashboard query (dashboard.test.ts): a new metric gets a panel, or a line
 * here saying why not. Empty: every metric has a panel.
 */
export const NOT_ON_DASHBOARD: ReadonlyMap<string, string> = new Map<string, string>()

/** prom-client's collectDefaultMetrics() families on this platform. */
export async function promClientDefaultMetrics (): Promise<ExportedMetric[]> {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const families = await registry.getMetricsAsJSON()
  registry.clear()
  return families.map((family) => ({ name: family.name, type: String(family.type) }))
}

/** Series Prometheus itself writes for every target and alert. */
export const PROMETHEUS_SYNTHETIC_SERIES: readonly string[] = [
  'up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling',
  'scrape_series_added', 'ALERTS', 'ALERTS_FOR_STATE'
]

/**
 * Prometheus' and Alertmanager's own metrics that the pipeline alerts read, from the scrape
 * jobs prometheus and alertmanager (alert-pipeline.test.ts finds each in the real servers).
 */
export const MONITORING_SERIES: readonly string[] = [
  'prometheus_rule_evaluation_failures_total', 'prometheus_config_last_reload_successful',
  'alertmanager_notifications_total', 'alertmanager_notifications_failed_total', 'alertmanager_config_last_reload_successful'
]

/** The series names one family produces in the text exposition. */
export function seriesNames (metric: ExportedMetric): string[] {
  switch (metric.type) {
    case 'histogram':
      return [`${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`]
    case 'summary':
      return [metric.name, `${metric.name}_sum`, `${metric.name}_count`]
    default:
      return [metric.name]
  }
}

/** Every series name a query of the stack may select, except recording-rule outputs. */
export async function knownSeriesNames (): Promise<Set<string>> {
  const families = [...TRACKER_METRICS, ...await promClientDefaultMetrics()]
  return new Set([...families.flatMap(seriesNames), ...PROMETHEUS_SYNTHETIC_SERIES, ...MONITORING_SERIES])
}
