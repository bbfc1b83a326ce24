import { describe, expect, it, vi } from 'vitest'
import { ExpositionWriter, escapeHelp, escapeLabelValue, formatLabels, formatValue } from '../../src/metrics/exposition.js'
import { ProcessMetrics, writeSampledFamilies } from '../../src/metrics/process-metrics.js'
import { negotiateFormat } from '../../src/metrics/scrape.js'
import { parseExposition } from '../support/exposition.js'
import { waitFor } from '../support/wait.js'
import { lintFindings, parseOpenMetrics } from '../support/promtool.js'
import type { MetricDefinition } from '../../src/metrics/definitions.js'
import type { SampledFamily } from '../../src/metrics/process-metrics.js'

// Counts prom-client's collectDefaultMetrics calls (each starts an event-loop-delay monitor
// and GC observers), passing every call through to the real one.
const collectDefaultMetricsCalls = vi.hoisted(() => [] as unknown[])
vi.mock('prom-client', async (importOriginal) => {
  const original = await importOriginal<typeof import('prom-client')>()
  return {
    ...original,
    collectDefaultMetrics: (config?: Parameters<typeof original.collectDefaultMetrics>[0]) => {
      collectDefaultMetricsCalls.push(config)
      original.collectDefaultMetrics(config)
    }
  }
})

const counter: MetricDefinition = { name: 'x_events_total', type: 'counter', help: 'Events.', labels: ['kind'] }
const gauge: MetricDefinition = { name: 'x_things', type: 'gauge', help: 'Things.', labels: [] }

describe('ExpositionWriter', () => {
  it('writes the text format with _total on the counter family', () => {
    const w = new ExpositionWriter('text')
    w.family(counter)
    w.sample(counter.name, formatLabels(['kind'], ['a']), 3)
    w.family(gauge)
    w.sample(gauge.name, '', 0.25)
    expect(w.finish()).toBe([
      '# HELP x_events_total Events.',
      '# TYPE x_events_total counter',
      'x_events_total{kind="a"} 3',
      '# HELP x_things Things.',
      '# TYPE x_things gauge',
      'x_things 0.25',
      ''
    ].join('\n'))
  })

  it('writes OpenMetrics: counter family without _total, samples with it, and # EOF', () => {
    const w = new ExpositionWriter('openmetrics')
    w.family(counter)
    w.sample(counter.name, '', 1)
    expect(w.finish()).toBe('# HELP x_events Events.\n# TYPE x_events counter\nx_events_total 1\n# EOF\n')
  })

  it('writes a histogram with cumulative buckets, +Inf, sum and count', () => {
    const w = new ExpositionWriter('text')
    w.histogram('h', 'd="in"', [1, 5], [1, 3], 7.5, 4)
    expect(w.finish()).toBe([
      'h_bucket{d="in",le="1"} 1',
      'h_bucket{d="in",le="5"} 3',
      'h_bucket{d="in",le="+Inf"} 4',
      'h_sum{d="in"} 7.5',
      'h_count{d="in"} 4',
      ''
    ].join('\n'))
  })
})

describe('escaping and values', () => {
  it('escapes backslash, quote and newline in label values', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd')
    expect(escapeLabelValue('plain')).toBe('plain')
  })

  it('escapes HELP per format: backslash and newline in both, the double quote in OpenMetrics only', () => {
    expect(escapeHelp('a "b" \\ c\nd', 'text')).toBe('a "b" \\\\ c\\nd')
    expect(escapeHelp('a "b" \\ c\nd', 'openmetrics')).toBe('a \\"b\\" \\\\ c\\nd')
    expect(escapeHelp('plain', 'openmetrics')).toBe('plain')
  })

  it('formats special values as Prometheus reads them', () => {
    expect(formatValue(Infinity)).toBe('+Inf')
    expect(formatValue(-Infinity)).toBe('-Inf')
    expect(formatValue(NaN)).toBe('NaN')
    expect(formatValue(1e21)).toBe('1e+21')
    expect(formatValue(42)).toBe('42')
  })
})

