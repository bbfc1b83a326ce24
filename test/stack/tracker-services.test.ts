/**
 * The tracker services of docker-compose.yml run as their containers would run them, on
 * this machine (no Docker engine here; the image's programs are the same): the built
 * tracker (dist/cli/main.js), with the environment of the image (Dockerfile ENV, build
 * args from compose) and of the service, and the service's entrypoint and command.
 *
 * - the demo service serves HTTP on every interface, not 127.0.0.1 (Prometheus scrapes
 *   tracker-demo:9089 from another container), and says so;
 * - the image's HEALTHCHECK passes against it, and follows the listen address;
 * - the revision passed as a build arg shows in libp2p_tracker_build_info;
 * - its entrypoint keeps the file_sd target for Prometheus while it runs (a valid file for
 *   promtool) and removes it when the container is stopped.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { networkInterfaces, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execForm, imageEnvironment } from '../support/stack/dockerfile.js'
import { PATHS, REPO_ROOT, TOOLS } from '../support/stack/paths.js'
import { freePort } from '../support/ports.js'
import { runTool, startChild, type RunningChild } from '../support/process.js'
import type { ComposeFile } from '../support/stack/stack-checks.js'
import { SERVER_POLL, waitFor } from '../support/wait.js'
import { readYaml } from '../support/stack/yaml.js'

const REVISION = 'test-revision-0150353'

let scratch: string
let dockerfile: string

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'libp2p-tracker-services-'))
  dockerfile = await readFile(PATHS.dockerfile, 'utf8')
})

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

/** The compose file rendered by docker-compose with the demo profile and a revision to stamp. */
async function renderedCompose (): Promise<ComposeFile> {
  const env = { ...process.env, LIBP2P_TRACKER_REVISION: REVISION }
  const result = await runTool(TOOLS.dockerCompose, ['--project-directory', REPO_ROOT, '-f', PATHS.compose, '--profile', 'demo', 'config'], { env, cwd: REPO_ROOT })
  expect(result.code, result.output).toBe(0)
  const file = join(scratch, 'compose.yml')
  await writeFile(file, result.stdout)
  return await readYaml(file) as ComposeFile
}

/** `docker-compose config` writes a literal $ as $$ (its own escape); the container sees $. */
function unescapeCompose (text: string): string {
  return text.replaceAll('$$', '$')
}

/** The first IPv4 address of this machine that is not loopback, if it has one. */
function nonLoopbackAddress (): string | undefined {
  return Object.values(networkInterfaces()).flat().find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address
}

/** Runs the image's HEALTHCHECK command with `env`; resolves to its exit code. */
async function healthcheck (env: Record<string, string>): Promise<number | null> {
  const [command, ...args] = execForm(dockerfile, 'HEALTHCHECK')
  expect(command).toBe('node')
  const result = await runTool(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, timeoutMs: 10_000 })
  return result.code
}

