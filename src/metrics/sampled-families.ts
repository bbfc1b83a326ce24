/**
 * Families as values (name, help, type, samples with label objects): the shape prom-client's
 * getMetricsAsJSON() returns and its registry renders. SampledFamiliesSink takes one render of
 * the tracker's collectors and keeps it in that shape, for a prom-client registry.
 */
import type { MetricDefinition } from './definitions.js'
import type { FamilyType } from './exposition.js'
import type { MetricSink } from './sink.js'

/** One sample as prom-client's getMetricsAsJSON() returns it. */
export interface SampledValue {
  value: number
  labels: Readonly<Record<string, string | number | undefined>>
  /** Set on a histogram's or summary's `_bucket`, `_sum` and `_count` samples. */
  metricName?: string
}

/** One family as prom-client's getMetricsAsJSON() returns it. */
export interface SampledFamily {
  name: string
  help: string
  type: FamilyType
  values: readonly SampledValue[]
}

interface OpenFamily extends SampledFamily {
  values: SampledValue[]
}

export class SampledFamiliesSink implements MetricSink {
  /** Every family written, by its name (the text format's name: counters end in `_total`). */
  readonly families = new Map<string, SampledFamily>()
  private current: OpenFamily | undefined

  family (metric: MetricDefinition): void {
    this.current = { name: metric.name, help: metric.help, type: metric.type, values: [] }
    this.families.set(metric.name, this.current)
  }

  /** A family's own sample carries no metricName: prom-client names it (and adds `_total` to a counter's in OpenMetrics). */
  sample (name: string, labels: string, value: number): void {
    const family = this.open(name)
    family.values.push(name === family.name ? { value, labels: parseLabels(labels) } : { value, labels: parseLabels(labels), metricName: name })
  }

  histogram (name: string, labels: string, bounds: readonly number[], cumulative: readonly number[], sum: number, count: number): void {
    const family = this.open(name)
    const parsed = parseLabels(labels === '' ? '' : `{${labels}}`)
    const bucket = `${name}_bucket`
    for (let i = 0; i < bounds.length; i++) {
      family.values.push({ value: cumulative[i] as number, labels: { ...parsed, le: bounds[i] as number }, metricName: bucket })
    }
    family.values.push({ value: count, labels: { ...parsed, le: '+Inf' }, metricName: bucket })
    family.values.push({ value: sum, labels: parsed, metricName: `${name}_sum` })
    family.values.push({ value: count, labels: parsed, metricName: `${name}_count` })
  }

  private open (name: string): OpenFamily {
    if (this.current === undefined) throw new Error(`sample of ${name} before any family`)
    return this.current
  }
}

/**
 * `{a="x",b="y"}` (as formatLabels writes it, values escaped) back into `{ a: 'x', b: 'y' }`;
 * '' is no labels.
 */
export function parseLabels (labels: string): Record<string, string> {
  const out: Record<string, string> = {}
  if (labels === '') return out
  let i = 1 // after '{'
  while (i < labels.length && labels[i] !== '}') {
    const eq = labels.indexOf('=', i)
    const name = labels.slice(i, eq)
    let value = ''
    let j = eq + 2 // after '="'
    for (; j < labels.length && labels[j] !== '"'; j++) {
      const c = labels[j] as string
      if (c === '\\') {
        const next = labels[++j]
        value += next === 'n' ? '\n' : (next ?? '')
      } else {
        value += c
      }
    }
    out[name] = value
    i = j + 1 // after the closing quote
    if (labels[i] === ',') i++
  }
  return out
}
