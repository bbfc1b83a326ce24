/**
 * The deployment shapes of a fleet: deploy/kubernetes/ (a kustomize base rendered with
 * kubectl and validated offline against the Kubernetes and Prometheus Operator schemas of
 * kubernetes-models), its generated PrometheusRule and dashboard ConfigMap (regenerated
 * here: any drift from rules/*.yml or grafana/dashboards/*.json fails), and
 * deploy/systemd/ (checked by systemd-analyze).
 */
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import yaml from 'js-yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashboardFiles, generatedFiles, ruleFiles } from '../../deploy/kubernetes/generate.js'
import { CLI, runCliToExit } from '../support/tracker.js'
import { onlyManifest, renderKustomization, validateManifest as validate } from '../support/stack/kustomize.js'
import { REPO_ROOT, TOOLS } from '../support/stack/paths.js'
import { projectRuleFiles, readProjectPrometheusConfig, TRACKER_JOB } from '../support/stack/prometheus.js'
import { runTool } from '../support/process.js'
import { readYaml } from '../support/stack/yaml.js'
import type { Manifest } from '../support/stack/kustomize.js'

const KUBERNETES = join(REPO_ROOT, 'deploy', 'kubernetes')
const UNIT = join(REPO_ROOT, 'deploy', 'systemd', 'libp2p-peer-tracker.service')
const ENV_FILE = join(REPO_ROOT, 'deploy', 'systemd', 'libp2p-peer-tracker.env')


let scratch: string
let rendered: Manifest[]
const help = runCliToExit(['--help'], {}, 20_000)

const one = <T extends Manifest>(kind: string, name?: string): T => onlyManifest<T>(rendered, kind, name)

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'libp2p-tracker-deploy-'))
  rendered = await renderKustomization(KUBERNETES)
}, 70_000)

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

