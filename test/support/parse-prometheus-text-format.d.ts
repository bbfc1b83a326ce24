// Types for parse-prometheus-text-format 1.x (it ships none), as its README and dist describe them.
declare module 'parse-prometheus-text-format' {
  export interface ParsedMetric {
    labels?: Record<string, string>
    /** Absent on folded histogram and summary samples. */
    value?: string
    timestamp_ms?: string
    buckets?: Record<string, string>
    quantiles?: Record<string, string>
    count?: string
    sum?: string
  }

  export interface ParsedFamily {
    name: string
    help: string
    /** COUNTER, GAUGE, HISTOGRAM, SUMMARY, UNTYPED (upper case, as in the # TYPE line otherwise). */
    type: string
    metrics: ParsedMetric[]
  }

  export default function parsePrometheusTextFormat (text: string): ParsedFamily[]
}
