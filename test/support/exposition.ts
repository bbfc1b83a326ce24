/**
 * Reads an exposition back into samples for exact assertions on the numbers. Strict: a line
 * it cannot read fails the test. (Validity against Prometheus' own parser is checked by
 * promtool and by a real Prometheus in the end-to-end tests.)
 */

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Exposition {
  samples: Sample[]
  /** Family name -> type, from the # TYPE lines. */
  types: Map<string, string>
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y

export function parseExposition (text: string): Exposition {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line === '' || line === '# EOF') continue
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line)
      if (type !== null) types.set(type[1] as string, type[2] as string)
      continue
    }
    const match = LINE.exec(line)
    if (match === null) throw new Error(`cannot read exposition line: ${line}`)
    const labels: Record<string, string> = {}
    const body = match[2] ?? ''
    LABEL.lastIndex = 0
    while (LABEL.lastIndex < body.length) {
      const label = LABEL.exec(body)
      if (label === null) throw new Error(`cannot read labels in: ${line}`)
      labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, (_m, c: string) => c === 'n' ? '\n' : c)
    }
    const raw = match[3] as string
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw)
    // Prometheus reads NaN in any letter case (prom-client writes Nan).
    if (Number.isNaN(value) && raw.toLowerCase() !== 'nan') throw new Error(`cannot read value in: ${line}`)
    samples.push({ name: match[1] as string, labels, value })
  }
  return { samples, types }
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
