/**
 * The time scaling the end-to-end tests apply to the project's rules. The scaled rules are
 * also loaded into a real Prometheus by alert-pipeline.test.ts.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../support/stack/paths.js'
import { formatDuration, parseDuration, scaleDuration, scaleExpression, scaleRuleFile, type RuleFile } from '../support/stack/rule-scaling.js'
import { vectorSelectors } from '../support/stack/promql.js'
import { leftOpenExpression, leftOpenRuleFile } from '../support/stack/window-semantics.js'
import { readYaml } from '../support/stack/yaml.js'

describe('rule time scaling', () => {
  it('parses and formats Prometheus durations', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('500ms')).toBe(500)
    expect(formatDuration(30_000)).toBe('30s')
    expect(formatDuration(7_200_000)).toBe('2h')
    expect(formatDuration(1_500)).toBe('1500ms')
    expect(() => parseDuration('5 minutes')).toThrow(/not a Prometheus duration/)
  })

  it('scales durations, ranges, subqueries and offsets', () => {
    expect(scaleDuration('15m', 1 / 30)).toBe('30s')
    expect(scaleDuration('2m', 1 / 30)).toBe('4s')
    expect(scaleExpression('rate(x[5m]) > 4 * y offset 15m and z == z offset 1h', 1 / 30))
      .toBe('rate(x[10s]) > 4 * y offset 30s and z == z offset 2m')
    expect(scaleExpression('max_over_time(rate(x[5m])[1h:1m])', 1 / 60)).toBe('max_over_time(rate(x[5s])[1m:1s])')
    expect(scaleExpression('max_over_time(x[1h:])', 1 / 60)).toBe('max_over_time(x[1m:])')
    expect(scaleExpression('x{le="300"} > 5', 1 / 60)).toBe('x{le="300"} > 5')
  })

  it('scales every window of the project rules and nothing else', async () => {
    const alerts = await readYaml(join(REPO_ROOT, 'rules', 'alerts.yml')) as RuleFile
    const scaled = scaleRuleFile(alerts, 1 / 30)
    const drop = scaled.groups.flatMap((g) => g.rules).find((r) => r.alert === 'LibP2PTrackerPeerCountDrop')
    expect(drop?.for).toBe('4s')
    expect(drop?.expr).toContain('max_over_time(libp2p_tracker_connected_peers[4m])')
    expect(drop?.expr).toContain('last_over_time(libp2p_tracker_connected_peers[6s])')
    expect(drop?.expr).toContain('last_over_time(libp2p_tracker_start_time_seconds[40s] offset 40s)')
    expect(drop?.expr).not.toMatch(/\b(3m|2h|20m)\b/)
    const original = alerts.groups.flatMap((g) => g.rules).find((r) => r.alert === 'LibP2PTrackerPeerCountDrop')
    expect(drop?.annotations).toEqual(original?.annotations)
    expect(drop?.labels).toEqual(original?.labels)
  })
})

describe('Prometheus 3 windows on Prometheus 2.42 (support/window-semantics.ts)', () => {
  it('reads every selector 1 ms later, so that a sample on a window\'s left edge falls out', () => {
    expect(leftOpenExpression('rate(x{a="b"}[5m]) > 4 * y offset 15m and z == z offset -1m'))
      .toBe('rate(x{a="b"}[5m] offset -1ms) > 4 * y offset 899999ms and z offset -1ms == z offset -60001ms')
    expect(leftOpenExpression('sum by (job, instance) (increase(a{l=~"x|y"}[1d])) >= 288'))
      .toBe('sum by (job, instance) (increase(a{l=~"x|y"}[1d] offset -1ms)) >= 288')
    expect(leftOpenExpression('absent(up{job="j"})')).toBe('absent(up{job="j"} offset -1ms)')
    expect(() => leftOpenExpression('max_over_time(rate(x[5m])[1h:1m])')).toThrow(/subqueries/)
  })

  it('shifts every selector of the project rules and changes nothing else', async () => {
    const alerts = await readYaml(join(REPO_ROOT, 'rules', 'alerts.yml')) as RuleFile
    const shifted = leftOpenRuleFile(alerts).groups.flatMap((g) => g.rules)
    const original = alerts.groups.flatMap((g) => g.rules)
    for (const [i, rule] of shifted.entries()) {
      const { expr, ...rest } = rule
      const { expr: originalExpr, ...originalRest } = original[i] as typeof rule
      expect(rest).toEqual(originalRest)
      // As many shifted offsets as selectors, and no selector left unshifted.
      expect((expr.match(/ offset /g) ?? []).length, `${rule.alert ?? rule.record ?? ''}: ${expr}`)
        .toBe(vectorSelectors(originalExpr).length)
    }
  })
})
