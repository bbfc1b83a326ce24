/**
 * prom-client's default process and Node.js metrics (CPU, memory, event-loop lag, GC).
 * One registry per format: prom-client renames counters in place when a registry renders
 * OpenMetrics, so a single registry switched between formats would corrupt the text output.
 */
import { Registry, collectDefaultMetrics } from 'prom-client'
import type { OpenMetricsContentType } from 'prom-client'
import type { ExpositionFormat } from './exposition.js'

export class ProcessMetrics {
  private readonly registries: Record<ExpositionFormat, Registry | Registry<OpenMetricsContentType>>

  constructor () {
    const text = new Registry()
    const openmetrics = new Registry<OpenMetricsContentType>()
    openmetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE)
    collectDefaultMetrics({ register: text })
    collectDefaultMetrics({ register: openmetrics })
    this.registries = { text, openmetrics }
  }

  /** The families in the given format, without OpenMetrics' closing `# EOF`. */
  async render (format: ExpositionFormat): Promise<string> {
    const text = await this.registries[format].metrics()
    return format === 'openmetrics' ? text.replace(/# EOF\n$/, '') : text
  }
}