describe('the tracker-demo service, run as its container runs it', () => {
  let demo: RunningChild
  let port: number
  let targetsFile: string

  beforeAll(async () => {
    const { services } = await renderedCompose()
    const service = services['tracker-demo']
    if (service === undefined) throw new Error('no tracker-demo service')
    const buildArgs = (service.build as { args?: Record<string, string> }).args ?? {}
    const environment: Record<string, string> = { ...imageEnvironment(dockerfile, buildArgs) }
    for (const [key, value] of Object.entries(service.environment ?? {})) if (value !== null) environment[key] = value
    // The same host as the container's, another port (when the address is set at all:
    // without it the demo serves on its default, 127.0.0.1:9089); the file in a folder of
    // the test.
    const address = environment.LIBP2P_TRACKER_WEB_LISTEN_ADDRESS
    if (address === undefined) {
      port = 9089
    } else {
      port = await freePort()
      environment.LIBP2P_TRACKER_WEB_LISTEN_ADDRESS = `${address.slice(0, address.lastIndexOf(':'))}:${port}`
    }
    targetsFile = join(scratch, 'demo-targets', 'tracker-demo.yml')
    await mkdir(dirname(targetsFile), { recursive: true })
    environment.DEMO_TARGETS_FILE = targetsFile

    const entrypoint = (Array.isArray(service.entrypoint) ? service.entrypoint : []).map(unescapeCompose)
    const command = Array.isArray(service.command) ? service.command : []
    expect(entrypoint.slice(0, 2)).toEqual(['/bin/sh', '-c'])
    // The image's WORKDIR is /app, with dist/ in it: here the repository, with its build.
    demo = startChild(entrypoint[0] ?? '', [...entrypoint.slice(1), ...command], {
      name: 'the demo',
      cwd: REPO_ROOT,
      env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, ...environment }
    })
    await waitFor('the demo to serve /-/healthy', async () => {
      if (demo.exitedYet()) throw new Error(`the demo exited: ${demo.output()}`)
      return (await fetch(`http://127.0.0.1:${port}/-/healthy`)).ok ? true : undefined
    }, { ...SERVER_POLL, timeoutMs: 30_000 })
  }, 60_000)

  afterAll(async () => {
    await demo?.kill()
  })

  it('serves HTTP on every interface, not only on 127.0.0.1', async () => {
    expect(demo.output()).toContain(`metrics      http://0.0.0.0:${port}/metrics`)
    const address = nonLoopbackAddress()
    if (address !== undefined) {
      const response = await fetch(`http://${address}:${port}/-/healthy`)
      expect(response.status).toBe(200)
    }
  })

  it('passes the image\'s healthcheck, which asks where LIBP2P_TRACKER_WEB_LISTEN_ADDRESS says', async () => {
    expect(await healthcheck({ LIBP2P_TRACKER_WEB_LISTEN_ADDRESS: `0.0.0.0:${port}` })).toBe(0)
    expect(await healthcheck({ LIBP2P_TRACKER_WEB_LISTEN_ADDRESS: `:${port}` })).toBe(0)
    expect(await healthcheck({ LIBP2P_TRACKER_WEB_LISTEN_ADDRESS: `127.0.0.1:${port}` })).toBe(0)
    // Somewhere else: unhealthy.
    expect(await healthcheck({ LIBP2P_TRACKER_WEB_LISTEN_ADDRESS: `0.0.0.0:${await freePort()}` })).toBe(1)
  })

  it('exports the revision given to the image build', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    expect(metrics).toMatch(new RegExp(`^libp2p_tracker_build_info\\{[^}]*revision="${REVISION}"[^}]*\\} 1$`, 'm'))
  })

  it('keeps a valid file_sd target for Prometheus while it runs', async () => {
    const targets = await readYaml(targetsFile)
    expect(targets).toEqual([{ targets: ['tracker-demo:9089'] }])
    // Where prometheus.yml reads it (the demo-targets volume in compose), promtool accepts it.
    const dir = join(scratch, 'prometheus')
    await mkdir(join(dir, 'prometheus', 'demo-targets'), { recursive: true })
    await mkdir(join(dir, 'prometheus', 'targets'), { recursive: true })
    await cp(PATHS.prometheusConfig, join(dir, 'prometheus.yml'))
    await cp(PATHS.rulesDir, join(dir, 'rules'), { recursive: true })
    await cp(PATHS.fileSdTargets, join(dir, 'prometheus', 'targets', 'trackers.yml'))
    await cp(targetsFile, join(dir, 'prometheus', 'demo-targets', 'tracker-demo.yml'))
    const result = await runTool(TOOLS.promtool, ['check', 'config', 'prometheus.yml'], { cwd: dir })
    expect(result.code, result.output).toBe(0)
    expect(result.output).not.toMatch(/WARNING|FAILED/)
  })

  it('removes its target when the container is stopped (SIGTERM), and exits 0', async () => {
    demo.process.kill('SIGTERM')
    expect((await demo.exited).code, demo.output()).toBe(0)
    await expect(readFile(targetsFile, 'utf8')).rejects.toThrow(/ENOENT/)
  }, 40_000)
})

describe('the image\'s healthcheck', () => {
  const servers: Server[] = []

  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  async function serve (status: number, host: string): Promise<number> {
    const server = createServer((request, response) => {
      response.writeHead(request.url === '/-/healthy' ? status : 404).end()
    })
    servers.push(server)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, host, resolve)
    })
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    return address.port
  }

  it('counts 200 as healthy, and 401 and 429 (basic auth, rate_limit on every path) too: the server answers', async () => {
    for (const status of [200, 401, 429]) {
      expect(await healthcheck({ LIBP2P_TRACKER_WEB_LISTEN_ADDRESS: `0.0.0.0:${await serve(status, '127.0.0.1')}` }), String(status)).toBe(0)
    }
  })

  it('counts 500, 503 and no answer as unhealthy', async () => {
    expect(await healthcheck({ LIBP2P_TRACKER_WEB_LISTEN_ADDRESS: `0.0.0.0:${await serve(500, '127.0.0.1')}` })).toBe(1)
    expect(await healthcheck({ LIBP2P_TRACKER_WEB_LISTEN_ADDRESS: `0.0.0.0:${await serve(503, '127.0.0.1')}` })).toBe(1)
    expect(await healthcheck({ LIBP2P_TRACKER_WEB_LISTEN_ADDRESS: `0.0.0.0:${await freePort()}` })).toBe(1)
  })

  it('asks a specific listen address itself, and ::1 for [::]', async () => {
    const port = await serve(200, '127.0.0.1')
    expect(await healthcheck({ LIBP2P_TRACKER_WEB_LISTEN_ADDRESS: `127.0.0.1:${port}` })).toBe(0)
    const v6 = await serve(200, '::1').catch(() => undefined)
    if (v6 !== undefined) {
      expect(await healthcheck({ LIBP2P_TRACKER_WEB_LISTEN_ADDRESS: `[::]:${v6}` })).toBe(0)
      expect(await healthcheck({ LIBP2P_TRACKER_WEB_LISTEN_ADDRESS: `[::1]:${v6}` })).toBe(0)
    }
  })
})
