/**
 * examples/beacon-node/docker-compose.yml, a tracker next to a beacon node, as Debian's
 * docker-compose renders it (config only): valid without warnings, images pinned and
 * healthchecks; the tracker reads the beacon node's REST API over the compose network
 * (--source=beacon-api, --source.url=http://beacon:<rest port>), its credentials from a
 * compose secret, and runs no libp2p node; the REST API is not published on the host, the
 * beacon node's libp2p port is. Negative controls feed the checks a published REST port
 * and a tracker that would open libp2p ports.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { execForm, imageEnvironment } from '../support/stack/dockerfile.js'
import { PATHS, REPO_ROOT, TOOLS } from '../support/stack/paths.js'
import { runTool } from '../support/process.js'
import { runCliToExit } from '../support/tracker.js'
import { scratchDir } from '../support/scratch.js'
import { composeProblems, listensOnAllInterfaces, type ComposeFile, type ComposeService } from '../support/stack/stack-checks.js'
import { readYaml } from '../support/stack/yaml.js'

const scratch = scratchDir('libp2p-tracker-source-compose-')

const EXAMPLE_DIR = join(REPO_ROOT, 'examples', 'beacon-node')
const EXAMPLE = join(EXAMPLE_DIR, 'docker-compose.yml')

/** A published port as docker-compose 1.29 renders it: "HOST_IP:PUBLISHED:TARGET/PROTO" or the long form. */
type RenderedPort = string | { published?: number | string, target?: number | string, protocol?: string, host_ip?: string }

interface PublishedPort { hostIp: string, published: number, target: number, protocol: string }

/** Every port a service publishes on the host, whichever form compose renders it in. */
function publishedPorts (service: ComposeService): PublishedPort[] {
  return ((service.ports ?? []) as RenderedPort[]).flatMap((port): PublishedPort[] => {
    if (typeof port !== 'string') {
      if (port.published === undefined) return []
      return [{ hostIp: port.host_ip ?? '', published: Number(port.published), target: Number(port.target), protocol: port.protocol ?? 'tcp' }]
    }
    const [spec = '', protocol = 'tcp'] = port.split('/')
    const parts = spec.split(':')
    // "9596" alone: published on a random host port (0 here).
    if (parts.length < 2) return [{ hostIp: '', published: 0, target: Number(parts[0]), protocol }]
    const target = Number(parts.pop())
    const published = Number(parts.pop())
    return [{ hostIp: parts.join(':'), published, target, protocol }]
  })
}

const asList = (value: string[] | string | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value])

/** The value of --flag=value or --flag value in a command line. */
function flag (args: readonly string[], name: string): string | undefined {
  const index = args.findIndex((a) => a === name || a.startsWith(`${name}=`))
  if (index < 0) return undefined
  const arg = args[index] ?? ''
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[index + 1]
}

/** What is wrong with a tracker next to a beacon node (beacon: the node's service, tracker: the tracker's). */
function beaconExampleProblems (config: ComposeFile): string[] {
  const problems: string[] = []
  const beacon = config.services.beacon
  const tracker = config.services.tracker
  if (beacon === undefined || tracker === undefined) return ['services beacon and tracker expected']
  const beaconArgs = asList(beacon.command)
  const trackerArgs = asList(tracker.command)
  const restPort = Number(flag(beaconArgs, '--rest.port') ?? '9596')
  if (flag(trackerArgs, '--source') !== 'beacon-api') problems.push('tracker: --source is not beacon-api')
  const url = new URL(flag(trackerArgs, '--source.url') ?? 'http://missing')
  if (url.hostname !== 'beacon' || Number(url.port) !== restPort) problems.push(`tracker: --source.url ${url.href} is not the beacon service's REST port ${restPort}`)
  if (!listensOnAllInterfaces(`${flag(beaconArgs, '--rest.address') ?? '127.0.0.1'}:${restPort}`)) problems.push('beacon: the REST API listens on loopback only, out of the tracker\'s reach')
  for (const port of publishedPorts(beacon)) {
    if (port.target === restPort) problems.push(`beacon: the REST API port ${restPort} is published on the host`)
  }
  for (const arg of trackerArgs) {
    if (arg.startsWith('--p2p.')) problems.push(`tracker: ${arg} (a polling source runs no libp2p node)`)
  }
  for (const port of publishedPorts(tracker)) {
    if (port.hostIp !== '127.0.0.1') problems.push(`tracker: port ${port.published} published on every interface of the host`)
  }
  return problems
}

const help = runCliToExit(['--help'], {}, 20_000)

