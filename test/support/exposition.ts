/**
 * Reads an exposition back into samples for exact assertions on the numbers, with
 * parse-prometheus-text-format (a port of the Prometheus Python client's text parser). Strict:
 * a sample line the parser cannot read, or reads to no number, fails the test. Validity
 * against Prometheus' own parsers is checked with promtool (./promtool.ts): `check metrics`
 * for the text format, and Prometheus' OpenMetrics parser for OpenMetrics bodies.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format'

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Exposition {
  samples: Sample[]
  /** Family name -> type (lower case), from the # TYPE lines. */
  types: Map<string, string>
}

/** A sample value as the text format writes it (Go's ParseFloat spellings, Inf and NaN in any case). */
const VALUE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?inf(?:inity)?$|^nan$/i

export function parseExposition (text: string): Exposition {
  // The parser flushes the last family on the last line: end with a newline so it is never lost.
  const body = text.endsWith('\n') ? text : `${text}\n`
  const types = new Map<string, string>()
  for (const family of parsePrometheusTextFormat(body)) {
    // Families the parser opened for samples without a # TYPE line are not declared families.
    if (family.type !== 'UNTYPED' || body.includes(`# TYPE ${family.name} untyped\n`)) types.set(family.name, family.type.toLowerCase())
  }
  // The parser folds each histogram and summary family into one object and drops the _sum and
  // _count of labelled ones; declared untyped, each of their sample lines stays a sample with
  // its own name, labels and value. (The real types are read above.)
  const flat = parsePrometheusTextFormat(body.replace(/^# TYPE (\S+) (?:histogram|summary)$/gm, '# TYPE $1 untyped'))
  const samples: Sample[] = []
  for (const family of flat) {
    for (const metric of family.metrics) {
      samples.push({ name: family.name, labels: metric.labels ?? {}, value: sampleValue(family.name, metric.value, metric.timestamp_ms) })
    }
  }
  // The parser merges consecutive samples with equal labels: a duplicate sample would vanish.
  const sampleLines = body.split('\n').filter(line => line.trim() !== '' && !line.startsWith('#')).length
  if (samples.length !== sampleLines) throw new Error(`exposition has ${sampleLines} sample lines but ${samples.length} distinct samples (duplicates?)`)
  return { samples, types }
}

function sampleValue (name: string, value: string | undefined, timestamp: string | undefined): number {
  if (value === undefined || !VALUE.test(value)) throw new Error(`cannot read the value of a ${name} sample: ${JSON.stringify(value)}`)
  if (timestamp !== undefined && !/^-?\d+$/.test(timestamp)) throw new Error(`cannot read the timestamp of a ${name} sample: ${JSON.stringify(timestamp)}`)
  const lower = value.toLowerCase().replace(/^\+/, '')
  if (lower === 'nan') return NaN
  if (lower === 'inf' || lower === 'infinity') return Infinity
  if (lower === '-inf' || lower === '-infinity') return -Infinity
  return Number(value)
}

/** The value of the sample with exactly these labels; undefined if absent. */
export function valueOf (exposition: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
  return exposition.samples.find(s => s.name === name &&
    Object.keys(s.labels).length === wanted.length &&
    wanted.every(([k, v]) => s.labels[k] === v))?.value
}

/** Samples of one name. */
export function samplesOf (exposition: Exposition, name: string): Sample[] {
  return exposition.samples.filter(s => s.name === name)
}

/** Sum over every sample of one name. */
export function sumOf (exposition: Exposition, name: string): number {
  return samplesOf(exposition, name).reduce((sum, s) => sum + s.value, 0)
}
