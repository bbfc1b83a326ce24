/**
 * The stack's files checked by the real tools: promtool, amtool and docker-compose
 * (Debian's prometheus, prometheus-alertmanager and docker-compose packages). Each check
 * asserts the tool's exit code and its verdict, and negative controls show that the same
 * checks fail on broken copies.
 */
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PATHS, REPO_ROOT, TOOLS } from './support/paths.js'
import { runTool } from './support/run-tool.js'
import { parseDuration, type RuleFile } from './support/rule-scaling.js'
import { composeProblems, githubAnchor, isPinnedImage, type ComposeFile } from './support/stack-checks.js'
import { readYaml } from './support/yaml.js'

let scratch: string

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'libp2p-tracker-static-'))
})

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

const ruleFiles = ['rules/alerts.yml', 'rules/records.yml']
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
    const docs = await readFile(PATHS.docs, 'utf8')
    const anchors = new Set([...docs.matchAll(/^#{2,6} (.+)$/gm)].map((m) => githubAnchor(m[1] ?? '')))
    const rules = (await readYaml(join(REPO_ROOT, 'rules', 'alerts.yml')) as RuleFile).groups.flatMap((g) => g.rules)
    for (const rule of rules.filter((r) => r.alert !== undefined)) {
      const name = rule.alert as string
      expect(rule.labels?.severity, name).toMatch(/^(critical|warning|info)$/)
      expect(rule.annotations?.summary, name).toBeTruthy()
      expect(rule.annotations?.description, name).toContain('{{ $value')
      expect(parseDuration(rule.for ?? '0s'), `${name} for:`).toBeGreaterThanOrEqual(minimumFor)
      const anchor = `runbook-${name.toLowerCase()}`
      expect(rule.annotations?.runbook_url, name)
        .toBe(`https://github.com/libp2p-peer-tracker/libp2p-peer-tracker#${anchor}`)
      expect(anchors.has(anchor), `docs/monitoring-stack.md has no heading with anchor #${anchor}`).toBe(true)
    }
  })
})

describe('alertmanager/alertmanager.yml', () => {
  it('passes amtool check-config', async () => {
    const result = await runTool(TOOLS.amtool, ['check-config', PATHS.alertmanagerConfig])
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain('SUCCESS')
    expect(result.output).toMatch(/2 inhibit rules/)
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

  it.each([
    ['LibP2PTrackerNoPeers', 'critical'],
    ['LibP2PTrackerPeerCountDrop', 'warning'],
    ['LibP2PTrackerPeerSeriesCapReached', 'info']
  ])('routes %s (%s) to the default receiver', async (alertname, severity) => {
    const result = await runTool(TOOLS.amtool, [
      'config', 'routes', 'test', `--config.file=${PATHS.alertmanagerConfig}`,
      `alertname=${alertname}`, `severity=${severity}`, 'job=libp2p-peer-tracker', 'instance=tracker:9089'
    ])
    expect(result.code, result.output).toBe(0)
    expect(result.stdout.trim()).toBe('default')
  })
})

describe('docker-compose.yml and Dockerfile', () => {
  // No GRAFANA_ADMIN_PASSWORD: the file must work with its defaults.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'GRAFANA_ADMIN_PASSWORD'))
  const compose = async (...args: string[]) =>
    await runTool(TOOLS.dockerCompose, ['--project-directory', REPO_ROOT, '-f', PATHS.compose, ...args], { env, cwd: REPO_ROOT })

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
      .toEqual(['alertmanager-data', 'grafana-data', 'prometheus-data', 'tracker-data'])
  })

  it('pins images, has healthchecks and depends on health only', async () => {
    const rendered = await compose('config')
    expect(rendered.code, rendered.output).toBe(0)
    const file = join(scratch, 'compose-rendered.yml')
    await writeFile(file, rendered.stdout)
    const config = await readYaml(file) as ComposeFile
    const dockerfile = await readFile(PATHS.dockerfile, 'utf8')
    expect(composeProblems(config, /^HEALTHCHECK /m.test(dockerfile))).toEqual([])

    const { services } = config
    expect(services['tracker-demo']?.profiles).toEqual(['demo'])
    expect(services.tracker?.profiles).toBeUndefined()
    expect(services.prometheus?.depends_on).toEqual({ alertmanager: { condition: 'service_healthy' } })
    expect(services.grafana?.depends_on).toEqual({ prometheus: { condition: 'service_healthy' } })
    const mounts = (name: string) => (services[name]?.volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source ?? ''}:${v.target ?? ''}`))
    expect(mounts('tracker').some((m) => m.startsWith('tracker-data:/data'))).toBe(true)
    expect(mounts('prometheus').some((m) => m.startsWith('prometheus-data:/prometheus'))).toBe(true)
    expect(mounts('grafana').some((m) => m.startsWith('grafana-data:/var/lib/grafana'))).toBe(true)
    const command = services.tracker?.command as string[]
    expect(command).toContain('--p2p.identity-file=/data/identity.key')
    expect(command).toContain('--web.listen-address=0.0.0.0:9089')
    expect(services['tracker-demo']?.command).toEqual(['demo'])
    const grafana = services.grafana?.environment ?? {}
    expect(grafana.GF_SECURITY_ADMIN_PASSWORD).toBe('admin') // the default when the variable is unset
    expect(grafana.GF_AUTH_ANONYMOUS_ENABLED).toBe('true')
    expect(grafana.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe('Viewer')
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
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n? *CMD \["node", "-e", ".*fetch\('http:\/\/127\.0\.0\.1:9089\/-\/healthy'\)/m)
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