describe('negotiateFormat', () => {
  it.each([
    [undefined, 'text'],
    ['', 'text'],
    ['text/plain', 'text'],
    ['*/*', 'text'],
    // Prometheus 2.42's default scrape Accept header
    ['application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1', 'openmetrics'],
    // Prometheus 3's, with escaping parameters
    ['application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2', 'openmetrics'],
    ['text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5', 'text'],
    ['application/openmetrics-text;version=2.0.0', 'text'],
    ['application/openmetrics-text;q=0', 'text']
  ])('%s -> %s', (accept, format) => {
    expect(negotiateFormat(accept)).toBe(format)
  })
})

// --- prom-client's default metrics: one collection, both formats ----------------------------

/** Sample names a family of this type may write in OpenMetrics (spec 1.0, "Suffixes"). */
function openMetricsSampleNames (family: string, type: string): string[] {
  switch (type) {
    case 'counter': return [`${family}_total`, `${family}_created`]
    case 'histogram': return [`${family}_bucket`, `${family}_count`, `${family}_sum`, `${family}_created`]
    case 'summary': return [family, `${family}_count`, `${family}_sum`, `${family}_created`]
    case 'info': return [`${family}_info`]
    default: return [family]
  }
}

/**
 * The OpenMetrics 1.0 rules a Prometheus ingester relies on, checked line by line (promtool
 * 2.42 reads only the text format): metadata before samples, unique and non-interleaved
 * families, each sample named as its family's type allows, no sample name two families could
 * both write, HELP escaped per the ABNF, histograms cumulative with +Inf equal to _count, and
 * one `# EOF` at the very end. Returns the problems found.
 */