describe('examples/beacon-node/docker-compose.yml', () => {
  const env = Object.fromEntries(Object.entries(process.env)
    .filter(([k]) => !['ETH_NETWORK', 'CHECKPOINT_SYNC_URL', 'EXECUTION_URL', 'JWT_SECRET_FILE', 'BEACON_API_AUTH_FILE', 'LIBP2P_TRACKER_REVISION'].includes(k)))
  const compose = async (...args: string[]) =>
    await runTool(TOOLS.dockerCompose, ['--project-directory', EXAMPLE_DIR, '-f', EXAMPLE, ...args], { env, cwd: EXAMPLE_DIR })
  const rendered = async (): Promise<ComposeFile & { secrets?: Record<string, { file?: string }> }> => {
    const result = await compose('config')
    expect(result.code, result.output).toBe(0)
    const file = join(scratch(), 'beacon-node-rendered.yml')
    await writeFile(file, result.stdout)
    return await readYaml(file) as ComposeFile & { secrets?: Record<string, { file?: string }> }
  }

  it('passes docker-compose config -q without warnings', async () => {
    const result = await compose('config', '-q')
    expect(result.code, result.output).toBe(0)
    expect(result.output).not.toMatch(/WARN|ERROR/i)
    const services = await compose('config', '--services')
    expect(services.stdout.trim().split('\n').sort()).toEqual(['beacon', 'tracker'])
    const volumes = await compose('config', '--volumes')
    expect(volumes.stdout.trim().split('\n').sort()).toEqual(['beacon-data', 'tracker-data'])
  })

  it('pins the beacon node\'s image (Lodestar) and has healthchecks, with no dependency of the tracker on the node', async () => {
    const config = await rendered()
    expect(composeProblems(config, /^HEALTHCHECK /m.test(await readFile(PATHS.dockerfile, 'utf8')))).toEqual([])
    expect(config.services.beacon?.image).toMatch(/^chainsafe\/lodestar:v\d+\.\d+\.\d+$/)
    // The tracker runs without the node (source_up 0, LibP2PTrackerSourceDown): no depends_on.
    expect(config.services.tracker?.depends_on).toBeUndefined()
    expect(asList(config.services.beacon?.command)[0]).toBe('beacon')
  })

  it('points the tracker at the beacon node\'s REST API over the compose network, which the host does not see', async () => {
    const config = await rendered()
    expect(beaconExampleProblems(config)).toEqual([])
    const tracker = asList(config.services.tracker?.command)
    expect(tracker).toContain('--source=beacon-api')
    expect(tracker).toContain('--source.url=http://beacon:9596')
    expect(tracker.filter((a) => a.startsWith('--p2p.'))).toEqual([])
    // The beacon node's libp2p port is published (inbound peers); its REST port is not.
    const beaconPorts = publishedPorts(config.services.beacon ?? {})
    expect(beaconPorts.map((p) => `${p.published}/${p.protocol}`).sort()).toEqual(['9000/tcp', '9000/udp'])
    expect(flag(asList(config.services.beacon?.command), '--port')).toBe('9000')
    // The tracker publishes its web port on the host's loopback only.
    expect(publishedPorts(config.services.tracker ?? {})).toEqual([{ hostIp: '127.0.0.1', published: 9089, target: 9089, protocol: 'tcp' }])
    // /metrics on every interface of the container, set where the image's healthcheck reads it.
    const dockerfile = await readFile(PATHS.dockerfile, 'utf8')
    expect(execForm(dockerfile, 'HEALTHCHECK').join(' ')).toContain('LIBP2P_TRACKER_WEB_LISTEN_ADDRESS')
    expect({ ...imageEnvironment(dockerfile), ...config.services.tracker?.environment }.LIBP2P_TRACKER_WEB_LISTEN_ADDRESS).toBe('0.0.0.0:9089')
    expect(tracker.some((a) => a.startsWith('--web.listen-address'))).toBe(false)
    // Every flag is one the CLI has.
    const flags = (await help).stdout
    for (const arg of tracker) expect(flags, arg).toContain(`${arg.split('=')[0] ?? ''} <`)
  })

  it('gives the tracker its API credentials as a compose secret file, never on the command line', async () => {
    const config = await rendered()
    const tracker = config.services.tracker ?? {}
    const args = asList(tracker.command)
    const authFile = flag(args, '--source.auth-file') ?? ''
    expect(authFile).toMatch(/^\/run\/secrets\/[\w-]+$/)
    const secret = authFile.slice('/run/secrets/'.length)
    expect(tracker.secrets as unknown[]).toContainEqual(expect.objectContaining({ source: secret }))
    expect(config.secrets?.[secret]?.file).toBe(join(EXAMPLE_DIR, 'beacon-api-auth'))
    // No token, password or Authorization header anywhere in the tracker's command or environment.
    const text = JSON.stringify({ args, environment: tracker.environment })
    expect(text).not.toMatch(/bearer:|basic:|authorization/i)
    // The file's location can come from the environment.
    const moved = await runTool(TOOLS.dockerCompose, ['--project-directory', EXAMPLE_DIR, '-f', EXAMPLE, 'config'], {
      env: { ...env, BEACON_API_AUTH_FILE: '/etc/tracker/beacon-api-auth' }, cwd: EXAMPLE_DIR
    })
    expect(moved.code, moved.output).toBe(0)
    expect(moved.stdout).toContain('file: /etc/tracker/beacon-api-auth')
  })

  it('flags a published REST port, a tracker with libp2p flags and a wrong URL (negative control)', async () => {
    const config = await rendered()
    const beacon = config.services.beacon ?? {}
    const tracker = config.services.tracker ?? {}
    const broken: ComposeFile = {
      services: {
        beacon: { ...beacon, ports: [...((beacon.ports ?? []) as RenderedPort[]), '9596:9596'] },
        tracker: { ...tracker, command: [...asList(tracker.command).filter((a) => !a.startsWith('--source.url')), '--source.url=http://beacon:5052', '--p2p.listen=/ip4/0.0.0.0/tcp/4001'], ports: ['9089:9089'] }
      }
    }
    expect(beaconExampleProblems(broken)).toEqual([
      'tracker: --source.url http://beacon:5052/ is not the beacon service\'s REST port 9596',
      'beacon: the REST API port 9596 is published on the host',
      'tracker: --p2p.listen=/ip4/0.0.0.0/tcp/4001 (a polling source runs no libp2p node)',
      'tracker: port 9089 published on every interface of the host'
    ])
    expect(publishedPorts({ ports: ['127.0.0.1:9596:9596/tcp', { published: 9597, target: 9596, protocol: 'tcp' }, '9596'] }).map((p) => p.target)).toEqual([9596, 9596, 9596])
  })
})
