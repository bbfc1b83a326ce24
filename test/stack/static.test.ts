/**
 * The stack's files checked by the real tools: promtool, amtool and docker-compose
 * (Debian's prometheus, prometheus-alertmanager and docker-compose packages). Each check
 * asserts the tool's exit code and its verdict, and negative controls show that the same
 * checks fail on broken copies.
 */
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PATHS, REPO_ROOT, TOOLS } from './support/paths.js'
import { runTool } from './support/run-tool.js'
import { DEFAULTS } from '../../src/config.js'
import { execForm, imageEnvironment } from './support/dockerfile.js'
import { parseDuration, type RuleFile } from './support/rule-scaling.js'
import {
  composeProblems, isPinnedImage, listensOnAllInterfaces, markdownHeadings, sectionHeadings, trackerWebAddress,
  type ComposeFile, type ComposeService
} from './support/stack-checks.js'
import { leftOpenRuleFile, leftOpenRuleTestFile, type RuleTestFile } from './support/window-semantics.js'
import { readYaml, toYaml } from './support/yaml.js'

let scratch: string

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'libp2p-tracker-static-'))
})

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

const ruleFiles = ['rules/alerts.yml', 'rules/records.yml']

/** The alerts whose runbook_url is not `<base>#<alert name in lower case>`. */
function runbookProblems (rules: Array<{ alert?: string, annotations?: Record<string, string> }>, base: string): string[] {
  return rules.flatMap((r) => (r.alert !== undefined && r.annotations?.runbook_url !== `${base}#${r.alert.toLowerCase()}` ? [r.alert] : []))
}

/** The runbook base stated once at the top of rules/alerts.yml ("#   runbook base: URL"). */
async function runbookBase (): Promise<string> {
  const text = await readFile(join(REPO_ROOT, 'rules', 'alerts.yml'), 'utf8')
  const base = /^# {3}runbook base: (\S+)$/m.exec(text)?.[1]
  if (base === undefined) throw new Error('rules/alerts.yml states no "runbook base:"')
  return base
}
const ruleTests = (await readdir(PATHS.ruleTestsDir)).filter((f) => f.endsWith('.test.yml')).sort()

/** The lines of a file from the first line matching `from`, with one leading '# ' removed. */
function uncommentFrom (text: string, from: RegExp, prefix: string): string {
  const lines = text.split('\n')
  const start = lines.findIndex((line) => from.test(line))
  return lines.map((line, i) => (i >= start && line.startsWith(`${prefix}# `) ? prefix + line.slice(prefix.length + 2) : line)).join('\n')
}

