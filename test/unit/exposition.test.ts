import { describe, expect, it } from 'vitest'
import { ExpositionWriter, escapeLabelValue, formatLabels, formatValue } from '../../src/metrics/exposition.js'
import { negotiateFormat } from '../../src/metrics/scrape.js'
import type { MetricDefinition } from '../../src/metrics/definitions.js'

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
