/**
 * deploy/kubernetes-beacon-sidecar/, the tracker as a sidecar in a beacon node's pod (a
 * kustomize overlay of deploy/kubernetes/), rendered with kubectl kustomize and validated
 * offline against the Kubernetes and Prometheus Operator schemas of kubernetes-models: the
 * tracker container beside the node's, polling the node's REST API on the pod's loopback
 * (--source=beacon-api), probed on /-/healthy and /-/ready, with its metrics port only (no
 * libp2p port, no p2p Service, not the base's own tracker), and scraped through the
 * metrics Service as job libp2p-peer-tracker. A negative control feeds the check a pod
 * whose tracker would run its own libp2p node.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runCliToExit } from '../support/tracker.js'
import { onlyManifest, renderKustomization, validateManifest } from '../support/stack/kustomize.js'
import { REPO_ROOT } from '../support/stack/paths.js'
import { TRACKER_JOB } from '../support/stack/prometheus.js'
import type { Manifest } from '../support/stack/kustomize.js'

const OVERLAY = join(REPO_ROOT, 'deploy', 'kubernetes-beacon-sidecar')

interface Probe { httpGet: { path: string, port: string } }
interface Container {
  name: string
  image: string
  args: string[]
  env?: Array<{ name: string, value: string }>
  ports?: Array<{ name: string, containerPort: number, protocol?: string }>
  livenessProbe?: Probe
  readinessProbe?: Probe
  securityContext?: Record<string, unknown>
  resources?: { requests: Record<string, string>, limits: Record<string, string> }
}
type PodSet = Manifest & { spec: { selector: { matchLabels: Record<string, string> }, template: { metadata: { labels: Record<string, string>, annotations?: Record<string, string> }, spec: { containers: Container[] } } } }

/** The value of --flag=value in a container's args. */
const flag = (args: readonly string[], name: string): string | undefined =>
  args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1)

/** What is wrong with a pod spec that should hold a beacon node and its tracker sidecar. */
function sidecarProblems (containers: readonly Container[]): string[] {
  const problems: string[] = []
  const tracker = containers.find((c) => c.image.startsWith('libp2p-peer-tracker'))
  const node = containers.find((c) => c !== tracker)
  if (tracker === undefined || node === undefined) return ['a tracker container beside the node\'s expected']
  if (flag(tracker.args, '--source') !== 'beacon-api') problems.push('tracker: --source is not beacon-api')
  const url = new URL(flag(tracker.args, '--source.url') ?? 'http://missing')
  const restPort = flag(node.args, '--rest.port')
  if (url.hostname !== '127.0.0.1' || url.port !== restPort) problems.push(`tracker: --source.url ${url.href} is not the node's REST API on the pod's loopback (port ${restPort ?? 'unset'})`)
  for (const arg of tracker.args.filter((a) => a.startsWith('--p2p.'))) problems.push(`tracker: ${arg} (a polling source runs no libp2p node)`)
  const ports = (tracker.ports ?? []).map((p) => `${p.name}:${p.containerPort}`)
  if (ports.join() !== 'metrics:9089') problems.push(`tracker: ports ${ports.join(', ')} (only metrics:9089 expected)`)
  for (const [probe, path] of [['livenessProbe', '/-/healthy'], ['readinessProbe', '/-/ready']] as const) {
    const get = tracker[probe]?.httpGet
    if (get?.path !== path || get.port !== 'metrics') problems.push(`tracker: ${probe} is not GET ${path} on port metrics`)
  }
  return problems
}

let rendered: Manifest[]
const help = runCliToExit(['--help'], {}, 20_000)

const one = <T extends Manifest>(kind: string, name?: string): T => onlyManifest<T>(rendered, kind, name)

beforeAll(async () => {
  rendered = await renderKustomization(OVERLAY)
}, 70_000)