describe('prometheus.yml', () => {
  it('passes promtool check config, with the rule files it loads and no warnings', async () => {
    const result = await runTool(TOOLS.promtool, ['check', 'config', 'prometheus.yml'], { cwd: REPO_ROOT })
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain('SUCCESS: prometheus.yml is valid prometheus config file syntax')
    for (const file of ruleFiles) expect(result.output).toContain(`Checking ${file}`)
    expect(result.output).not.toMatch(/WARNING|FAILED/)
  })

  it('has a valid file_sd example in prometheus/targets/trackers.yml', async () => {
    const dir = join(scratch, 'file-sd')
    await mkdir(join(dir, 'prometheus', 'targets'), { recursive: true })
    await cp(PATHS.prometheusConfig, join(dir, 'prometheus.yml'))
    await cp(PATHS.rulesDir, join(dir, 'rules'), { recursive: true })
    const example = uncommentFrom(await readFile(PATHS.fileSdTargets, 'utf8'), /^# - targets:/, '')
      .replace(/^\[\]$/m, '')
    expect(example).toMatch(/^- targets:\n {4}- tracker-a\.example\.org:9089$/m)
    await writeFile(join(dir, 'prometheus', 'targets', 'trackers.yml'), example)
    const result = await runTool(TOOLS.promtool, ['check', 'config', 'prometheus.yml'], { cwd: dir })
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain('SUCCESS: prometheus.yml is valid')
  })

  it('fails promtool check config when a file_sd file is broken (negative control)', async () => {
    const dir = join(scratch, 'file-sd-broken')
    await mkdir(join(dir, 'prometheus', 'targets'), { recursive: true })
    await cp(PATHS.prometheusConfig, join(dir, 'prometheus.yml'))
    await cp(PATHS.rulesDir, join(dir, 'rules'), { recursive: true })
    await writeFile(join(dir, 'prometheus', 'targets', 'trackers.yml'), '- targets: tracker:9089\n')
    const result = await runTool(TOOLS.promtool, ['check', 'config', 'prometheus.yml'], { cwd: dir })
    expect(result.code).not.toBe(0)
    expect(result.output).toContain('FAILED')
  })
})

describe('alert and recording rules', () => {
  it('pass promtool check rules', async () => {
    const result = await runTool(TOOLS.promtool, ['check', 'rules', ...ruleFiles], { cwd: REPO_ROOT })
    expect(result.code, result.output).toBe(0)
    expect(result.output.match(/SUCCESS: \d+ rules found/g)).toHaveLength(ruleFiles.length)
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
    const dir = join(scratch, 'left-open', file)
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
    const dir = join(scratch, 'left-edge')
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
      rule_files: ruleFiles.map((f) => join(REPO_ROOT, f)),
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
    const file = join(scratch, 'wrong.test.yml')
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

  it('define the runbook base once, at the top of rules/alerts.yml, pointing at docs/alerts.md of the repository', async () => {
    const text = await readFile(join(REPO_ROOT, 'rules', 'alerts.yml'), 'utf8')
    expect(text.match(/^# {3}runbook base: /gm)).toHaveLength(1)
    expect(await runbookBase()).toBe('https://github.com/libp2p-peer-tracker/libp2p-peer-tracker/blob/main/docs/alerts.md')
    // A rule with another base, or the anchor of another alert, is caught (negative control).
    const base = await runbookBase()
    const rule = (alert: string, url: string) => ({ alert, expr: 'vector(1)', annotations: { runbook_url: url } })
    expect(runbookProblems([
      rule('LibP2PTrackerNoPeers', `${base}#libp2ptrackernopeers`),
      rule('LibP2PTrackerChurnHigh', 'https://example.org/runbooks#libp2ptrackerchurnhigh'),
      rule('LibP2PTrackerInboundGone', `${base}#libp2ptrackerchurnhigh`)
    ], base)).toEqual(['LibP2PTrackerChurnHigh', 'LibP2PTrackerInboundGone'])
  })

  it('link every runbook_url to a heading of docs/alerts.md, and give every heading an alert', async () => {
    const page = await readFile(join(REPO_ROOT, 'docs', 'alerts.md'), 'utf8')
    const anchors = new Set(markdownHeadings(page).map((h) => h.anchor))
    const rules = (await readYaml(join(REPO_ROOT, 'rules', 'alerts.yml')) as RuleFile).groups.flatMap((g) => g.rules)
    const alerts = [...new Set(rules.flatMap((r) => (r.alert === undefined ? [] : [r.alert])))]
    const missing = rules.flatMap((rule) => {
      const anchor = /#(.+)$/.exec(rule.annotations?.runbook_url ?? '')?.[1]
      return rule.alert !== undefined && (anchor === undefined || !anchors.has(anchor)) ? [`${rule.alert}: #${anchor ?? '(no anchor)'}`] : []
    })
    expect(missing, 'runbook anchors without a heading in docs/alerts.md').toEqual([])
    // One "## <AlertName>" heading per alert, and no heading for an alert that does not exist.
    const alertHeadings = markdownHeadings(page).filter((h) => h.level === 2 && /^LibP2PTracker\w+$/.test(h.text)).map((h) => h.text)
    expect(alertHeadings.sort()).toEqual([...alerts].sort())
    // The page's own links and the README's links into it lead to headings.
    const readme = await readFile(PATHS.readme, 'utf8')
    const links = [...page.matchAll(/\]\(#([^)]+)\)/g), ...readme.matchAll(/\(docs\/alerts\.md#([^)]+)\)/g)].map((m) => m[1] ?? '')
    expect(links.length).toBeGreaterThan(20)
    expect(links.filter((link) => !anchors.has(link)), 'links to no heading').toEqual([])
    expect(readme).toContain('](docs/alerts.md)')
  })

  it('read README anchors as GitHub makes them (negative control)', () => {
    const readme = [
      '# Title', '## Monitoring stack', '### Runbook: LibP2PTrackerNoPeers', '```sh', '# Runbook: LibP2PTrackerTargetDown', '```',
      '### Runbook: `LibP2PTrackerNoPeers`', '## Other', '### Runbook: LibP2PTrackerChurnHigh'
    ].join('\n')
    expect(markdownHeadings(readme).map((h) => h.anchor)).toEqual([
      'title', 'monitoring-stack', 'runbook-libp2ptrackernopeers', 'runbook-libp2ptrackernopeers-1', 'other', 'runbook-libp2ptrackerchurnhigh'
    ])
    // Headings in code blocks and outside the section do not count.
    expect(sectionHeadings(readme, 'Monitoring stack').map((h) => h.anchor))
      .toEqual(['runbook-libp2ptrackernopeers', 'runbook-libp2ptrackernopeers-1'])
  })
})

describe('alertmanager/alertmanager.yml', () => {
  it('passes amtool check-config', async () => {
    const result = await runTool(TOOLS.amtool, ['check-config', PATHS.alertmanagerConfig])
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain('SUCCESS')
    expect(result.output).toMatch(/4 inhibit rules/)
  })

  it('has valid commented receiver examples', async () => {
    const text = uncommentFrom(await readFile(PATHS.alertmanagerConfig, 'utf8'), /^ {4}# slack_configs:/, '    ')
    expect(text).toMatch(/^ {4}slack_configs:$/m)
    expect(text).toMatch(/^ {4}email_configs:$/m)
    const file = join(scratch, 'alertmanager-examples.yml')
    await writeFile(file, text)
    const result = await runTool(TOOLS.amtool, ['check-config', file])
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain('SUCCESS')
  })

  it('fails amtool check-config when an inhibit matcher is broken (negative control)', async () => {
    const text = (await readFile(PATHS.alertmanagerConfig, 'utf8'))
      .replace('equal: [job, instance]', 'equal: job')
    const file = join(scratch, 'alertmanager-broken.yml')
    await writeFile(file, text)
    const result = await runTool(TOOLS.amtool, ['check-config', file])
    expect(result.code).not.toBe(0)
    expect(result.output).toContain('FAILED')
  })

  it('sends the default receiver to a webhook URL that is not inside the Alertmanager container', async () => {
    const config = await readYaml(PATHS.alertmanagerConfig) as { receivers: Array<{ name: string, webhook_configs?: Array<{ url: string }> }> }
    const urls = config.receivers.flatMap((r) => (r.webhook_configs ?? []).map((w) => w.url))
    // One URL to edit, marked as such in the file.
    expect(urls).toHaveLength(1)
    const url = new URL(urls[0] ?? '')
    // 127.0.0.1 or localhost would be the Alertmanager container itself.
    expect(url.hostname).not.toMatch(/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/)
    const text = await readFile(PATHS.alertmanagerConfig, 'utf8')
    expect(text).toMatch(new RegExp(`>>> The one place to edit.*\\n(?:\\s*#.*\\n)*\\s*- url: ${urls[0] ?? ''}\\n`))
  })

  it.each([
    ['LibP2PTrackerNoPeers', 'critical'],
    ['LibP2PTrackerPeerCountDrop', 'warning'],
    ['LibP2PTrackerPeerSeriesCapReached', 'info'],
    ['LibP2PTrackerCrashLooping', 'critical'],
    ['LibP2PTrackerAlertmanagerNotificationsFailing', 'critical']
  ])('routes %s (%s) to the default receiver', async (alertname, severity) => {
    const result = await runTool(TOOLS.amtool, [
      'config', 'routes', 'test', `--config.file=${PATHS.alertmanagerConfig}`,
      `alertname=${alertname}`, `severity=${severity}`, 'job=libp2p-peer-tracker', 'instance=tracker:9089'
    ])
    expect(result.code, result.output).toBe(0)
    expect(result.stdout.trim()).toBe('default')
  })

  it('routes the Watchdog, and only the Watchdog, to the receiver "watchdog", which is repeated every 5 minutes', async () => {
    const route = async (...labels: string[]) => (await runTool(TOOLS.amtool, [
      'config', 'routes', 'test', `--config.file=${PATHS.alertmanagerConfig}`, ...labels
    ])).stdout.trim()
    expect(await route('alertname=LibP2PTrackerWatchdog', 'severity=none')).toBe('watchdog')
    expect(await route('alertname=LibP2PTrackerNoPeers', 'severity=none')).toBe('default')
    const config = await readYaml(PATHS.alertmanagerConfig) as {
      route: { routes: Array<{ receiver: string, repeat_interval?: string, group_interval?: string }> }
      receivers: Array<{ name: string, webhook_configs?: unknown[] }>
    }
    const watchdog = config.route.routes.find((r) => r.receiver === 'watchdog')
    // A heartbeat service expects a ping every few minutes: a long repeat would trip it.
    expect(parseDuration(watchdog?.repeat_interval ?? '0s')).toBe(5 * 60_000)
    expect(parseDuration(watchdog?.group_interval ?? '0s')).toBeLessThanOrEqual(5 * 60_000)
    // It sends nothing until the user gives it a heartbeat URL (no failing placeholder).
    expect(config.receivers.find((r) => r.name === 'watchdog')).toEqual({ name: 'watchdog' })
  })

  it('holds back a warning while the critical alert of the same name and tracker fires', async () => {
    const config = await readYaml(PATHS.alertmanagerConfig) as { inhibit_rules: Array<Record<string, unknown>> }
    expect(config.inhibit_rules).toContainEqual({
      source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['alertname', 'job', 'instance']
    })
  })
})

describe('docker-compose.yml and Dockerfile', () => {
  // No GRAFANA_ADMIN_PASSWORD or LIBP2P_TRACKER_REVISION: the file must work with its defaults.
  const env = Object.fromEntries(Object.entries(process.env)
    .filter(([k]) => k !== 'GRAFANA_ADMIN_PASSWORD' && k !== 'LIBP2P_TRACKER_REVISION'))
  const compose = async (...args: string[]) =>
    await runTool(TOOLS.dockerCompose, ['--project-directory', REPO_ROOT, '-f', PATHS.compose, ...args], { env, cwd: REPO_ROOT })
  /** The compose file as docker-compose renders it (all profiles' services). */
  const rendered = async (extraEnv: Record<string, string> = {}): Promise<ComposeFile> => {
    const result = await runTool(TOOLS.dockerCompose, ['--project-directory', REPO_ROOT, '-f', PATHS.compose, '--profile', 'demo', 'config'], {
      env: { ...env, ...extraEnv }, cwd: REPO_ROOT
    })
    expect(result.code, result.output).toBe(0)
    const file = join(scratch, `compose-rendered-${Object.keys(extraEnv).join('-')}.yml`)
    await writeFile(file, result.stdout)
    return await readYaml(file) as ComposeFile
  }
  const asList = (value: string[] | string | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value])

  it('passes docker-compose config -q without warnings', async () => {
    const result = await compose('config', '-q')
    expect(result.code, result.output).toBe(0)
    expect(result.output).not.toMatch(/WARN|ERROR/i)
  })

  it('passes docker-compose config -q with the demo profile', async () => {
    const result = await compose('--profile', 'demo', 'config', '-q')
    expect(result.code, result.output).toBe(0)
    expect(result.output).not.toMatch(/WARN|ERROR/i)
    const profiles = await compose('config', '--profiles')
    expect(profiles.stdout.split('\n')).toContain('demo')
  })

  it('lists the tracker, Prometheus, Alertmanager and Grafana, with named data volumes', async () => {
    const services = await compose('config', '--services')
    expect(services.code, services.output).toBe(0)
    expect(services.stdout.trim().split('\n').sort())
      .toEqual(['alertmanager', 'grafana', 'prometheus', 'tracker', 'tracker-demo'])
    const volumes = await compose('config', '--volumes')
    expect(volumes.stdout.trim().split('\n').sort())
      .toEqual(['alertmanager-data', 'demo-targets', 'grafana-data', 'prometheus-data', 'tracker-data'])
  })

  it('pins images, has healthchecks and depends on health only', async () => {
    const config = await rendered()
    const dockerfile = await readFile(PATHS.dockerfile, 'utf8')
    expect(composeProblems(config, /^HEALTHCHECK /m.test(dockerfile))).toEqual([])

    const { services } = config
    expect(services['tracker-demo']?.profiles).toEqual(['demo'])
    expect(services.tracker?.profiles).toBeUndefined()
    // Prometheus runs (and records, and evaluates rules) without Alertmanager: a mistake in
    // alertmanager.yml, the file users edit, must not keep Prometheus and Grafana down.
    expect(services.prometheus?.depends_on).toBeUndefined()
    for (const [name, service] of Object.entries(services)) {
      const dependencies = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {})
      expect(dependencies, `${name} depends on alertmanager`).not.toContain('alertmanager')
    }
    expect(services.grafana?.depends_on).toEqual({ prometheus: { condition: 'service_healthy' } })
    const mounts = (name: string) => (services[name]?.volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source ?? ''}:${v.target ?? ''}`))
    expect(mounts('tracker').some((m) => m.startsWith('tracker-data:/data'))).toBe(true)
    expect(mounts('prometheus').some((m) => m.startsWith('prometheus-data:/prometheus'))).toBe(true)
    expect(mounts('grafana').some((m) => m.startsWith('grafana-data:/var/lib/grafana'))).toBe(true)
    expect(asList(services.tracker?.command)).toContain('--p2p.identity-file=/data/identity.key')
    expect(asList(services['tracker-demo']?.command)).toEqual(['demo'])
    const grafana = services.grafana?.environment ?? {}
    expect(grafana.GF_SECURITY_ADMIN_PASSWORD).toBe('admin') // the default when the variable is unset
    expect(grafana.GF_AUTH_ANONYMOUS_ENABLED).toBe('true')
    expect(grafana.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe('Viewer')
  })

  // The tracker CLI's defaults: the tracker's, and the demo command's (src/cli/demo-command.ts).
  const webDefaults = async () => ({
    tracker: DEFAULTS['web.listen-address'],
    demo: /const DEMO_WEB_ADDRESS = '([^']+)'/.exec(await readFile(join(REPO_ROOT, 'src', 'cli', 'demo-command.ts'), 'utf8'))?.[1] ?? ''
  })

  /** Where a built service's tracker serves HTTP: its command (or the image's CMD) and environment over the image's. */
  const webAddressOf = async (service: ComposeService) => {
    const dockerfile = await readFile(PATHS.dockerfile, 'utf8')
    const args = service.command === undefined ? execForm(dockerfile, 'CMD') : asList(service.command)
    const environment = { ...imageEnvironment(dockerfile), ...service.environment }
    return trackerWebAddress(args, environment, await webDefaults())
  }

  it('runs every tracker service with its web server on every interface, set where the healthcheck reads it', async () => {
    const defaults = await webDefaults()
    expect(defaults.demo).toBe('127.0.0.1:9089') // why the demo service needs its own setting
    const { services } = await rendered()
    const trackers = Object.entries(services).filter(([, s]) => s.build !== undefined)
    expect(trackers.map(([name]) => name).sort()).toEqual(['tracker', 'tracker-demo'])
    for (const [name, service] of trackers) {
      const web = await webAddressOf(service)
      // Prometheus scrapes <service>:9089 from another container: loopback would not do.
      expect(listensOnAllInterfaces(web.address), `${name} serves on ${web.address} (${web.from})`).toBe(true)
      expect(web.address.endsWith(':9089'), `${name}: ${web.address}`).toBe(true)
      // The image's healthcheck asks where LIBP2P_TRACKER_WEB_LISTEN_ADDRESS says: no flag may override it.
      expect(web.from, name).toBe('environment')
      expect(service.environment?.LIBP2P_TRACKER_WEB_LISTEN_ADDRESS, name).toBe(web.address)
    }
  })

  it('would see the demo service on 127.0.0.1 without its setting (negative control)', async () => {
    const defaults = await webDefaults()
    const old = trackerWebAddress(['demo'], {}, defaults)
    expect(old).toEqual({ address: '127.0.0.1:9089', from: 'default' })
    expect(listensOnAllInterfaces(old.address)).toBe(false)
    expect(trackerWebAddress(['--web.listen-address=127.0.0.1:9089', 'demo'], { LIBP2P_TRACKER_WEB_LISTEN_ADDRESS: '0.0.0.0:9089' }, defaults))
      .toEqual({ address: '127.0.0.1:9089', from: 'flag' })
    expect(trackerWebAddress(['demo', '--web.listen-address', '[::]:9100'], {}, defaults)).toEqual({ address: '[::]:9100', from: 'flag' })
    expect(listensOnAllInterfaces('[::]:9100')).toBe(true)
    expect(listensOnAllInterfaces(':9089')).toBe(true)
    expect(listensOnAllInterfaces('[::1]:9089')).toBe(false)
  })

  it('stamps the git revision into the image: a build arg from LIBP2P_TRACKER_REVISION, "unknown" by default', async () => {
    const dockerfile = await readFile(PATHS.dockerfile, 'utf8')
    expect(imageEnvironment(dockerfile).LIBP2P_TRACKER_REVISION).toBe('unknown')
    expect(imageEnvironment(dockerfile, { REVISION: '0150353' }).LIBP2P_TRACKER_REVISION).toBe('0150353')
    const withDefault = await rendered()
    const withRevision = await rendered({ LIBP2P_TRACKER_REVISION: '0150353' })
    for (const name of ['tracker', 'tracker-demo']) {
      const build = (config: ComposeFile) => config.services[name]?.build as { args?: Record<string, string> }
      expect(build(withDefault).args, name).toEqual({ REVISION: 'unknown' })
      expect(build(withRevision).args, name).toEqual({ REVISION: '0150353' })
    }
  })

  it('gives Prometheus the demo target through a file_sd folder that only the demo profile fills', async () => {
    const prometheus = await readYaml(PATHS.prometheusConfig) as {
      scrape_configs: Array<{ job_name: string, file_sd_configs?: Array<{ files: string[] }>, dns_sd_configs?: unknown }>
    }
    const job = prometheus.scrape_configs.find((j) => j.job_name === 'libp2p-peer-tracker')
    // No DNS lookups of a service that may not exist (it failed every 30 s without the profile).
    expect(prometheus.scrape_configs.filter((j) => j.dns_sd_configs !== undefined)).toEqual([])
    const globs = (job?.file_sd_configs ?? []).flatMap((c) => c.files)
    expect(globs).toContain('prometheus/demo-targets/*.yml')
    const { services } = await rendered()
    const mounts = (name: string) => (services[name]?.volumes ?? [])
      .map((v) => (typeof v === 'string' ? v : `${v.source ?? ''}:${v.target ?? ''}`).replace(/:r[ow]$/, ''))
    // prometheus.yml is /etc/prometheus/prometheus.yml: relative globs start there.
    expect(mounts('prometheus')).toContain('demo-targets:/etc/prometheus/prometheus/demo-targets')
    const demoFile = services['tracker-demo']?.environment?.DEMO_TARGETS_FILE ?? ''
    expect(mounts('tracker-demo')).toContain(`demo-targets:${demoFile.slice(0, demoFile.lastIndexOf('/'))}`)
    expect(demoFile.endsWith('.yml')).toBe(true)
    expect(services['tracker-demo']?.environment?.DEMO_TARGET).toBe('tracker-demo:9089')
    // The tracker service is not in any profile and not in that folder.
    expect(mounts('tracker').some((m) => m.startsWith('demo-targets:'))).toBe(false)
    // The image owns the mount point, so the volume is writable by the node user.
    expect(await readFile(PATHS.dockerfile, 'utf8')).toMatch(new RegExp(`chown node:node [^\\n]*${demoFile.slice(0, demoFile.lastIndexOf('/'))}\\b`))
  })

  it('takes the Grafana admin password from the environment', async () => {
    const result = await runTool(TOOLS.dockerCompose, ['-f', PATHS.compose, 'config'], {
      env: { ...env, GRAFANA_ADMIN_PASSWORD: 's3cret-from-env' }, cwd: REPO_ROOT
    })
    expect(result.code, result.output).toBe(0)
    expect(result.stdout).toContain('GF_SECURITY_ADMIN_PASSWORD: s3cret-from-env')
  })

  it('flags an unpinned image, a missing healthcheck and a plain depends_on (negative control)', () => {
    expect(isPinnedImage('prom/prometheus:v3.13.0')).toBe(true)
    expect(isPinnedImage('grafana/grafana:12.4.2')).toBe(true)
    expect(isPinnedImage('prom/prometheus:latest')).toBe(false)
    expect(isPinnedImage('grafana/grafana:12')).toBe(false)
    expect(composeProblems({
      services: {
        prometheus: { image: 'prom/prometheus:latest', healthcheck: { test: ['CMD', 'true'] } },
        grafana: { image: 'grafana/grafana:12.4.2', depends_on: ['prometheus'] }
      }
    }, true)).toEqual([
      'prometheus: image prom/prometheus:latest is not pinned to a version',
      'grafana: no healthcheck',
      'grafana: depends_on without condition: service_healthy'
    ])
  })

  it('builds a non-root, pinned, multi-stage image with a healthcheck on /-/healthy', async () => {
    const dockerfile = await readFile(PATHS.dockerfile, 'utf8')
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1] ?? ''
    expect(image).toMatch(/^node:(22|24)\.\d+\.\d+-bookworm-slim$/)
    expect(dockerfile.match(/^FROM \$\{NODE_IMAGE\} AS \w+$/gm)).toHaveLength(2)
    expect(dockerfile).toMatch(/^RUN npm ci\b/m)
    expect(dockerfile).toMatch(/npm run build/)
    expect(dockerfile).toMatch(/npm prune --omit=dev/)
    expect(dockerfile).toMatch(/^USER node$/m)
    expect(dockerfile).toMatch(/^EXPOSE 9089 4001$/m)
    const [command, flag, script] = execForm(dockerfile, 'HEALTHCHECK')
    expect([command, flag]).toEqual(['node', '-e'])
    expect(script).toContain('/-/healthy')
    expect(script).toContain('process.env.LIBP2P_TRACKER_WEB_LISTEN_ADDRESS')
    // The image serves on every interface unless told otherwise.
    expect(imageEnvironment(dockerfile).LIBP2P_TRACKER_WEB_LISTEN_ADDRESS).toBe('0.0.0.0:9089')
    expect(execForm(dockerfile, 'CMD').some((a) => a.startsWith('--web.listen-address'))).toBe(false)
    const dockerignore = await readFile(join(REPO_ROOT, '.dockerignore'), 'utf8')
    expect(dockerignore).toMatch(/^\*$/m)
    expect(dockerignore).toMatch(/^!src\/$/m)
  })
})

describe('Grafana provisioning', () => {
  it('provisions the Prometheus datasource with the fixed uid and a file dashboard provider', async () => {
    const datasources = await readYaml(PATHS.grafanaDatasource) as {
      apiVersion: number
      datasources: Array<{ uid: string, type: string, url: string, jsonData: { timeInterval: string } }>
    }
    expect(datasources.apiVersion).toBe(1)
    expect(datasources.datasources).toHaveLength(1)
    const [prometheus] = datasources.datasources
    expect(prometheus).toMatchObject({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' })
    const scrape = (await readYaml(PATHS.prometheusConfig) as { global: { scrape_interval: string } }).global.scrape_interval
    expect(prometheus?.jsonData.timeInterval).toBe(scrape)

    const provider = await readYaml(PATHS.grafanaProvider) as {
      providers: Array<{ type: string, options: { path: string } }>
    }
    expect(provider.providers).toHaveLength(1)
    expect(provider.providers[0]).toMatchObject({ type: 'file', options: { path: '/etc/grafana/dashboards' } })
    const compose = await readFile(PATHS.compose, 'utf8')
    expect(compose).toContain('./grafana/dashboards:/etc/grafana/dashboards:ro')
    expect(compose).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro')
  })
})
