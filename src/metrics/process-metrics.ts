/**
 * prom-client's default process and Node.js metrics (CPU, memory, event-loop lag, GC),
 * collected by one registry and written by the project's ExpositionWriter in either format.
 *
 * One registry, so one event-loop-delay monitor and one set of GC observers per process.
 * prom-client's own OpenMetrics rendering renames counters in place (a registry switched
 * between formats would corrupt its text output); reading samples with getMetricsAsJSON()
 * and writing them here leaves the registry untouched, so both formats come from it.
 */
import { Registry, collectDefaultMetrics } from 'prom-client'
import { ExpositionWriter, formatLabels } from './exposition.js'
import type { ExpositionFormat } from './exposition.js'
import type { SampledFamily } from './sampled-families.js'

export type { SampledFamily, SampledValue } from './sampled-families.js'

/**
 * Writes sampled families in the writer's format: the text format as prom-client writes it;
 * in OpenMetrics a counter family is named without `_total` and its samples carry it.
 * Gauges keep their names (prom-client's `nodejs_active_*_total` gauges: valid OpenMetrics,
 * no other family's sample can clash with them, though the spec advises against the suffix).
 */
export function writeSampledFamilies (writer: ExpositionWriter, families: readonly SampledFamily[]): void {
  for (const family of families) {
    writer.header(family.name, family.type, family.help)
    const sampleName = family.type === 'counter' ? writer.counterSampleName(family.name) : family.name
    for (const sample of family.values) {
      const names: string[] = []
      const values: string[] = []
      for (const name in sample.labels) {
        const value = sample.labels[name]
        if (value === undefined) continue
        names.push(name)
        values.push(String(value))
      }
      writer.sample(sample.metricName ?? sampleName, formatLabels(names, values), sample.value)
    }
  }
}

/**
 * The resolution of the event-loop delay monitor behind nodejs_eventloop_lag_*: prom-client's
 * default of 10 ms is a libuv timer firing 100 times a second for the life of the process,
 * measured at 0.7% of a core on an idle process (BENCHMARKS.md, "Where the tracker's cost goes");
 * at 100 ms it is 10 wakeups a second (0.2%). Each sample still records how late the timer
 * fired, so a stall of the loop longer than 100 ms is always seen; shorter ones are seen when
 * a tick falls inside them, in proportion to their length.
 */
export const EVENT_LOOP_MONITORING_PRECISION_MS = 100

export class ProcessMetrics {
  private readonly registry = new Registry()

  constructor () {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_PRECISION_MS })
  }

  /** One collection of every default metric. */
  async collect (): Promise<readonly SampledFamily[]> {
    // prom-client's typings declare `type` as a numeric enum; at run time it is the string
    // ('counter', 'gauge', 'histogram', 'summary') that SampledFamily states.
    return await this.registry.getMetricsAsJSON() as unknown as readonly SampledFamily[]
  }

  /** The families in the given format, without OpenMetrics' closing `# EOF`. */
  async render (format: ExpositionFormat): Promise<string> {
    const writer = new ExpositionWriter(format)
    writeSampledFamilies(writer, await this.collect())
    return writer.fragment()
  }
}
