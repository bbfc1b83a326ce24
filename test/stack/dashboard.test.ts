/**
 * Structural test of the provisioned Grafana dashboard (Grafana cannot run here): every
 * panel has a title, a description and a unit; every query uses the datasource variable,
 * the job/instance filter and $__rate_interval; and the dashboard, the alert rules and the
 * recording rules only reference metrics the tracker exports (test/support/stack/exported-metrics.ts),
 * prom-client's defaults, Prometheus' own series or recorded series.
 * test/stack/alert-pipeline.test.ts runs every query against a real Prometheus.
 */
import { mkdir, readFile, readdir, rm, rmdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { METRIC_NAMES, SOURCE_METRIC_NAMES } from '../../src/metrics/definitions.js'
import { NOT_ON_DASHBOARD, TRACKER_METRICS, knownSeriesNames } from '../support/stack/exported-metrics.js'
import { allPanels, dashboardQueries, readDashboard, withVariables } from '../support/stack/dashboard.js'
import { PATHS, REPO_ROOT, RULE_FILES, TOOLS } from '../support/stack/paths.js'
import { metricNames, rangeDurations, vectorSelectors } from '../support/stack/promql.js'
import type { RuleFile } from '../support/stack/rule-scaling.js'
import { runTool } from '../support/process.js'
import { scratchDir } from '../support/scratch.js'
import { aggregationsDroppingInstance, dashboardQueryProblems, unknownMetrics } from '../support/stack/stack-checks.js'
import { readYaml, toYaml } from '../support/stack/yaml.js'

const dashboard = await readDashboard()
const panels = allPanels(dashboard).filter((p) => p.type !== 'row')
const queries = dashboardQueries(dashboard)

const ruleFiles = await Promise.all(RULE_FILES.map(async (f) => await readYaml(join(REPO_ROOT, f)) as RuleFile))
const rules = ruleFiles.flatMap((f) => f.groups.flatMap((g) => g.rules))
const recorded = new Set(rules.flatMap((r) => (r.record === undefined ? [] : [r.record])))
const known = new Set([...await knownSeriesNames(), ...recorded])

const scratch = scratchDir('libp2p-tracker-dashboard-')

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
    expect(dashboardQueryProblems('ALERTS{instance=~"$instance|"}')).toEqual(['ALERTS lacks job="$job"'])
    expect(unknownMetrics('libp2p_tracker_peers_connected{job="$job"}', known)).toEqual(['libp2p_tracker_peers_connected'])
  })

  it('finds the aggregations that merge trackers (drop instance) (negative control)', () => {
    expect(aggregationsDroppingInstance('sum by (direction) (x) + sum by (instance, direction) (y)')).toEqual(['sum by (direction)'])
    expect(aggregationsDroppingInstance('sum(rate(x[1m])) / count without (instance) (y) - max without (le) (z)'))
      .toEqual(['sum(...)', 'count without (instance)'])
    expect(aggregationsDroppingInstance('sum(x) by (instance) and histogram_quantile(0.5, sum by (le) (rate(x_bucket[1m])))'))
      .toEqual(['sum by (le)'])
    expect(aggregationsDroppingInstance('topk(20, x) or libp2p_tracker_peer_session_duration_seconds_sum')).toEqual([])
  })
})