describe('deploy/kubernetes (kustomize base)', () => {
  it('renders with kubectl kustomize, and every manifest validates against its schema', () => {
    expect(rendered.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      'ConfigMap/libp2p-peer-tracker-dashboards',
      'PrometheusRule/libp2p-peer-tracker',
      'Service/libp2p-peer-tracker',
      'Service/libp2p-peer-tracker-p2p',
      'ServiceMonitor/libp2p-peer-tracker',
      'StatefulSet/libp2p-peer-tracker'
    ])
    for (const manifest of rendered) {
      expect(() => { validate(manifest) }, `${manifest.kind}/${manifest.metadata.name}`).not.toThrow()
      expect(manifest.metadata.labels?.['app.kubernetes.io/name'], manifest.kind).toBe('libp2p-peer-tracker')
    }
    // The validation bites (negative controls on copies).
    const statefulSet = structuredClone(one('StatefulSet')) as Manifest & { spec: { replicas: unknown } }
    statefulSet.spec.replicas = 'one'
    expect(() => { validate(statefulSet) }).toThrow(/replicas must be integer/)
    const rule = structuredClone(one('PrometheusRule')) as Manifest & { spec: { groups: Array<{ rules: Array<Record<string, unknown>> }> } }
    delete rule.spec.groups[0]?.rules[0]?.expr
    expect(() => { validate(rule) }).toThrow(/must have required property 'expr'|required property expr/)
    const monitor = structuredClone(one('ServiceMonitor')) as Manifest & { spec: { endpoints: Array<{ interval: string }> } }
    ;(monitor.spec.endpoints[0] as { interval: string }).interval = 'often'
    expect(() => { validate(monitor) }).toThrow(/interval/)
  })

  it('runs the tracker as a StatefulSet: identity on a volume, non-root, B4-sized, probed on /-/healthy and /-/ready', async () => {
    type Container = {
      image: string
      args: string[]
      env: Array<{ name: string, value: string }>
      ports: Array<{ name: string, containerPort: number, protocol: string }>
      resources: { requests: Record<string, string>, limits: Record<string, string> }
      livenessProbe: { httpGet: { path: string, port: string } }
      readinessProbe: { httpGet: { path: string, port: string } }
      securityContext: Record<string, unknown>
      volumeMounts: Array<{ name: string, mountPath: string }>
    }
    const set = one<Manifest & { spec: {
      serviceName: string
      template: { spec: { securityContext: Record<string, unknown>, containers: Container[] } }
      volumeClaimTemplates: Array<{ metadata: { name: string } }>
    } }>('StatefulSet')
    const pod = set.spec.template.spec
    const [container] = pod.containers
    if (container === undefined) throw new Error('no container')
    // The identity key is on the claim's volume, so the peer ID survives rescheduling.
    const identity = container.args.find((a) => a.startsWith('--p2p.identity-file='))?.split('=')[1] ?? ''
    const mount = container.volumeMounts.find((m) => identity.startsWith(`${m.mountPath}/`))
    expect(mount, identity).toBeDefined()
    expect(set.spec.volumeClaimTemplates.map((c) => c.metadata.name)).toContain(mount?.name)
    // Non-root, no privilege escalation, nothing writable but the volume.
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 })
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } })
    // Requests and limits from BENCHMARKS.md's B4 on a quiet machine (293 MiB RSS, 14.7% of a core held, ~0.73 while connecting).
    expect(container.resources).toEqual({ requests: { cpu: '200m', memory: '320Mi' }, limits: { cpu: '1', memory: '512Mi' } })
    const benchmarks = await readFile(join(REPO_ROOT, 'BENCHMARKS.md'), 'utf8')
    expect(benchmarks).toMatch(/\| RSS, median over the hold \| 293 \(279-301\) MiB \|/)
    expect(benchmarks).toMatch(/\| CPU hold \| 14\.7 \(14\.3-15\.2\)% of a core \|/)
    expect(benchmarks).toMatch(/\| CPU connect \| 14\.0 \(12\.0-14\.9\) s \|/)
    expect(container.livenessProbe.httpGet).toEqual({ path: '/-/healthy', port: 'metrics' })
    expect(container.readinessProbe.httpGet).toEqual({ path: '/-/ready', port: 'metrics' })
    // TCP, and the UDP ports of QUIC-v1 and WebRTC-direct, each listened on by the args.
    expect(container.ports.map((p) => [p.name, p.containerPort, p.protocol])).toEqual([['metrics', 9089, 'TCP'], ['p2p', 4001, 'TCP'], ['p2p-quic', 4001, 'UDP'], ['p2p-webrtc', 4002, 'UDP']])
    expect(container.args).toEqual(expect.arrayContaining(['--p2p.listen=/ip4/0.0.0.0/tcp/4001', '--p2p.listen=/ip4/0.0.0.0/udp/4001/quic-v1', '--p2p.listen=/ip4/0.0.0.0/udp/4002/webrtc-direct']))
    expect(container.args).toContain('--web.listen-address=0.0.0.0:9089')
    expect(container.env).toContainEqual({ name: 'LIBP2P_TRACKER_WEB_LISTEN_ADDRESS', value: '0.0.0.0:9089' })
    // Every flag is one the CLI has.
    const flags = (await help).stdout
    for (const arg of container.args) expect(flags, arg).toContain(`${arg.split('=')[0] ?? ''} <`)
    // The image is this version of the package.
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
    expect(container.image).toBe(`libp2p-peer-tracker:${pkg.version}`)
    // The p2p Service governs the set and is headless: each pod is its own peer.
    const p2p = one<Manifest & { spec: { clusterIP: string, ports: Array<{ targetPort: string, protocol: string }> } }>('Service', 'libp2p-peer-tracker-p2p')
    expect(set.spec.serviceName).toBe(p2p.metadata.name)
    expect(p2p.spec.clusterIP).toBe('None')
    expect(p2p.spec.ports.map((p) => [p.targetPort, p.protocol])).toEqual([['p2p', 'TCP'], ['p2p-quic', 'UDP'], ['p2p-webrtc', 'UDP']])
  })

  it('scrapes the metrics Service only, as job libp2p-peer-tracker (the job the rules and dashboards expect)', () => {
    const monitor = one<Manifest & { spec: { selector: { matchLabels: Record<string, string> }, endpoints: Array<{ port: string, path: string }> } }>('ServiceMonitor')
    const services = rendered.filter((m) => m.kind === 'Service')
    const selected = services.filter((s) => Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v))
    expect(selected.map((s) => s.metadata.name)).toEqual([TRACKER_JOB])
    const service = selected[0] as Manifest & { spec: { ports: Array<{ name: string, targetPort: string }> } }
    expect(monitor.spec.endpoints.map((e) => [e.port, e.path])).toEqual([['metrics', '/metrics']])
    expect(service.spec.ports.map((p) => [p.name, p.targetPort])).toEqual([['metrics', 'metrics']])
  })

  it('has a PrometheusRule whose groups are exactly rules/*.yml', async () => {
    const rule = one<Manifest & { spec: { groups: unknown[] } }>('PrometheusRule')
    // The files the generator reads are those prometheus.yml's rule_files load.
    const files = await ruleFiles()
    expect(files).toEqual(await projectRuleFiles(await readProjectPrometheusConfig()))
    expect(files.length).toBeGreaterThanOrEqual(2)
    const groups = (await Promise.all(files.map(async (f) => ((await readYaml(f)) as { groups: unknown[] }).groups))).flat()
    expect(groups.length).toBeGreaterThanOrEqual(2)
    expect(rule.spec.groups).toEqual(groups)
  })

  it('has the dashboards in a ConfigMap for Grafana\'s sidecar (grafana_dashboard: "1")', async () => {
    const map = one<Manifest & { data: Record<string, string> }>('ConfigMap')
    expect(map.metadata.labels?.grafana_dashboard).toBe('1')
    const files = await dashboardFiles()
    expect(Object.keys(map.data).sort()).toEqual(files.map((f) => f.slice(f.lastIndexOf('/') + 1)).sort())
    for (const file of files) expect(map.data[file.slice(file.lastIndexOf('/') + 1)], file).toBe(await readFile(file, 'utf8'))
  })

  it('keeps the generated manifests up to date, and notices drift (npm run generate:deploy)', async () => {
    for (const file of await generatedFiles()) {
      expect(await readFile(join(REPO_ROOT, file.path), 'utf8'), `${file.path}: run npm run generate:deploy`).toBe(file.text)
    }
    // A copy of the repository's rules and dashboards with one rule changed: the
    // PrometheusRule generated from it differs from the committed one.
    const copy = join(scratch, 'repo')
    await cp(join(REPO_ROOT, 'rules'), join(copy, 'rules'), { recursive: true })
    await cp(join(REPO_ROOT, 'grafana', 'dashboards'), join(copy, 'grafana', 'dashboards'), { recursive: true })
    const records = join(copy, 'rules', 'records.yml')
    const text = await readFile(records, 'utf8')
    await writeFile(records, text.replace('[5m]', '[6m]'))
    const drifted = await generatedFiles(copy)
    const [ruleFile, dashboardsFile] = drifted
    expect(ruleFile?.text).not.toBe(await readFile(join(REPO_ROOT, ruleFile?.path ?? ''), 'utf8'))
    expect(dashboardsFile?.text).toBe(await readFile(join(REPO_ROOT, dashboardsFile?.path ?? ''), 'utf8'))
    const check = await runTool(process.execPath, ['--import', 'tsx', join(KUBERNETES, 'generate.ts'), '--check'], { cwd: REPO_ROOT, timeoutMs: 60_000 })
    expect(check.code, check.output).toBe(0)
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    expect(pkg.scripts['generate:deploy']).toBe('tsx deploy/kubernetes/generate.ts')
  }, 70_000)
})

