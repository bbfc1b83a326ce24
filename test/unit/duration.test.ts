/**
 * The one duration parser (src/config/duration.ts) in its two syntaxes: the flags' (whole
 * numbers, ms to d, as Prometheus' flags) and the web config's rate_limit.interval (Go's
 * time.ParseDuration: fractions, ns to h, as exporter-toolkit).
 */
import { describe, expect, it } from 'vitest'
import { FLAG_DURATION, GO_DURATION, durationMs } from '../../src/config/duration.js'
import { parseWebConfig } from '../../src/web-security/web-config-schema.js'

describe('durationMs', () => {
  it.each([
    ['0', 0, 0], ['500ms', 500, 500], ['30s', 30_000, 30_000], ['5m', 300_000, 300_000], ['1h30m', 5_400_000, 5_400_000],
    ['1m30s500ms', 90_500, 90_500], ['1d', 86_400_000, undefined], ['1.5s', undefined, 1500], ['.5s', undefined, 500],
    ['100us', undefined, 0.1], ['100µs', undefined, 0.1], ['2000000ns', undefined, 2], ['5ms5m', 300_005, 300_005]
  ])('%s: %s ms as a flag, %s ms in Go\'s syntax', (text, flag, go) => {
    expect(durationMs(text, FLAG_DURATION)).toBe(flag)
    expect(durationMs(text, GO_DURATION)).toBe(go)
  })

  it.each(['', '5', 's', '5 m', '-1s', '+1s', '1w', ' 1s', '1s ', '1e3s'])('%j is not a duration in either syntax', (text) => {
    expect(durationMs(text, FLAG_DURATION)).toBeUndefined()
    expect(durationMs(text, GO_DURATION)).toBeUndefined()
  })

  it('returns a total too large as it is, for the caller to refuse', () => {
    expect(Number.isSafeInteger(durationMs('9999999999999999d', FLAG_DURATION))).toBe(false)
  })

  it('reads rate_limit.interval in Go\'s syntax, fractions included', () => {
    expect(parseWebConfig('rate_limit:\n  interval: 1.5s\n  burst: 2', 'web.yml').rateLimit).toEqual({ intervalMs: 1500, burst: 2 })
    expect(() => parseWebConfig('rate_limit:\n  interval: 1d\n  burst: 2', 'web.yml')).toThrow('web.yml: rate_limit.interval "1d" is not a duration such as 1s, 250ms or 1m30s')
  })
})