describe('grafana/dashboards/libp2p-peer-tracker.json', () => {
  it('is what grafana/generate-dashboard.ts generates', async () => {
    const result = await runTool(process.execPath, ['--import', 'tsx', PATHS.dashboardGenerator, '--check'], { cwd: REPO_ROOT })
    expect(result.code, result.output).toBe(0)
    expect(result.stdout).toContain('is up to date')
  })

  it('comes from a generator type-checked against Grafana\'s published schema (@grafana/schema)', async () => {
    // npm run typecheck checks the generator: test/tsconfig.json includes grafana/.
    const config = JSON.parse(await readFile(join(REPO_ROOT, 'test', 'tsconfig.json'), 'utf8')) as { include: string[] }
    expect(config.include).toContain('../grafana/**/*.ts')
    expect(await readFile(PATHS.dashboardGenerator, 'utf8')).toMatch(/^} satisfies Dashboard$/m)
    const panelKinds = await readFile(PATHS.dashboardPanels, 'utf8')
    for (const type of ['TimeSeriesOptions', 'StatOptions', 'TableOptions', 'HeatmapOptions', 'BarGaugeOptions']) {
      expect(panelKinds, type).toContain(`satisfies ${type}`)
    }
    // The types bite: tsc accepts the generator and rejects a copy of its panel kinds with
    // three mistakes in panel options (a wrong type, a string for an enum, a missing
    // required field). The copy sits under node_modules/.cache so that it resolves
    // @grafana/schema like the original, and imports the original's neighbours.
    const dir = join(REPO_ROOT, 'node_modules', '.cache', 'libp2p-tracker-tests', `schema-${process.pid}`)
    await mkdir(dir, { recursive: true })
    try {
      const broken = panelKinds
        .replace('showPercentChange: false,', 'showPercentChange: \'no\',')
        .replace('cellHeight: TableCellHeight.Sm,', 'cellHeight: \'small\',')
        .replace('showValue: VisibilityMode.Auto,\n', '')
        .replaceAll(/from '\.\/([^']+)'/g, (_, file: string) => `from '${join(dirname(PATHS.dashboardPanels), file)}'`)
      expect(broken).not.toBe(panelKinds)
      expect(broken).not.toMatch(/from '\./)
      await writeFile(join(dir, 'broken-panels.ts'), broken)
      await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({
        extends: join(REPO_ROOT, 'tsconfig.json'),
        compilerOptions: { noEmit: true, rootDir: REPO_ROOT, typeRoots: [join(REPO_ROOT, 'node_modules', '@types')] },
        files: [PATHS.dashboardGenerator, join(dir, 'broken-panels.ts')]
      }))
      const tsc = await runTool(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], { cwd: REPO_ROOT, timeoutMs: 120_000 })
      const errors = tsc.stdout.split('\n').filter((line) => / error TS\d+/.test(line))
      expect(errors.filter((line) => !line.includes('broken-panels.ts')), tsc.output).toEqual([])
      expect(errors.find((e) => /Type 'string' is not assignable to type 'boolean'/.test(e)), tsc.output).toBeDefined()
      expect(errors.find((e) => /'"small"' is not assignable to type 'TableCellHeight/.test(e)), tsc.output).toBeDefined()
      expect(errors.find((e) => /error TS1360: .* does not satisfy the expected type 'HeatmapOptions'/.test(e)), tsc.output).toBeDefined()
      expect(tsc.output).toMatch(/Property 'showValue' is missing/)
    } finally {
      await rm(dir, { recursive: true, force: true })
      await rmdir(dirname(dir)).catch(() => {}) // when no other run uses it
    }
  }, 130_000)

  it('keeps one module per row: grafana/generator/tracker-rows/<row title>.ts', async () => {
    const titles = allPanels(dashboard).filter((p) => p.type === 'row').map((p) => p.title ?? '')
    expect(titles.length).toBeGreaterThanOrEqual(8)
    const modules = (await readdir(PATHS.dashboardRows)).filter((f) => f !== 'selectors.ts').sort()
    const slug = (title: string) => `${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.ts`
    expect(titles.map(slug).sort()).toEqual(modules)
    for (const title of titles) {
      const source = await readFile(join(PATHS.dashboardRows, slug(title)), 'utf8')
      expect(source.match(/\brow\('[^']*'\)/g), slug(title)).toEqual([`row('${title}')`])
    }
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

  it('keeps the trackers apart: every aggregation keeps instance, except the heatmaps of distributions, which say so', () => {
    // With Tracker = All, `sum by (direction)` would add the connections of every tracker
    // into one line per direction.
    for (const panel of panels) {
      const merging = (panel.targets ?? []).flatMap((t) => aggregationsDroppingInstance(t.expr ?? ''))
      if (panel.type === 'heatmap') {
        expect(merging.every((a) => a === 'sum by (le)'), `panel "${panel.title}": ${merging.join(', ')}`).toBe(true)
        expect(panel.description, `panel "${panel.title}" description`).toMatch(/summed over the selected trackers/)
      } else {
        expect(merging, `panel "${panel.title}"`).toEqual([])
      }
    }
    for (const annotation of dashboard.annotations?.list ?? []) expect(aggregationsDroppingInstance(annotation.expr ?? '')).toEqual([])
  })

  it('shows LibP2PTrackerTargetAbsent in the alerts table whichever tracker is selected (promtool)', async () => {
    // ALERTS of two trackers, of TargetAbsent (job but no instance: absent(up{job=...})),
    // and of some other alert, evaluated by promtool with the table's query as Grafana sends it.
    const table = panels.find((p) => p.type === 'table' && (p.targets ?? []).some((t) => /\bALERTS\{/.test(t.expr ?? '')))
    const expr = table?.targets?.[0]?.expr ?? ''
    expect(expr).toMatch(/\bALERTS\{/)
    const alert = (labels: string) => `ALERTS{alertstate="firing", severity="critical", ${labels}}`
    const series = {
      a: alert('alertname="LibP2PTrackerNoPeers", job="libp2p-peer-tracker", instance="a:9089"'),
      b: alert('alertname="LibP2PTrackerNoPeers", job="libp2p-peer-tracker", instance="b:9089"'),
      absent: alert('alertname="LibP2PTrackerTargetAbsent", job="libp2p-peer-tracker"'),
      other: alert('alertname="Watchdog", job="prometheus", instance="localhost:9090"')
    }
    const query = (instance: string) => withVariables(expr, { job: 'libp2p-peer-tracker', instance, rateInterval: '1m' })
    const ranked = (labels: string) => labels.replace(/^ALERTS/, '')
    const file = join(scratch(), 'alerts-table.test.yml')
    await writeFile(file, toYaml({
      rule_files: [],
      evaluation_interval: '1m',
      tests: [{
        interval: '1m',
        input_series: Object.values(series).map((s) => ({ series: s, values: '1+0x10' })),
        promql_expr_test: [
          // The value is the severity's rank (critical 3), the series name is gone.
          { expr: query('a:9089'), eval_time: '5m', exp_samples: [series.a, series.absent].map((labels) => ({ labels: ranked(labels), value: 3 })) },
          { expr: query('(a:9089|b:9089)'), eval_time: '5m', exp_samples: [series.a, series.b, series.absent].map((labels) => ({ labels: ranked(labels), value: 3 })) },
          { expr: query('.*'), eval_time: '5m', exp_samples: [series.a, series.b, series.absent].map((labels) => ({ labels: ranked(labels), value: 3 })) }
        ]
      }]
    }))
    const result = await runTool(TOOLS.promtool, ['test', 'rules', file])
    expect(result.code, result.output).toBe(0)
    // The old filter, instance=~"$instance", loses TargetAbsent (negative control).
    const old = file.replace('.test.yml', '-old.test.yml')
    await writeFile(old, (await readFile(file, 'utf8')).replaceAll('instance=~\\"a:9089|\\"', 'instance=~\\"a:9089\\"'))
    expect(await readFile(old, 'utf8')).not.toBe(await readFile(file, 'utf8'))
    const oldResult = await runTool(TOOLS.promtool, ['test', 'rules', old])
    expect(oldResult.code).not.toBe(0)
    expect(oldResult.output).toContain('LibP2PTrackerTargetAbsent')
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
      expect(uses(new RegExp(`^sum by \\(instance, ${label}\\) \\(libp2p_tracker_open_connections\\{`)), `connections by ${label}`).toBe(true)
    }
    expect(uses(/libp2p_tracker_dht_routing_table_peers/), 'DHT routing table').toBe(true)
    expect(uses(/peer_connects_total.*\) - sum by \(instance\) \(libp2p_tracker_peer_disconnects_total.*\) - sum by \(instance\) \(libp2p_tracker_connected_peers/, 'stat'), 'invariant').toBe(true)
    for (const metric of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'up', 'scrape_duration_seconds']) {
      expect(uses(new RegExp(`\\b${metric}\\{`)), metric).toBe(true)
    }
    expect(uses(/\bALERTS\{/, 'table'), 'firing alerts').toBe(true)
  })

  it('has the peer-insight panels issue 5 asks for', () => {
    const uses = (pattern: RegExp, type?: string) => panels
      .filter((p) => type === undefined || p.type === type)
      .some((p) => (p.targets ?? []).some((t) => pattern.test(t.expr ?? '')))
    const rateBy = (label: string, metric: string) =>
      new RegExp(`^sum by \\(instance, ${label}\\) \\(rate\\(${metric}\\{[^}]*\\}\\[\\$__rate_interval\\]\\)\\)$`)
    expect(uses(/^sum by \(instance, agent\) \(libp2p_tracker_peers_by_agent\{/, 'timeseries'), 'clients over time').toBe(true)
    expect(uses(/^sum by \(instance, agent, version\) \(libp2p_tracker_peers_by_agent\{.*\}\) > 0$/, 'table'), 'client versions').toBe(true)
    expect(uses(/^sum by \(instance, protocol\) \(libp2p_tracker_peers_by_protocol\{/, 'bargauge'), 'protocols').toBe(true)
    expect(uses(/^sum by \(instance, ip_version\) \(libp2p_tracker_peers_by_ip_version\{/), 'address families').toBe(true)
    expect(uses(rateBy('outcome', 'libp2p_tracker_dials_total')), 'dials by outcome').toBe(true)
    expect(uses(/rate\(libp2p_tracker_dials_total\{outcome="failure", .*\) \/ sum by \(instance\) \(rate\(libp2p_tracker_dials_total\{/), 'dial failure ratio').toBe(true)
    expect(uses(rateBy('reason', 'libp2p_tracker_dial_errors_total')), 'dial errors by reason').toBe(true)
    expect(uses(rateBy('reason', 'libp2p_tracker_connection_close_reasons_total')), 'close reasons').toBe(true)
    expect(uses(/^sum by \(le\) \(rate\(libp2p_tracker_peer_rtt_seconds_bucket\{/, 'heatmap'), 'RTT heatmap').toBe(true)
    expect(uses(/^histogram_quantile\(0\.95, sum by \(instance, agent, le\) \(rate\(libp2p_tracker_peer_rtt_seconds_bucket\{/, 'timeseries'), 'RTT p95 by client').toBe(true)
    expect(uses(/^libp2p_tracker_flapping_peers\{/), 'flapping peers').toBe(true)
    expect(uses(/rate\(libp2p_tracker_peer_reconnects_total\{/), 'reconnects').toBe(true)
    expect(uses(/^sum by \(instance, min_age\) \(libp2p_tracker_stable_peers\{/), 'stable core').toBe(true)
    expect(uses(/rate\(libp2p_tracker_new_peers_total\{/) && uses(/rate\(libp2p_tracker_returning_peers_total\{/), 'new vs returning').toBe(true)
    expect(uses(/^libp2p_tracker_peers_seen\{/), 'peers seen').toBe(true)
    expect(uses(/^libp2p_tracker_ips_with_multiple_peer_ids\{/) && uses(/^libp2p_tracker_max_peer_ids_per_ip\{/), 'sybil signal').toBe(true)
    expect(uses(rateBy('component', 'libp2p_tracker_internal_errors_total')), 'internal errors').toBe(true)
    expect(uses(rateBy('direction', 'libp2p_tracker_gated_connections_total')), 'gated connections').toBe(true)
  })

  it('uses every tracker metric, except those listed in NOT_ON_DASHBOARD', () => {
    // Every family the tracker renders (METRIC_NAMES, and the source's) is among those checked here.
    expect(TRACKER_METRICS.map((m) => m.name).sort()).toEqual([...METRIC_NAMES, ...SOURCE_METRIC_NAMES].sort())
    const used = new Set(queries.flatMap((q) => [...metricNames(q.expr)]))
    const unused = TRACKER_METRICS
      .filter((m) => ![m.name, `${m.name}_bucket`].some((n) => used.has(n)))
      .map((m) => m.name)
    expect(unused.sort()).toEqual([...NOT_ON_DASHBOARD.keys()].filter((n) => TRACKER_METRICS.some((m) => m.name === n)).sort())
  })
})

describe('the Source row (issue 20)', () => {
  it('shows the source and its client, source up, the age of the last poll, the interval, polls by result, poll duration and gaps', () => {
    const uses = (pattern: RegExp, type?: string) => panels
      .filter((p) => type === undefined || p.type === type)
      .some((p) => (p.targets ?? []).some((t) => pattern.test(t.expr ?? '')))
    expect(uses(/^libp2p_tracker_source_info\{/, 'stat'), 'source and client').toBe(true)
    expect(uses(/^libp2p_tracker_source_up\{/, 'stat'), 'source up').toBe(true)
    expect(uses(/^time\(\) - \(libp2p_tracker_source_last_success_timestamp_seconds\{[^}]*\} > 0\)$/, 'stat'), 'age of the last successful poll').toBe(true)
    expect(uses(/^libp2p_tracker_source_poll_interval_seconds\{/, 'stat'), 'poll interval').toBe(true)
    expect(uses(/^sum by \(instance, result\) \(rate\(libp2p_tracker_source_polls_total\{[^}]*\}\[\$__rate_interval\]\)\)$/, 'timeseries'), 'polls by result').toBe(true)
    expect(uses(/^histogram_quantile\(0\.99, sum by \(instance, le\) \(rate\(libp2p_tracker_source_poll_duration_seconds_bucket\{/, 'timeseries'), 'poll duration').toBe(true)
    expect(uses(/^sum by \(instance, change\) \(rate\(libp2p_tracker_source_node_changes_total\{/), 'node changes').toBe(true)
    expect(uses(/rate\(libp2p_tracker_connection_close_reasons_total\{reason="source_gap", /), 'source gaps').toBe(true)
    // The row comes before the tracker's own process, and names the alert it shows.
    const titles = allPanels(dashboard).filter((p) => p.type === 'row').map((p) => p.title)
    expect(titles.indexOf('Source')).toBe(titles.indexOf('Tracker process') - 1)
    expect(panels.find((p) => p.title === 'Source up')?.description).toContain('LibP2PTrackerSourceDown')
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

describe('dashboard fixes of issue 11', () => {
  it('takes schemaVersion from @grafana/schema, and imports that package only through its public entry point', async () => {
    const { defaultDashboard } = await import('@grafana/schema')
    expect(defaultDashboard.schemaVersion).toBeGreaterThan(39)
    expect((dashboard as unknown as { schemaVersion: number }).schemaVersion).toBe(defaultDashboard.schemaVersion)
    // Every generator file, the fleet's too.
    const files = (await readdir(join(REPO_ROOT, 'grafana'), { recursive: true })).filter((f) => f.endsWith('.ts'))
    const specifiers = new Map(await Promise.all(files.map(async (file) => [file, [...(await readFile(join(REPO_ROOT, 'grafana', file), 'utf8'))
      .matchAll(/from '(@grafana\/schema[^']*)'/g)].map((m) => m[1] ?? '')] as const)))
    for (const file of ['generate-dashboard.ts', 'generate-fleet-dashboard.ts', join('generator', 'panels.ts'), join('generator', 'panel-options.ts')]) {
      expect(specifiers.get(file)?.length, file).toBeGreaterThan(0)
    }
    expect([...specifiers].flatMap(([file, list]) => list.filter((s) => s !== '@grafana/schema').map((s) => `${file}: ${s}`))).toEqual([])
  })

  it('sorts the alert table by severity with critical first', () => {
    const table = panels.find((p) => p.title === 'Tracker alerts') as unknown as {
      options: { sortBy: Array<{ displayName: string, desc: boolean }> }
      targets: Array<{ expr: string }>
      transformations: Array<{ options: { renameByName: Record<string, string>, excludeByName: Record<string, boolean> } }>
      fieldConfig: { overrides: Array<{ matcher: { options: string }, properties: Array<{ id: string, value: unknown }> }> }
    }
    expect(table.options.sortBy).toEqual([{ displayName: 'Severity', desc: true }])
    expect(table.transformations[0]?.options.renameByName.Value).toBe('Severity')
    expect(table.transformations[0]?.options.excludeByName.severity).toBe(true)
    // The sorted column is a number per severity, shown as the severity's name.
    const rank = Object.fromEntries([...(table.targets[0]?.expr ?? '').matchAll(/(\d) \* ALERTS\{[^}]*severity="(\w+)"/g)].map((m) => [m[2], Number(m[1])]))
    expect(rank.critical).toBeGreaterThan(rank.warning ?? Infinity)
    expect(rank.warning).toBeGreaterThan(rank.info ?? Infinity)
    const mappings = table.fieldConfig.overrides.find((o) => o.matcher.options === 'Severity')?.properties.find((p) => p.id === 'mappings')?.value as Array<{ options: Record<string, { text: string }> }>
    expect(Object.fromEntries(Object.entries(mappings[0]?.options ?? {}).map(([value, result]) => [result.text, Number(value)]))).toEqual(rank)
    // Every severity of the tracker rules has a rank (the Watchdog's "none" is not a tracker alert: no job label).
    const severities = new Set(rules.filter((r) => r.alert !== undefined && r.alert !== 'LibP2PTrackerWatchdog').map((r) => r.labels?.severity ?? ''))
    expect([...severities].sort()).toEqual(Object.keys(rank).sort())
  })

  it('shows the histograms as rates, which overlapping $__rate_interval windows do not count twice', () => {
    const heatmaps = panels.filter((p) => p.type === 'heatmap')
    expect(heatmaps.length).toBe(2)
    for (const panel of heatmaps) {
      for (const target of panel.targets ?? []) {
        expect(target.expr, panel.title).toMatch(/^sum by \(le\) \(rate\(libp2p_tracker_\w+_bucket\{[^}]*\}\[\$__rate_interval\]\)\)$/)
        expect(target.expr, panel.title).not.toContain('increase(')
      }
    }
  })
})