describe('docs/fleet.md', () => {
  const blocks = async (): Promise<string[]> => [...(await readFile(join(REPO_ROOT, 'docs', 'fleet.md'), 'utf8')).matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string)

  it('has Prometheus configs (server and agent) and a file_sd file that Prometheus accepts', async () => {
    // The settings test/stack/fleet.test.ts runs with (support/fleet.ts) are the ones documented.
    const doc = await readFile(join(REPO_ROOT, 'docs', 'fleet.md'), 'utf8')
    for (const text of ['--enable-feature=agent', '--storage.agent.path', 'external_labels', '/api/v1/write', 'file_sd_configs', '-search.latencyOffset', '-retentionPeriod']) {
      expect(doc, text).toContain(text)
    }
    const yamlBlocks = await blocks()
    const server = yamlBlocks.find((b) => b.includes('rule_files:'))
    const agent = yamlBlocks.find((b) => b.startsWith('# agent.yml'))
    const targets = yamlBlocks.find((b) => b.startsWith('- targets:'))
    for (const [name, text] of [['server', server], ['agent', agent]] as const) {
      expect(text, name).toBeDefined()
      const file = join(scratch, `${name}.yml`)
      await writeFile(file, text ?? '')
      const result = await runTool(TOOLS.promtool, ['check', 'config', '--syntax-only', file])
      expect(result.code, `${name}: ${result.output}`).toBe(0)
      const config = yaml.load(text ?? '') as { remote_write: Array<{ url: string }>, global: { external_labels: Record<string, string> }, rule_files?: string[], alerting?: unknown }
      expect(config.remote_write[0]?.url, name).toMatch(/\/api\/v1\/write$/)
      expect(Object.keys(config.global.external_labels), name).toEqual(['cluster'])
    }
    // Agent mode refuses rule_files and alerting.
    const agentConfig = yaml.load(agent ?? '') as Record<string, unknown>
    expect(agentConfig.rule_files).toBeUndefined()
    expect(agentConfig.alerting).toBeUndefined()
    const groups = yaml.load(targets ?? '') as Array<{ targets: string[], labels: Record<string, string> }>
    expect(groups.map((g) => Object.keys(g.labels).sort())).toEqual([['network', 'region'], ['network', 'region']])
  })

  it('has an overlay example that renders on the base and validates', async () => {
    const overlay = (await blocks()).find((b) => b.includes('kind: Kustomization'))
    expect(overlay).toBeDefined()
    const dir = join(scratch, 'overlay')
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'kustomization.yaml'), (overlay ?? '').replace('../../deploy/kubernetes', relative(dir, KUBERNETES)))
    const manifests = await renderKustomization(dir) as Array<Manifest & { metadata: { namespace?: string } }>
    expect(manifests).toHaveLength(rendered.length)
    for (const manifest of manifests) {
      expect(() => { validate(manifest) }, manifest.kind).not.toThrow()
      expect(manifest.metadata.namespace, manifest.kind).toBe('libp2p')
      expect(manifest.metadata.labels?.release, manifest.kind).toBe('kube-prometheus-stack')
    }
    const images = manifests.flatMap((m) => JSON.stringify(m).match(/"image":"[^"]*"/g) ?? [])
    expect(images).toContain('"image":"registry.example.org/libp2p-peer-tracker:0.1.0"')
  }, 70_000)
})