function openMetricsProblems (text: string): string[] {
  const problems: string[] = []
  if (!text.endsWith('\n# EOF\n') && text !== '# EOF\n') problems.push('does not end with "# EOF\\n"')
  const lines = text.split('\n').slice(0, -2) // without the final "# EOF" and the empty string after it
  const families = new Map<string, string>() // name -> type
  const sampleOwner = new Map<string, string>() // possible sample name -> family
  let current: string | undefined
  let currentType = 'unknown'
  const histograms = new Map<string, { buckets: Array<[number, number]>, count?: number }>()
  for (const line of lines) {
    const meta = /^# (HELP|TYPE|UNIT) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line)
    if (meta !== null) {
      const [, kind, name = '', rest = ''] = meta
      if (name !== current) {
        if (families.has(name)) problems.push(`family ${name} appears twice or interleaved`)
        families.set(name, 'unknown')
        current = name
        currentType = 'unknown'
      }
      if (kind === 'TYPE') {
        currentType = rest
        families.set(name, rest)
        if (!['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown'].includes(rest)) problems.push(`${name}: unknown type ${rest}`)
        if (rest === 'counter' && name.endsWith('_total')) problems.push(`counter family ${name} named with _total`)
        for (const sample of openMetricsSampleNames(name, rest)) {
          const owner = sampleOwner.get(sample)
          if (owner !== undefined && owner !== name) problems.push(`sample name ${sample} could come from ${owner} and ${name}`)
          sampleOwner.set(sample, name)
        }
      }
      if (kind === 'HELP' && /(^|[^\\])(\\\\)*"/.test(rest)) problems.push(`${name}: unescaped " in HELP`)
      continue
    }
    if (line.startsWith('#')) { problems.push(`stray comment: ${line}`); continue }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line)
    if (sample === null) { problems.push(`cannot read: ${line}`); continue }
    const [, name = '', labels = '', value = ''] = sample
    if (current === undefined || !openMetricsSampleNames(current, currentType).includes(name)) {
      problems.push(`sample ${name} does not belong to family ${current ?? '(none)'} (${currentType})`)
      continue
    }
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity)$|^nan$/i.test(value)) problems.push(`bad value: ${line}`)
    if (currentType === 'histogram') {
      const { le, ...rest } = parseExposition(`${name}${labels} 0`).samples[0]?.labels ?? {}
      const key = `${current}${JSON.stringify(Object.entries(rest).sort())}`
      const entry = histograms.get(key) ?? { buckets: [] }
      histograms.set(key, entry)
      if (name.endsWith('_bucket')) {
        if (le === undefined) problems.push(`bucket without le: ${line}`)
        else entry.buckets.push([le === '+Inf' ? Infinity : Number(le), Number(value)])
      } else if (name.endsWith('_count')) entry.count = Number(value)
    }
  }
  for (const [key, { buckets, count }] of histograms) {
    if (buckets.at(-1)?.[0] !== Infinity) problems.push(`${key}: no +Inf bucket last`)
    else if (buckets.at(-1)?.[1] !== count) problems.push(`${key}: +Inf bucket differs from _count`)
    for (let i = 1; i < buckets.length; i++) {
      const [le0 = 0, n0 = 0] = buckets[i - 1] ?? []
      const [le1 = 0, n1 = 0] = buckets[i] ?? []
      if (!(le1 > le0) || n1 < n0) problems.push(`${key}: buckets not ascending and cumulative at le=${le1}`)
    }
  }
  if (text.match(/^# EOF$/gm)?.length !== 1) problems.push('# EOF more than once')
  return problems
}

/** The samples as name{labels} -> value, for comparing two expositions of one collection. */
function sampleMap (text: string): Map<string, number> {
  return new Map(parseExposition(text).samples.map(s => [`${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`, s.value]))
}

describe('process metrics (prom-client defaults)', () => {
  it('registers the default metrics once: one event-loop monitor and one set of GC observers', () => {
    const before = collectDefaultMetricsCalls.length
    void new ProcessMetrics()
    expect(collectDefaultMetricsCalls.length - before).toBe(1)
  })

  it('renders the text format and OpenMetrics from one collection, both valid and with the same samples', async () => {
    const metrics = new ProcessMetrics()
    // Some garbage, so the GC histogram has samples to write (it fills from GC observers).
    await waitFor('a GC to be observed', async () => {
      for (let i = 0; i < 200; i++) void new Array(10_000).fill(i)
      return (await metrics.collect()).some(f => f.name === 'nodejs_gc_duration_seconds' && f.values.length > 0)
    })
    const families = await metrics.collect()
    const text = new ExpositionWriter('text')
    writeSampledFamilies(text, families)
    const openmetrics = new ExpositionWriter('openmetrics')
    writeSampledFamilies(openmetrics, families)
    const textBody = text.finish()
    const omBody = openmetrics.finish()

    // Text: promtool parses it, and its only findings are prom-client's nodejs_active_*_total gauges.
    for (const finding of await lintFindings(textBody)) expect(finding).toMatch(/^nodejs_active_\w+_total non-counter metrics/)
    expect(textBody).toContain('# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ')

    expect(openMetricsProblems(omBody)).toEqual([])
    expect(omBody).toContain('# TYPE process_cpu_seconds counter\nprocess_cpu_seconds_total ')
    expect(omBody).toContain('# TYPE nodejs_gc_duration_seconds histogram\n')
    expect(omBody).toMatch(/^nodejs_gc_duration_seconds_bucket\{le="\+Inf",kind="\w+"\} \d+$/m)
    expect(omBody).toContain('# TYPE nodejs_active_handles_total gauge\nnodejs_active_handles_total ')

    // One collection: exactly the same samples, sample names and values in both formats,
    // the OpenMetrics ones as Prometheus' own OpenMetrics parser reads them.
    const textSamples = sampleMap(textBody)
    expect(textSamples.size).toBeGreaterThan(30)
    expect(sampleMap(omBody)).toEqual(textSamples)
    const byPrometheus = (await parseOpenMetrics(omBody)).samples
    expect(new Map(byPrometheus.map(s => [`${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`, s.value]))).toEqual(textSamples)
  })

  it('writes what ProcessMetrics.render serves, without # EOF, and leaves the text format intact after OpenMetrics', async () => {
    const metrics = new ProcessMetrics()
    const om = await metrics.render('openmetrics')
    expect(om).not.toContain('# EOF')
    expect(openMetricsProblems(`${om}# EOF\n`)).toEqual([])
    const text = await metrics.render('text')
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter\nprocess_cpu_user_seconds_total ')
    expect(text).not.toMatch(/^# TYPE process_cpu_user_seconds counter$/m)
  })

  it('writes counters, histograms, summaries and escapes from any sampled family', async () => {
    const families: SampledFamily[] = [
      { name: 'a_requests', type: 'counter', help: 'Counter named without _total.', values: [{ value: 2, labels: { path: 'x"y' } }] },
      { name: 'a_sent_total', type: 'counter', help: 'Help with "quotes", a \\ and\na newline.', values: [{ value: 1.5, labels: {} }] },
      { name: 'a_depth', type: 'gauge', help: 'Gauge.', values: [{ value: NaN, labels: { q: 1, skipped: undefined } }] },
      {
        name: 'a_seconds',
        type: 'histogram',
        help: 'Histogram.',
        values: [
          { value: 1, labels: { le: 0.1, op: 'r' }, metricName: 'a_seconds_bucket' },
          { value: 3, labels: { le: '+Inf', op: 'r' }, metricName: 'a_seconds_bucket' },
          { value: 0.7, labels: { op: 'r' }, metricName: 'a_seconds_sum' },
          { value: 3, labels: { op: 'r' }, metricName: 'a_seconds_count' }
        ]
      },
      {
        name: 'a_size_bytes',
        type: 'summary',
        help: 'Summary.',
        values: [
          { value: 10, labels: { quantile: 0.5 } },
          { value: 20, labels: {}, metricName: 'a_size_bytes_sum' },
          { value: 2, labels: {}, metricName: 'a_size_bytes_count' }
        ]
      }
    ]
    const text = new ExpositionWriter('text')
    writeSampledFamilies(text, families)
    expect(text.finish()).toBe([
      '# HELP a_requests Counter named without _total.',
      '# TYPE a_requests counter',
      'a_requests{path="x\\"y"} 2',
      '# HELP a_sent_total Help with "quotes", a \\\\ and\\na newline.',
      '# TYPE a_sent_total counter',
      'a_sent_total 1.5',
      '# HELP a_depth Gauge.',
      '# TYPE a_depth gauge',
      'a_depth{q="1"} NaN',
      '# HELP a_seconds Histogram.',
      '# TYPE a_seconds histogram',
      'a_seconds_bucket{le="0.1",op="r"} 1',
      'a_seconds_bucket{le="+Inf",op="r"} 3',
      'a_seconds_sum{op="r"} 0.7',
      'a_seconds_count{op="r"} 3',
      '# HELP a_size_bytes Summary.',
      '# TYPE a_size_bytes summary',
      'a_size_bytes{quantile="0.5"} 10',
      'a_size_bytes_sum 20',
      'a_size_bytes_count 2',
      ''
    ].join('\n'))
    const om = new ExpositionWriter('openmetrics')
    writeSampledFamilies(om, families)
    const omBody = om.finish()
    expect(omBody).toContain('# HELP a_requests Counter named without _total.\n# TYPE a_requests counter\na_requests_total{path="x\\"y"} 2\n')
    expect(omBody).toContain('# HELP a_sent Help with \\"quotes\\", a \\\\ and\\na newline.\n# TYPE a_sent counter\na_sent_total 1.5\n')
    expect(openMetricsProblems(omBody)).toEqual([])
    expect(sampleMap(omBody)).toEqual(new Map([...sampleMap(text.finish())].map(([k, v]) => [k.replace(/^a_requests\[/, 'a_requests_total['), v])))
    expect((await parseOpenMetrics(omBody)).samples).toHaveLength(10)
    // promtool reads the text; its one finding is the counter named without _total, on purpose here.
    expect(await lintFindings(text.finish())).toEqual(['a_requests counter metrics should have "_total" suffix'])
  })
})

describe('the OpenMetrics check used above', () => {
  it.each([
    ['a sample of another family', '# TYPE a gauge\nb 1\n# EOF\n', /does not belong/],
    ['a counter sample without _total', '# TYPE a counter\na 1\n# EOF\n', /does not belong/],
    ['a counter family named _total', '# TYPE a_total counter\na_total_total 1\n# EOF\n', /named with _total/],
    ['a gauge clashing with a counter', '# TYPE a counter\na_total 1\n# TYPE a_total gauge\na_total 1\n# EOF\n', /could come from/],
    ['interleaved families', '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\na 2\n# EOF\n', /twice or interleaved/],
    ['a missing # EOF', '# TYPE a gauge\na 1\n', /EOF/],
    ['an unescaped quote in HELP', '# HELP a say "hi"\n# TYPE a gauge\na 1\n# EOF\n', /unescaped/],
    ['a histogram whose +Inf differs from _count', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_count 3\nh_sum 1\n# EOF\n', /differs/],
    ['buckets that are not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="2"} 1\nh_bucket{le="+Inf"} 2\nh_count 2\nh_sum 1\n# EOF\n', /cumulative/]
  ])('finds %s', (_what, text, problem) => {
    expect(openMetricsProblems(text).join('\n')).toMatch(problem)
  })
})
