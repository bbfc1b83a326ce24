/**
 * Structural test of the provisioned Grafana dashboard (Grafana cannot run here): every
 * panel has a title, a description and a unit; every query uses the datasource variable,
 * the job/instance filter and $__rate_interval; and the dashboard, the alert rules and the
 * recording rules only reference metrics the tracker exports (test/stack/exported-metrics.ts),
 * prom-client's defaults, Prometheus' own series or recorded series.
 * test/stack/alert-pipeline.test.ts runs every query against a real Prometheus.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { METRIC_NAMES } from '../../src/metrics/definitions.js'
import { NOT_ON_DASHBOARD, TRACKER_METRICS, knownSeriesNames } from './exported-metrics.js'
import { allPanels, dashboardQueries, readDashboard } from './support/dashboard.js'
import { PATHS, REPO_ROOT } from './support/paths.js'
import { metricNames, rangeDurations, vectorSelectors } from './support/promql.js'
import { runTool } from './support/run-tool.js'
import type { RuleFile } from './support/rule-scaling.js'
import { dashboardQueryProblems, unknownMetrics } from './support/stack-checks.js'
import { readYaml } from './support/yaml.js'

const dashboard = await readDashboard()
const panels = allPanels(dashboard).filter((p) => p.type !== 'row')
const queries = dashboardQueries(dashboard)

const ruleFiles = await Promise.all(['alerts.yml', 'records.yml']
  .map(async (f) => await readYaml(join(REPO_ROOT, 'rules', f)) as RuleFile))
const rules = ruleFiles.flatMap((f) => f.groups.flatMap((g) => g.rules))
const recorded = new Set(rules.flatMap((r) => (r.record === undefined ? [] : [r.record])))
const known = new Set([...await knownSeriesNames(), ...recorded])

describe('the PromQL reader the checks rely on', () => {
  it('finds the selectors and matchers of an expression', () => {
    const expr = 'sum by (instance, le) (rate(a_bucket{job="$job", instance=~"$instance"}[$__rate_interval])) ' +
      '- on (instance) group_left b offset 5m > bool 0 unless topk(3, c:rec{x=","}) and time()'
    expect(vectorSelectors(expr)).toEqual([
      { metric: 'a_bucket', matchers: ['job="$job"', 'instance=~"$instance"'] },
      { metric: 'b', matchers: [] },
      { metric: 'c:rec', matchers: ['x=","'] }
    ])
    expect([...metricNames('histogram_quantile(0.9, sum without (direction) (x)) * 1e3')]).toEqual(['x'])
    expect(rangeDurations('rate(a[5m]) + max_over_time(b[1h:1m])')).toEqual(['5m', '1h:1m'])
  })

  it('flags a selector without the filter, a fixed range and an unknown metric (negative control)', () => {
    expect(dashboardQueryProblems('rate(libp2p_tracker_peer_connects_total{job="$job"}[5m])')).toEqual([
      'libp2p_tracker_peer_connects_total lacks instance=~"$instance"',
      'range [5m] instead of [$__rate_interval]'
    ])
    expect(unknownMetrics('libp2p_tracker_peers_connected{job="$job"}', known)).toEqual(['libp2p_tracker_peers_connected'])
  })
})

describe('grafana/dashboards/libp2p-peer-tracker.json', () => {
  it('is what grafana/generate-dashboard.mjs generates', async () => {
    const result = await runTool(process.execPath, [PATHS.dashboardGenerator, '--check'])
    expect(result.code, result.output).toBe(0)
    expect(result.stdout).toContain('is up to date')
  })

  it('has a stable uid, no id and no import placeholders', async () => {
    const text = await readFile(PATHS.dashboard, 'utf8')
    expect(dashboard.id).toBeNull()
    expect(dashboard.uid).toBe('libp2p-peer-tracker')
    expect(text).not.toContain('${DS_')
    expect(text).not.toContain('__inputs')
    expect(text).not.toContain('__requires')
  })

  it('has the datasource, job and instance variables', () => {
    const variables = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]))
    expect(Object.keys(variables)).toEqual(['datasource', 'job', 'instance'])
    expect(variables.datasource).toMatchObject({ type: 'datasource', query: 'prometheus' })
    expect(variables.job).toMatchObject({ type: 'query', query: 'label_values(libp2p_tracker_build_info, job)' })
    expect(variables.instance).toMatchObject({
      type: 'query', query: 'label_values(libp2p_tracker_build_info{job="$job"}, instance)', includeAll: true, multi: true
    })
    for (const v of [variables.job, variables.instance]) expect(v?.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' })
  })

  it('gives every panel a title, a description and a unit, and unique ids', () => {
    expect(panels.length).toBeGreaterThanOrEqual(20)
    for (const panel of panels) {
      expect(panel.title, `panel ${panel.id}`).toMatch(/\S/)
      expect(panel.description, `panel "${panel.title}" description`).toMatch(/\S{3,}/)
      expect(panel.fieldConfig?.defaults?.unit, `panel "${panel.title}" unit`).toMatch(/\S/)
    }
    const ids = allPanels(dashboard).map((p) => p.id)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('queries the datasource variable everywhere', () => {
    for (const panel of panels) {
      expect(panel.datasource, `panel "${panel.title}"`).toEqual({ type: 'prometheus', uid: '${datasource}' })
      expect(panel.targets?.length, `panel "${panel.title}" targets`).toBeGreaterThan(0)
    }
    for (const query of queries) expect(query.datasource, query.where).toEqual({ type: 'prometheus', uid: '${datasource}' })
  })

  it('filters every selector by job and instance and uses $__rate_interval for every range', () => {
    expect(queries.length).toBeGreaterThan(30)
    for (const query of queries) expect(dashboardQueryProblems(query.expr), `${query.where}: ${query.expr}`).toEqual([])
  })

  it('only references exported, default, Prometheus or recorded series', () => {
    for (const query of queries) expect(unknownMetrics(query.expr, known), `${query.where}: ${query.expr}`).toEqual([])
  })

  it('has the panels the issue asks for', () => {
    const exprsOf = (type?: string) => panels
      .filter((p) => type === undefined || p.type === type)
      .flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''))
    const all = exprsOf()
    const uses = (pattern: RegExp, type?: string) => exprsOf(type).some((e) => pattern.test(e))
    expect(uses(/^libp2p_tracker_connected_peers\{/, 'stat'), 'connected peers now').toBe(true)
    expect(uses(/^libp2p_tracker_connected_peers\{/, 'timeseries'), 'connected peers over time').toBe(true)
    expect(uses(/rate\(libp2p_tracker_peer_connects_total/) && uses(/rate\(libp2p_tracker_peer_disconnects_total/)).toBe(true)
    expect(all.some((e) => /rate\(libp2p_tracker_peer_connects_total.*\) - sum by \(instance\) \(rate\(libp2p_tracker_peer_disconnects_total/.test(e)), 'net churn').toBe(true)
    expect(uses(/histogram_quantile\(0\.9, .*libp2p_tracker_peer_session_duration_seconds_bucket/, 'timeseries'), 'session quantiles').toBe(true)
    expect(uses(/libp2p_tracker_peer_session_duration_seconds_bucket/, 'heatmap'), 'session heatmap').toBe(true)
    expect(uses(/^topk\(\d+, libp2p_tracker_peer_connection_duration_seconds\{/, 'table'), 'longest-connected peers').toBe(true)
    for (const label of ['direction', 'transport', 'encryption', 'muxer']) {
      expect(uses(new RegExp(`^sum by \\(${label}\\) \\(libp2p_tracker_open_connections\\{`)), `connections by ${label}`).toBe(true)
    }
    expect(uses(/libp2p_tracker_dht_routing_table_peers/), 'DHT routing table').toBe(true)
    expect(uses(/peer_connects_total.*\) - sum by \(instance\) \(libp2p_tracker_peer_disconnects_total.*\) - sum by \(instance\) \(libp2p_tracker_connected_peers/, 'stat'), 'invariant').toBe(true)
    for (const metric of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'up', 'scrape_duration_seconds']) {
      expect(uses(new RegExp(`\\b${metric}\\{`)), metric).toBe(true)
    }
    expect(uses(/^ALERTS\{/, 'table'), 'firing alerts').toBe(true)
  })

  it('has the peer-insight panels issue 5 asks for', () => {
    const uses = (pattern: RegExp, type?: string) => panels
      .filter((p) => type === undefined || p.type === type)
      .some((p) => (p.targets ?? []).some((t) => pattern.test(t.expr ?? '')))
    const rateBy = (label: string, metric: string) =>
      new RegExp(`^sum by \\(${label}\\) \\(rate\\(${metric}\\{[^}]*\\}\\[\\$__rate_interval\\]\\)\\)$`)
    expect(uses(/^sum by \(agent\) \(libp2p_tracker_peers_by_agent\{/, 'timeseries'), 'clients over time').toBe(true)
    expect(uses(/^sum by \(agent, version\) \(libp2p_tracker_peers_by_agent\{.*\}\) > 0$/, 'table'), 'client versions').toBe(true)
    expect(uses(/^sum by \(protocol\) \(libp2p_tracker_peers_by_protocol\{/, 'bargauge'), 'protocols').toBe(true)
    expect(uses(/^sum by \(ip_version\) \(libp2p_tracker_peers_by_ip_version\{/), 'address families').toBe(true)
    expect(uses(rateBy('outcome', 'libp2p_tracker_dials_total')), 'dials by outcome').toBe(true)
    expect(uses(/rate\(libp2p_tracker_dials_total\{outcome="failure", .*\) \/ sum by \(instance\) \(rate\(libp2p_tracker_dials_total\{/), 'dial failure ratio').toBe(true)
    expect(uses(rateBy('reason', 'libp2p_tracker_dial_errors_total')), 'dial errors by reason').toBe(true)
    expect(uses(rateBy('reason', 'libp2p_tracker_connection_close_reasons_total')), 'close reasons').toBe(true)
    expect(uses(/^sum by \(le\) \(increase\(libp2p_tracker_peer_rtt_seconds_bucket\{/, 'heatmap'), 'RTT heatmap').toBe(true)
    expect(uses(/^histogram_quantile\(0\.95, sum by \(agent, le\) \(rate\(libp2p_tracker_peer_rtt_seconds_bucket\{/, 'timeseries'), 'RTT p95 by client').toBe(true)
    expect(uses(/^libp2p_tracker_flapping_peers\{/), 'flapping peers').toBe(true)
    expect(uses(/rate\(libp2p_tracker_peer_reconnects_total\{/), 'reconnects').toBe(true)
    expect(uses(/^sum by \(min_age\) \(libp2p_tracker_stable_peers\{/), 'stable core').toBe(true)
    expect(uses(/rate\(libp2p_tracker_new_peers_total\{/) && uses(/rate\(libp2p_tracker_returning_peers_total\{/), 'new vs returning').toBe(true)
    expect(uses(/^libp2p_tracker_peers_seen\{/), 'peers seen').toBe(true)
    expect(uses(/^libp2p_tracker_ips_with_multiple_peer_ids\{/) && uses(/^libp2p_tracker_max_peer_ids_per_ip\{/), 'sybil signal').toBe(true)
    expect(uses(rateBy('component', 'libp2p_tracker_internal_errors_total')), 'internal errors').toBe(true)
    expect(uses(rateBy('direction', 'libp2p_tracker_gated_connections_total')), 'gated connections').toBe(true)
  })

  it('uses every tracker metric, except those listed in NOT_ON_DASHBOARD', () => {
    // Every family the tracker renders (METRIC_NAMES) is among those checked here.
    expect(TRACKER_METRICS.map((m) => m.name).sort()).toEqual([...METRIC_NAMES].sort())
    const used = new Set(queries.flatMap((q) => [...metricNames(q.expr)]))
    const unused = TRACKER_METRICS
      .filter((m) => ![m.name, `${m.name}_bucket`].some((n) => used.has(n)))
      .map((m) => m.name)
    expect(unused.sort()).toEqual([...NOT_ON_DASHBOARD.keys()].filter((n) => TRACKER_METRICS.some((m) => m.name === n)).sort())
  })
})

describe('alert and recording rules', () => {
  it('only reference exported, default, Prometheus or recorded series', () => {
    expect(rules.length).toBeGreaterThanOrEqual(10)
    for (const rule of rules) {
      expect(unknownMetrics(rule.expr, known), `${rule.alert ?? rule.record ?? ''}: ${rule.expr}`).toEqual([])
    }
  })
})