describe('deploy/systemd', () => {
  it('passes systemd-analyze verify without a warning, and its exposure is rated OK', async () => {
    // verify needs ExecStart's program to exist: a stand-in for the globally installed CLI.
    const bin = join(scratch, 'libp2p-peer-tracker')
    await writeFile(bin, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`)
    await chmod(bin, 0o755)
    const unitText = await readFile(UNIT, 'utf8')
    expect(unitText).toContain('ExecStart=/usr/local/bin/libp2p-peer-tracker\n')
    const unit = join(scratch, 'libp2p-peer-tracker.service')
    await writeFile(unit, unitText.replace('ExecStart=/usr/local/bin/libp2p-peer-tracker', `ExecStart=${bin}`))
    const verify = await runTool('systemd-analyze', ['verify', unit], { timeoutMs: 30_000 })
    expect(verify.code, verify.output).toBe(0)
    expect(verify.output.trim(), 'no warnings').toBe('')
    // A misspelt key is a warning (so the empty output above means something).
    const typo = join(scratch, 'typo.service')
    await writeFile(typo, (await readFile(unit, 'utf8')).replace('ProtectSystem=strict', 'ProtectSytem=strict'))
    expect((await runTool('systemd-analyze', ['verify', typo])).output).toContain('Unknown key')
    const security = await runTool('systemd-analyze', ['security', '--offline=yes', unit], { timeoutMs: 30_000 })
    const exposure = /Overall exposure level for \S+: ([\d.]+) (\w+)/.exec(security.output)
    expect(exposure?.[2], security.output.slice(-500)).toBe('OK')
    expect(Number(exposure?.[1])).toBeLessThan(2)
  }, 60_000)

  it('is hardened, restarts on failure but not on bad input, and keeps the identity in its StateDirectory', async () => {
    const unit = await readFile(UNIT, 'utf8')
    const keys = new Map<string, string[]>()
    for (const line of unit.split('\n')) {
      const m = /^(\w+)=(.*)$/.exec(line)
      if (m !== null) keys.set(m[1] as string, [...(keys.get(m[1] as string) ?? []), m[2] as string])
    }
    const value = (key: string): string | undefined => keys.get(key)?.at(-1)
    expect(value('DynamicUser')).toBe('yes')
    expect(value('StateDirectory')).toBe('libp2p-peer-tracker')
    expect(value('ProtectSystem')).toBe('strict')
    expect(value('NoNewPrivileges')).toBe('yes')
    expect(value('Restart')).toBe('on-failure')
    expect(value('RestartPreventExitStatus')).toBe('2')
    expect(value('EnvironmentFile')).toBe('/etc/libp2p-peer-tracker/tracker.env')
    // No flag on the command line: all of them come from the EnvironmentFile.
    expect(value('ExecStart')).toBe('/usr/local/bin/libp2p-peer-tracker')
    const env = await readFile(ENV_FILE, 'utf8')
    const variables = [...env.matchAll(/^#?(LIBP2P_TRACKER_\w+)=(.*)$/gm)].map((m) => ({ name: m[1] as string, value: m[2] as string }))
    expect(variables.length).toBeGreaterThanOrEqual(5)
    const flags = (await help).stdout
    for (const v of variables) expect(flags, v.name).toContain(`(env: ${v.name})`)
    expect(variables).toContainEqual({ name: 'LIBP2P_TRACKER_P2P_IDENTITY_FILE', value: '/var/lib/libp2p-peer-tracker/identity.key' })
  })
})
