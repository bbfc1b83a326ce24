/**
 * One scrape: choose the format the scraper asked for, render the tracker's families and
 * (unless disabled) the process metrics into one exposition.
 */
import { ExpositionWriter, CONTENT_TYPES } from './exposition.js'
import type { ExpositionFormat } from './exposition.js'
import type { ProcessMetrics } from './process-metrics.js'
import type { MetricSink } from './sink.js'

/** Writes the tracker's families (the peerTracker service, or a TrackerCollector). */
export interface FamilyCollector {
  collect: (sink: MetricSink) => void
}

export interface Exposition {
  contentType: string
  body: string
}

export class MetricsScraper {
  private readonly tracker: FamilyCollector
  private readonly process: ProcessMetrics | undefined
  /** The render in progress per format: scrapes that arrive meanwhile share it. */
  private readonly inFlight = new Map<ExpositionFormat, Promise<Exposition>>()
  /** Renders actually done (shared scrapes count once), for tests and diagnosis. */
  renders = 0

  constructor (tracker: FamilyCollector, process: ProcessMetrics | undefined) {
    this.tracker = tracker
    this.process = process
  }

  /**
   * The exposition in the given format. Concurrent scrapes share one render per format, so a
   * burst of N scrapes costs one render, not N; a scrape arriving after a render finished
   * gets a fresh one (nothing is served stale).
   */
  async scrape (format: ExpositionFormat): Promise<Exposition> {
    let render = this.inFlight.get(format)
    if (render === undefined) {
      render = this.render(format).finally(() => { this.inFlight.delete(format) })
      this.inFlight.set(format, render)
    }
    return await render
  }

  private async render (format: ExpositionFormat): Promise<Exposition> {
    this.renders++
    // Process metrics first (they await), then the tracker's state in one synchronous pass,
    // so every tracker family in a scrape describes the same instant.
    const processText = this.process === undefined ? '' : await this.process.render(format)
    const writer = new ExpositionWriter(format)
    this.tracker.collect(writer)
    writer.raw(processText)
    return { contentType: CONTENT_TYPES[format], body: writer.finish() }
  }
}

/**
 * The format for an Accept header: OpenMetrics when the scraper prefers it (by q-value) to
 * the text format, as Prometheus does by default; the text format otherwise.
 */
export function negotiateFormat (accept: string | undefined): ExpositionFormat {
  if (accept === undefined || accept === '') return 'text'
  let openmetrics = -1
  let text = -1
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map(p => p.trim().toLowerCase())
    let q = 1
    let version: string | undefined
    for (const param of params) {
      const [key, value = ''] = param.split('=').map(p => p.trim())
      if (key === 'q') q = Number.isFinite(Number(value)) ? Number(value) : 0
      else if (key === 'version') version = value
    }
    if (type === 'application/openmetrics-text' && (version === undefined || version === '1.0.0' || version === '0.0.1')) {
      openmetrics = Math.max(openmetrics, q)
    } else if (type === 'text/plain' || type === 'text/*' || type === '*/*') {
      text = Math.max(text, q)
    }
  }
  return openmetrics > 0 && openmetrics >= text ? 'openmetrics' : 'text'
}
