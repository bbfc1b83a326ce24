/**
 * The alert and recording rules (rules/alerts.yml, rules/records.yml) and their unit tests
 * (rules/tests/), checked by promtool: every rule test passes on Prometheus 2.42's range
 * windows and on 3.x's (support/window-semantics.ts), every alert is tested firing and not
 * firing, and every alert has the annotations and the `for:` the conventions ask for.
 * Negative controls show that the checks fail on a wrong expectation and tell the two
 * window semantics apart. runbooks.test.ts checks the runbook links.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { PATHS, REPO_ROOT, RULE_FILES, TOOLS } from '../support/stack/paths.js'
import { parseDuration, type RuleFile } from '../support/stack/rule-scaling.js'
import { runbookBase, runbookProblems } from '../support/stack/runbooks.js'
import { runTool } from '../support/process.js'
import { scratchDir } from '../support/scratch.js'
import { leftOpenRuleFile, leftOpenRuleTestFile, type RuleTestFile } from '../support/stack/window-semantics.js'
import { readYaml, toYaml } from '../support/stack/yaml.js'

const scratch = scratchDir('libp2p-tracker-rules-')

const ruleTests = (await readdir(PATHS.ruleTestsDir)).filter((f) => f.endsWith('.test.yml')).sort()

describe('alert and recording rules', () => {
  it('pass promtool check rules', async () => {
    const result = await runTool(TOOLS.promtool, ['check', 'rules', ...RULE_FILES], { cwd: REPO_ROOT })
    expect(result.code, result.output).toBe(0)
    expect(result.output.match(/SUCCESS: \d+ rules found/g)).toHaveLength(RULE_FILES.length)
  })

  it.each(ruleTests)('pass promtool test rules rules/tests/%s', async (file) => {
    const result = await runTool(TOOLS.promtool, ['test', 'rules', join('rules', 'tests', file)], { cwd: REPO_ROOT, timeoutMs: 55_000 })
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain('SUCCESS')
    expect(result.output).not.toContain('FAILED')
  }, 60_000)

  // Prometheus 3 reads (t - range, t] where 2.42 reads [t - range, t] (support/window-semantics.ts).
  // Every rule test must hold on both: run each again with the windows of 3.x.
  it.each(ruleTests)('pass promtool test rules rules/tests/%s with Prometheus 3 windows (left edge left out)', async (file) => {
    const dir = join(scratch(), 'left-open', file)
    await mkdir(dir, { recursive: true })
    const test = await readYaml(join(PATHS.ruleTestsDir, file)) as RuleTestFile & { tests: Array<{ interval?: string }> }
    // The emulation needs samples on whole seconds.
    for (const t of test.tests) expect(parseDuration(t.interval ?? '1m') % 1000).toBe(0)
    const rules: string[] = []
    for (const ruleFile of test.rule_files) {
      const copy = join(dir, basename(ruleFile))
      await writeFile(copy, toYaml(leftOpenRuleFile(await readYaml(join(PATHS.ruleTestsDir, ruleFile)) as RuleFile)))
      rules.push(copy)
    }
    const copy = join(dir, file)
    await writeFile(copy, toYaml(leftOpenRuleTestFile(test, rules)))
    const result = await runTool(TOOLS.promtool, ['test', 'rules', copy], { timeoutMs: 55_000 })
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain('SUCCESS')
  }, 60_000)

  it('tell apart a test that depends on a sample at the left edge of a window (negative control)', async () => {
    // x goes 0 -> 1 at 1m. At 5m, [0, 5m] holds that change (2.x); (0, 5m] does not (3.x).
    const dir = join(scratch(), 'left-edge')
    await mkdir(dir, { recursive: true })
    const rules: RuleFile = { groups: [{ name: 'edge', rules: [{ record: 'edge:x:changes5m', expr: 'changes(x[5m])' }] }] }
    const test = (ruleFile: string): RuleTestFile => ({
      rule_files: [ruleFile],
      evaluation_interval: '1m',
      tests: [{
        interval: '1m',
        input_series: [{ series: 'x{job="j"}', values: '0 1+0x10' }],
        promql_expr_test: [{ expr: 'edge:x:changes5m', eval_time: '5m', exp_samples: [{ labels: 'edge:x:changes5m{job="j"}', value: 1 }] }]
      }]
    })
    await writeFile(join(dir, 'rules.yml'), toYaml(rules))
    await writeFile(join(dir, 'left-open-rules.yml'), toYaml(leftOpenRuleFile(rules)))
    await writeFile(join(dir, 'closed.test.yml'), toYaml(test(join(dir, 'rules.yml'))))
    await writeFile(join(dir, 'left-open.test.yml'), toYaml(leftOpenRuleTestFile(test(join(dir, 'rules.yml')), [join(dir, 'left-open-rules.yml')])))
    const closed = await runTool(TOOLS.promtool, ['test', 'rules', join(dir, 'closed.test.yml')])
    expect(closed.code, closed.output).toBe(0)
    const leftOpen = await runTool(TOOLS.promtool, ['test', 'rules', join(dir, 'left-open.test.yml')])
    expect(leftOpen.code).not.toBe(0)
    expect(leftOpen.output).toContain('FAILED')
  })

  it('make promtool test rules fail on a wrong expectation (negative control)', async () => {
    // A node with no peers for 40 minutes does fire LibP2PTrackerNoPeers at 16m; expecting
    // silence must fail.
    const wrong = {
      rule_files: RULE_FILES.map((f) => join(REPO_ROOT, f)),
      evaluation_interval: '1m',
      tests: [{
        interval: '1m',
        input_series: [
          { series: 'up{job="libp2p-peer-tracker", instance="t:9089"}', values: '1+0x40' },
          { series: 'libp2p_tracker_start_time_seconds{job="libp2p-peer-tracker", instance="t:9089"}', values: '1000+0x40' },
          { series: 'libp2p_tracker_connected_peers{job="libp2p-peer-tracker", instance="t:9089"}', values: '0+0x40' }
        ],
        alert_rule_test: [{ eval_time: '16m', alertname: 'LibP2PTrackerNoPeers', exp_alerts: [] }]
      }]
    }
    const file = join(scratch(), 'wrong.test.yml')
    await writeFile(file, JSON.stringify(wrong))
    const result = await runTool(TOOLS.promtool, ['test', 'rules', file])
    expect(result.code).not.toBe(0)
    expect(result.output).toContain('FAILED')
    expect(result.output).toContain('LibP2PTrackerNoPeers')
  })

  it('test every alert both firing and not firing', async () => {
    const alerts = (await readYaml(join(REPO_ROOT, 'rules', 'alerts.yml')) as RuleFile).groups
      .flatMap((g) => g.rules).flatMap((r) => (r.alert === undefined ? [] : [r.alert]))
    const firing = new Set<string>()
    const silent = new Set<string>()
    for (const file of ruleTests) {
      const tests = await readYaml(join(PATHS.ruleTestsDir, file)) as {
        tests: Array<{ alert_rule_test?: Array<{ alertname: string, exp_alerts: unknown[] }> }>
      }
      for (const t of tests.tests.flatMap((x) => x.alert_rule_test ?? [])) {
        (t.exp_alerts.length > 0 ? firing : silent).add(t.alertname)
      }
    }
    expect(alerts.length).toBeGreaterThanOrEqual(8)
    expect(alerts.filter((a) => !firing.has(a)), 'alerts never expected to fire').toEqual([])
    expect(alerts.filter((a) => !silent.has(a)), 'alerts never expected to stay silent').toEqual([])
  })

  it('give every alert a severity, summary, description with its value, a runbook and a long enough for', async () => {
    const prometheus = await readYaml(PATHS.prometheusConfig) as { global: { scrape_interval: string } }
    const minimumFor = 3 * parseDuration(prometheus.global.scrape_interval)
    const base = await runbookBase()
    const rules = (await readYaml(join(REPO_ROOT, 'rules', 'alerts.yml')) as RuleFile).groups.flatMap((g) => g.rules)
    for (const rule of rules.filter((r) => r.alert !== undefined)) {
      const name = rule.alert as string
      // `none` only for the Watchdog, which never pages anyone.
      expect(rule.labels?.severity, name).toMatch(name === 'LibP2PTrackerWatchdog' ? /^none$/ : /^(critical|warning|info)$/)
      expect(rule.annotations?.summary, name).toBeTruthy()
      expect(rule.annotations?.description, name).toContain('{{ $value')
      expect(parseDuration(rule.for ?? '0s'), `${name} for:`).toBeGreaterThanOrEqual(minimumFor)
    }
    expect(runbookProblems(rules, base)).toEqual([])
  })
})