describe('deploy/kubernetes-beacon-sidecar (kustomize overlay)', () => {
  it('renders with kubectl kustomize: the beacon node, the base\'s metrics Service, ServiceMonitor, rules and dashboards, not the base\'s own tracker', () => {
    expect(rendered.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      'ConfigMap/libp2p-peer-tracker-dashboards',
      'PrometheusRule/libp2p-peer-tracker',
      'Service/libp2p-peer-tracker',
      'ServiceMonitor/libp2p-peer-tracker',
      'StatefulSet/beacon-node'
    ])
    for (const manifest of rendered) {
      expect(() => { validateManifest(manifest) }, `${manifest.kind}/${manifest.metadata.name}`).not.toThrow()
    }
  })

  it('runs the tracker beside the beacon node in its pod, polling the node\'s REST API on 127.0.0.1', async () => {
    const set = one<PodSet>('StatefulSet', 'beacon-node')
    const containers = set.spec.template.spec.containers
    expect(containers.map((c) => c.name).sort()).toEqual(['beacon', 'tracker'])
    expect(sidecarProblems(containers)).toEqual([])
    const tracker = containers.find((c) => c.name === 'tracker') as Container
    const beacon = containers.find((c) => c.name === 'beacon') as Container
    expect(tracker.args).toContain('--source=beacon-api')
    expect(tracker.args).toContain('--source.url=http://127.0.0.1:9596')
    // The node's REST API stays inside the pod: on loopback, and no container port for it.
    expect(flag(beacon.args, '--rest.address')).toBe('127.0.0.1')
    expect((beacon.ports ?? []).map((p) => p.containerPort)).not.toContain(9596)
    // kubectl logs without -c shows the node.
    expect(set.spec.template.metadata.annotations?.['kubectl.kubernetes.io/default-container']).toBe('beacon')
    // The image is this version of the package.
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
    expect(tracker.image).toBe(`libp2p-peer-tracker:${pkg.version}`)
    // The web address where the image's healthcheck and the probes look.
    expect(tracker.args).toContain('--web.listen-address=0.0.0.0:9089')
    expect(tracker.env).toContainEqual({ name: 'LIBP2P_TRACKER_WEB_LISTEN_ADDRESS', value: '0.0.0.0:9089' })
    // Non-root, no privilege escalation, nothing writable, with requests and limits.
    expect(tracker.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } })
    expect(Object.keys(tracker.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory'])
    expect(Object.keys(tracker.resources?.limits ?? {}).sort()).toEqual(['cpu', 'memory'])
    // Every flag is one the CLI has.
    const flags = (await help).stdout
    for (const arg of tracker.args) expect(flags, arg).toContain(`${arg.split('=')[0] ?? ''} <`)
  })

  it('scrapes the tracker through the metrics Service only, which selects the beacon node\'s pods, as job libp2p-peer-tracker', () => {
    const set = one<PodSet>('StatefulSet', 'beacon-node')
    const service = one<Manifest & { spec: { selector: Record<string, string>, ports: Array<{ name: string, port: number, targetPort: string }> } }>('Service')
    expect(service.metadata.name).toBe(TRACKER_JOB)
    expect(service.spec.selector).toEqual(set.spec.selector.matchLabels)
    for (const [key, value] of Object.entries(service.spec.selector)) expect(set.spec.template.metadata.labels[key], key).toBe(value)
    expect(service.spec.ports).toEqual([{ name: 'metrics', port: 9089, protocol: 'TCP', targetPort: 'metrics' }])
    const monitor = one<Manifest & { spec: { selector: { matchLabels: Record<string, string> }, endpoints: Array<{ port: string, path: string }> } }>('ServiceMonitor')
    expect(Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => service.metadata.labels?.[k] === v)).toBe(true)
    expect(monitor.spec.endpoints.map((e) => [e.port, e.path])).toEqual([['metrics', '/metrics']])
  })

  it('flags a tracker with libp2p flags and ports, a wrong URL and missing probes (negative control)', () => {
    const set = one<PodSet>('StatefulSet', 'beacon-node')
    const containers = structuredClone(set.spec.template.spec.containers)
    const tracker = containers.find((c) => c.name === 'tracker') as Container
    tracker.args = [...tracker.args.filter((a) => !a.startsWith('--source.url')), '--source.url=http://beacon-node:5052', '--p2p.listen=/ip4/0.0.0.0/tcp/4001']
    tracker.ports = [...(tracker.ports ?? []), { name: 'p2p', containerPort: 4001 }]
    delete tracker.readinessProbe
    expect(sidecarProblems(containers)).toEqual([
      'tracker: --source.url http://beacon-node:5052/ is not the node\'s REST API on the pod\'s loopback (port 9596)',
      'tracker: --p2p.listen=/ip4/0.0.0.0/tcp/4001 (a polling source runs no libp2p node)',
      'tracker: ports metrics:9089, p2p:4001 (only metrics:9089 expected)',
      'tracker: readinessProbe is not GET /-/ready on port metrics'
    ])
  })
})
