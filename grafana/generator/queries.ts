/**
 * Prometheus queries as Grafana's Prometheus datasource stores them, and the PromQL
 * selectors every query of a dashboard builds on, so that each dashboard states its filter
 * once.
 */
import type { DataQuery, DataSourceRef } from '@grafana/schema'

/** Every panel, query and variable uses the dashboard's datasource variable. */
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } satisfies DataSourceRef

/** A query as a panel asks for it; targets() fills in the rest. */
export interface Query {
  expr: string
  legendFormat?: string
  instant?: boolean
  format?: 'time_series' | 'table' | 'heatmap'
}

/**
 * A Prometheus query as Grafana's Prometheus datasource stores it. @grafana/schema has
 * the common part (DataQuery); the Prometheus fields are that plugin's, typed here.
 */
interface PrometheusQuery extends DataQuery {
  datasource: DataSourceRef
  editorMode: 'code'
  expr: string
  format: 'time_series' | 'table' | 'heatmap'
  instant: boolean
  range: boolean
  legendFormat: string
}

/**
 * The fields the Prometheus datasource reads from an annotation query, beside the common
 * ones of @grafana/schema's AnnotationQuery (which leaves datasource fields out).
 */
export interface PrometheusAnnotationFields {
  expr: string
  step: string
  titleFormat: string
  textFormat: string
  useValueForTime: boolean
}

/** A panel's queries, refIds A, B, ... in order (Panel.targets is a list of open records in the schema). */
export function targets (queries: Query[]): Array<Record<string, unknown>> {
  return queries.map((q, i) => ({
    datasource: DATASOURCE,
    editorMode: 'code',
    expr: q.expr,
    format: q.format ?? 'time_series',
    instant: q.instant ?? false,
    range: !(q.instant ?? false),
    legendFormat: q.legendFormat ?? '__auto',
    refId: String.fromCharCode(65 + i)
  } satisfies PrometheusQuery))
}

/** PromQL selectors that all carry one filter (the dashboard's variables). */
export interface Selectors {
  /**
   * A vector selector: `metric{matchers, filter}`.
   * @param matchers more matchers, e.g. 'alertstate="firing"'
   */
  sel: (metric: string, matchers?: string) => string
  /**
   * The per-second rate of a counter over `$__rate_interval`.
   * @param matchers more matchers, e.g. 'outcome="failure"'
   */
  rate: (metric: string, matchers?: string) => string
}

/** @param filter the matchers every selector carries, e.g. 'job="$job", instance=~"$instance"' */
export function filteredBy (filter: string): Selectors {
  const sel = (metric: string, matchers?: string): string => `${metric}{${matchers === undefined ? '' : `${matchers}, `}${filter}}`
  return {
    sel,
    rate: (metric, matchers) => `rate(${sel(metric, matchers)}[$__rate_interval])`
  }
}
