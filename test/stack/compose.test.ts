/**
 * docker-compose.yml as docker-compose renders it (Debian's docker-compose, config only):
 * valid with its defaults and the demo profile, images pinned, healthchecks, named
 * volumes, dependencies on health only where needed, each tracker service serving on every
 * interface where its image's healthcheck looks, the revision build arg, the demo's file_sd
 * target and secrets from the environment, and every published port but libp2p's bound to
 * 127.0.0.1 on the host (docs/monitoring.md: the stack has no authentication). Negative
 * controls feed the checks broken services, addresses and ports.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULTS } from '../../src/config/config.js'
import { execForm, imageEnvironment } from '../support/stack/dockerfile.js'
import { PATHS, REPO_ROOT, TOOLS } from '../support/stack/paths.js'
import { runTool } from '../support/process.js'
import { scratchDir } from '../support/scratch.js'
import { composeProblems, isPinnedImage, listensOnAllInterfaces, trackerWebAddress, type ComposeFile, type ComposeService } from '../support/stack/stack-checks.js'
import { readYaml } from '../support/stack/yaml.js'

const scratch = scratchDir('libp2p-tracker-compose-')

/** The libp2p ports, published on every interface: 4001 (TCP and QUIC-v1 over UDP) and 4002 (WebRTC-direct over UDP). */
const LIBP2P_PORTS: readonly number[] = [4001, 4002]

/**
 * Each published port as "service: host-side" ("127.0.0.1:9090", "0.0.0.0:4001"), from
 * docker-compose's rendering: short form "[ip:]published:target[/proto]" or long form.
 */
function publishedPorts (file: ComposeFile): Array<{ service: string, ip: string, port: number }> {
  return Object.entries(file.services).flatMap(([service, s]) => ((s.ports ?? []) as Array<string | { host_ip?: string, published?: number | string }>).map(p => {
    if (typeof p !== 'string') return { service, ip: p.host_ip ?? '0.0.0.0', port: Number(p.published) }
    const parts = p.replace(/\/\w+$/, '').split(':')
    return parts.length === 3
      ? { service, ip: parts[0] as string, port: Number(parts[1]) }
      : { service, ip: '0.0.0.0', port: Number(parts[0]) }
  }))
}

/** Published ports reachable from other machines, other than libp2p's. */
function exposedWebPorts (file: ComposeFile): string[] {
  return publishedPorts(file)
    .filter(p => p.ip !== '127.0.0.1' && !LIBP2P_PORTS.includes(p.port))
    .map(p => `${p.service}: ${p.ip}:${p.port}`)
}

describe('docker-compose.yml', () => {
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
    const file = join(scratch(), `compose-rendered-${Object.keys(extraEnv).join('-')}.yml`)
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

  it('publishes the port of every libp2p listen address of the tracker, UDP for QUIC and WebRTC-direct', async () => {
    const tracker = (await rendered()).services.tracker as unknown as { command: unknown, ports: Array<string | { target: number, published: number | string, protocol: string }> }
    const listens = asList(tracker.command as string[]).filter(a => a.startsWith('--p2p.listen=')).map(a => a.slice('--p2p.listen='.length))
    expect(listens.map(a => a.split('/').slice(3).join('/'))).toEqual(['tcp/4001', 'udp/4001/quic-v1', 'udp/4002/webrtc-direct'])
    const published = tracker.ports.filter(p => typeof p !== 'string').map(p => `${p.protocol}/${p.target}:${String(p.published)}`)
    for (const addr of listens) {
      const [, , , protocol, port] = addr.split('/')
      expect(published, addr).toContain(`${protocol ?? ''}/${port ?? ''}:${port ?? ''}`)
    }
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

  it('publishes the web ports of the tracker, Prometheus, Alertmanager and Grafana on 127.0.0.1 only, libp2p on every interface', async () => {
    const file = await rendered()
    const ports = publishedPorts(file)
    expect(exposedWebPorts(file)).toEqual([])
    // every web UI the docs list is published, on the loopback address
    for (const [service, port] of [['tracker', 9089], ['prometheus', 9090], ['alertmanager', 9093], ['grafana', 3000]] as const) {
      expect(ports, service).toContainEqual({ service, ip: '127.0.0.1', port })
    }
    for (const port of LIBP2P_PORTS) expect(ports).toContainEqual({ service: 'tracker', ip: '0.0.0.0', port })
  })

  it('flags a web port published on every interface (negative control)', () => {
    expect(exposedWebPorts({
      services: {
        prometheus: { ports: ['9090:9090'] },
        grafana: { ports: ['0.0.0.0:3000:3000/tcp'] },
        alertmanager: { ports: [{ published: 9093, target: 9093 }] },
        tracker: { ports: ['127.0.0.1:9089:9089/tcp', '4001:4001/tcp'] }
      }
    })).toEqual(['prometheus: 0.0.0.0:9090', 'grafana: 0.0.0.0:3000', 'alertmanager: 0.0.0.0:9093'])
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
})
