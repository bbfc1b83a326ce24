/**
 * Writes metric families in the Prometheus text format 0.0.4 or OpenMetrics 1.0.
 * Built for the /metrics hot path: one string grows by concatenation, label values are
 * escaped only when they need it, nothing is allocated per sample beyond the line itself.
 */
import type { MetricDefinition, MetricType } from './definitions.js'
import type { MetricSink } from './sink.js'

export type ExpositionFormat = 'text' | 'openmetrics'

/** Family types the writer can head: the project's own, and a summary from prom-client. */
export type FamilyType = MetricType | 'summary'

export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8'
}

const NEEDS_ESCAPE = /[\\"\n]/

/** A label value as it goes between the quotes. */
export function escapeLabelValue (value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

const HELP_NEEDS_ESCAPE: Record<ExpositionFormat, RegExp> = { text: /[\\\n]/, openmetrics: /[\\\n"]/ }

/**
 * HELP text as the format reads it: backslash and newline escaped in both formats, and the
 * double quote too in OpenMetrics (its ABNF allows `"` in a docstring only as `\"`; the text
 * format 0.0.4 knows no such escape there).
 */
export function escapeHelp (help: string, format: ExpositionFormat): string {
  if (!HELP_NEEDS_ESCAPE[format].test(help)) return help
  const escaped = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
  return format === 'openmetrics' ? escaped.replace(/"/g, '\\"') : escaped
}

export function formatValue (value: number): string {
  if (Number.isInteger(value)) return String(value)
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value) // NaN and finite floats print as Prometheus reads them
}

/** `{a="x",b="y"}` from label names and values in the same order; '' when there are none. */
export function formatLabels (names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return ''
  let out = '{'
  for (let i = 0; i < names.length; i++) {
    if (i > 0) out += ','
    out += `${names[i] as string}="${escapeLabelValue(values[i] as string)}"`
  }
  return out + '}'
}

export class ExpositionWriter implements MetricSink {
  readonly format: ExpositionFormat
  private out = ''

  constructor (format: ExpositionFormat) {
    this.format = format
  }

  /** HELP and TYPE lines of one of the project's families (see header). */
  family (metric: MetricDefinition): void {
    this.header(metric.name, metric.type, metric.help)
  }

  /**
   * HELP and TYPE lines. `name` is the family's name in the text format; in OpenMetrics a
   * counter family is named without `_total` (its samples keep it: see counterSampleName).
   */
  header (name: string, type: FamilyType, help: string): void {
    const family = this.format === 'openmetrics' && type === 'counter' && name.endsWith('_total')
      ? name.slice(0, -'_total'.length)
      : name
    this.out += `# HELP ${family} ${escapeHelp(help, this.format)}\n# TYPE ${family} ${type}\n`
  }

  /**
   * The sample name of a counter whose text-format name is `name`: the same, except that
   * OpenMetrics requires `_total` on a counter's samples when the name lacks it.
   */
  counterSampleName (name: string): string {
    return this.format === 'openmetrics' && !name.endsWith('_total') ? `${name}_total` : name
  }

  /** One sample; `labels` is already formatted by formatLabels (or ''). */
  sample (name: string, labels: string, value: number): void {
    this.out += `${name}${labels} ${formatValue(value)}\n`
  }

  /**
   * A histogram's samples: cumulative bucket counts, +Inf, sum and count.
   * `labels` is the formatted label body without braces (e.g. `direction="inbound"`).
   */
  histogram (name: string, labels: string, bounds: readonly number[], cumulative: readonly number[], sum: number, count: number): void {
    const prefix = labels === '' ? '{' : `{${labels},`
    for (let i = 0; i < bounds.length; i++) {
      this.out += `${name}_bucket${prefix}le="${formatValue(bounds[i] as number)}"} ${formatValue(cumulative[i] as number)}\n`
    }
    this.out += `${name}_bucket${prefix}le="+Inf"} ${formatValue(count)}\n`
    const suffixLabels = labels === '' ? '' : `{${labels}}`
    this.out += `${name}_sum${suffixLabels} ${formatValue(sum)}\n${name}_count${suffixLabels} ${formatValue(count)}\n`
  }

  /** Appends already-rendered families (such as prom-client's process metrics) in the same format. */
  raw (text: string): void {
    if (text === '') return
    this.out += text.endsWith('\n') ? text : `${text}\n`
  }

  /** The families written so far, without OpenMetrics' closing `# EOF` (to append elsewhere with raw()). */
  fragment (): string {
    return this.out
  }

  finish (): string {
    return this.format === 'openmetrics' ? `${this.out}# EOF\n` : this.out
  }
}
