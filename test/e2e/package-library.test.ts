/**
 * The library package as a user gets it: `npm pack` of the repository's root, installed into
 * apps outside the repo with npm, and used there through its public entry only (never src/).
 * - A plain js-libp2p app with and without it: it adds at most 3 MB and no package of the
 *   CLI's (its server, store, logger, flags, DHT, ...): the light install of docs/library.md.
 * - An app that runs the two examples in examples/ unchanged: real peers on 127.0.0.1 dial each
 *   node, and the registry the example serves must show the exact counts; promtool lints the
 *   tracker's families; the example exits by itself once it has stopped its node. A TypeScript
 *   consumer compiles against the packed types.
 * The CLI's own package is test/e2e/package-cli.test.ts.
 */
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parseExposition, samplesOf, sumOf, valueOf } from '../support/exposition.js'
import { node22 } from '../support/node22.js'
import { CLI_ONLY_PACKAGES, PLAIN_APP_PACKAGES, REPO, installApp, installedVersions, packLibrary } from '../support/package-apps.js'
import { runTool, runToolOrFail, startChild } from '../support/process.js'
import { createTestPeer } from '../support/peers.js'
import { waitFor } from '../support/wait.js'
import { lintFindings } from '../support/promtool.js'
import type { Exposition } from '../support/exposition.js'
import type { InstalledApp } from '../support/package-apps.js'
import type { RunningChild } from '../support/process.js'
import type { Libp2p } from '@libp2p/interface'

const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc')

/** What the examples' app installs besides the tarball: the versions the repo itself was tested with. */
const EXAMPLE_APP_PACKAGES = [...PLAIN_APP_PACKAGES, '@libp2p/interface', 'helia', '@helia/libp2p', '@types/node']

/** The most the library may add to a plain js-libp2p app (issue 22: @libp2p/prometheus-metrics adds 0.3 MB). */
const MAX_ADDED_BYTES = 3_000_000

/** Every folder and file of the CLI's half of dist/ (docs/architecture.md): none of it is in the library's package. */
const CLI_HALF = /^dist\/(app|cli|config|http|p2p|sources|storage|swarm|web-security)\/|^dist\/(app|app-polling|log|report)\./

let work: string
let app: string
let packedFiles: string[]
let tarball: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tracker-package-'))
  app = join(work, 'app')
  ;({ tarball, files: packedFiles } = await packLibrary(work))
  await installApp(app, { 'libp2p-peer-tracker': `file:${tarball}`, ...await installedVersions(EXAMPLE_APP_PACKAGES) })
  for (const example of await readdir(join(REPO, 'examples'))) {
    if (example.endsWith('.mjs')) await copyFile(join(REPO, 'examples', example), join(app, example))
  }
}, 300_000)

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map(async fn => await fn()))
})

async function startPeer (): Promise<Libp2p> {
  const node = await createTestPeer({ listen: false })
  await node.start()
  cleanups.push(async () => { await node.stop() })
  return node
}

interface RunningExample {
  run: RunningChild
  listenAddrs: string[]
  metricsUrl: string
}

async function startExample (binary: string, script: string): Promise<RunningExample> {
  const example = startChild(binary, [script], { cwd: app, env: { PATH: process.env.PATH ?? '' }, stdin: 'pipe' })
  cleanups.push(example.kill)
  await waitFor(`${script} to print where it serves metrics`, () => {
    if (example.exitedYet()) throw new Error(`${script} exited early: ${example.output()}`)
    return /^metrics at \S+$/m.test(example.stdout())
  }, 60_000)
  const listenAddrs = [...example.stdout().matchAll(/^listening on (\S+)$/gm)].map(m => m[1] ?? '')
  const metricsUrl = /^metrics at (\S+)$/m.exec(example.stdout())?.[1] ?? ''
  return { run: example, listenAddrs, metricsUrl }
}

async function scrape (url: string): Promise<{ text: string, exposition: Exposition }> {
  const response = await fetch(url)
  const text = await response.text()
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${text}`)
  return { text, exposition: parseExposition(text) }
}

/** The lines of the tracker's own families (the registry may hold the app's other metrics too). */
function trackerPart (text: string): string {
  return text.split('\n').filter(line => /^(# (HELP|TYPE) )?libp2p_tracker_/.test(line)).join('\n') + '\n'
}

/**
 * Three real peers dial the example's node; two leave. At each step its registry must show the
 * exact counts; then SIGINT stops it and it must exit 0 by itself.
 */
async function exerciseExample (binary: string, script: string): Promise<void> {
  const example = await startExample(binary, script)
  expect(example.listenAddrs.length).toBeGreaterThan(0)
  const peers = await Promise.all([startPeer(), startPeer(), startPeer()])
  await Promise.all(peers.map(async p => await p.dial(example.listenAddrs.map(a => multiaddr(a)))))
  const ids = peers.map(p => p.peerId.toString())

  let m!: Exposition
  let text = ''
  await waitFor('three peers in the example\'s registry', async () => {
    ({ text, exposition: m } = await scrape(example.metricsUrl))
    return valueOf(m, 'libp2p_tracker_connected_peers') === 3
  }, 30_000)
  expect(m.types.get('libp2p_tracker_connected_peers')).toBe('gauge')
  expect(m.types.get('libp2p_tracker_peer_connects_total')).toBe('counter')
  expect(m.types.get('libp2p_tracker_peer_session_duration_seconds')).toBe('histogram')
  expect(valueOf(m, 'libp2p_tracker_peer_connects_total', { direction: 'inbound' })).toBe(3)
  expect(valueOf(m, 'libp2p_tracker_peer_connects_total', { direction: 'outbound' })).toBe(0)
  expect(sumOf(m, 'libp2p_tracker_peer_disconnects_total')).toBe(0)
  expect(samplesOf(m, 'libp2p_tracker_peer_connection_duration_seconds').map(s => s.labels.peer_id).sort()).toEqual([...ids].sort())
  expect(await lintFindings(trackerPart(text))).toEqual([])

  await Promise.all(peers.slice(0, 2).map(async p => { await p.stop() }))
  await waitFor('two peers to leave the example\'s registry', async () => {
    ({ text, exposition: m } = await scrape(example.metricsUrl))
    return valueOf(m, 'libp2p_tracker_connected_peers') === 1
  }, 30_000)
  expect(valueOf(m, 'libp2p_tracker_peer_connects_total', { direction: 'inbound' })).toBe(3)
  expect(valueOf(m, 'libp2p_tracker_peer_disconnects_total', { direction: 'inbound' })).toBe(2)
  expect(valueOf(m, 'libp2p_tracker_peer_disconnects_total', { direction: 'outbound' })).toBe(0)
  expect(valueOf(m, 'libp2p_tracker_peer_session_duration_seconds_count', { direction: 'inbound' })).toBe(2)
  expect(valueOf(m, 'libp2p_tracker_peer_session_duration_seconds_bucket', { direction: 'inbound', le: '+Inf' })).toBe(2)
  expect(samplesOf(m, 'libp2p_tracker_peer_connection_duration_seconds').map(s => s.labels.peer_id)).toEqual([ids[2]])
  expect(await lintFindings(trackerPart(text))).toEqual([])

  example.run.process.kill('SIGINT')
  expect(await example.run.exitWithin(30_000)).toBe(0)
  expect(example.run.stdout()).toMatch(/^stopped$/m)
}

describe('the library in a plain js-libp2p app', () => {
  let plain: InstalledApp
  let withLibrary: InstalledApp

  beforeAll(async () => {
    const versions = await installedVersions(PLAIN_APP_PACKAGES)
    plain = await installApp(join(work, 'plain'), versions)
    withLibrary = await installApp(join(work, 'plain-with-library'), { ...versions, 'libp2p-peer-tracker': `file:${tarball}` })
  }, 600_000)

  it('adds the library alone, at most 3 MB, and nothing of the CLI\'s', () => {
    const added = [...withLibrary.packages].filter(name => !plain.packages.has(name))
    // Its two dependencies (@libp2p/interface, prom-client) and its peer (libp2p) are the app's already.
    expect(added).toEqual(['libp2p-peer-tracker'])
    expect(withLibrary.bytes - plain.bytes).toBeGreaterThan(0)
    expect(withLibrary.bytes - plain.bytes).toBeLessThanOrEqual(MAX_ADDED_BYTES)
    expect(CLI_ONLY_PACKAGES.filter(name => withLibrary.packages.has(name))).toEqual([])
  })
})

describe('the packed library installed in an app outside the repo', () => {
  it('holds the built entry, its declarations, the examples and the license, and nothing of the CLI, src/ or test/', async () => {
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/service/peer-tracker-service.js', 'LICENSE', 'README.md', 'package.json', 'examples/libp2p-node.mjs', 'examples/helia-node.mjs']) {
      expect(packedFiles, file).toContain(file)
    }
    expect(packedFiles.filter(f => CLI_HALF.test(f))).toEqual([])
    expect(packedFiles.filter(f => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('packages/'))).toEqual([])
    const installed = join(app, 'node_modules', 'libp2p-peer-tracker')
    const { stdout } = await runToolOrFail(process.execPath, ['--input-type=module', '-e', `
      const entry = import.meta.resolve('libp2p-peer-tracker')
      const { peerTracker, TRACKER_DEFAULTS } = await import('libp2p-peer-tracker')
      console.log(JSON.stringify({ entry, factory: typeof peerTracker, defaults: typeof TRACKER_DEFAULTS }))`], { cwd: app, timeoutMs: Infinity })
    const { entry, factory, defaults } = JSON.parse(stdout) as { entry: string, factory: string, defaults: string }
    expect(fileURLToPath(entry)).toBe(join(installed, 'dist', 'index.js'))
    expect(factory).toBe('function')
    expect(defaults).toBe('object')
    // The library has no command: that is the CLI's package.
    expect(await readdir(join(app, 'node_modules', '.bin'))).not.toContain('libp2p-peer-tracker')
  }, 60_000)

  it('compiles a strict TypeScript consumer against the packed declarations, with no any leaking out', async () => {
    await writeFile(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        types: ['node'],
        // Declarations are the packages' own business (the tracker's are emitted by a strict tsc).
        skipLibCheck: true
      },
      files: ['consumer.ts']
    }, null, 2))
    await writeFile(join(app, 'consumer.ts'), CONSUMER)
    const tsc = await runTool(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: app, timeoutMs: 120_000 })
    expect(tsc.output).toBe('')
  }, 120_000)

  it('runs the plain js-libp2p example: exact counts in its registry, promtool-clean, exits by itself', async () => {
    await exerciseExample(process.execPath, 'libp2p-node.mjs')
  }, 90_000)

  it('runs the Helia example on Node 22: exact counts in its registry, promtool-clean, exits by itself', async () => {
    await exerciseExample(await node22(), 'helia-node.mjs')
  }, 120_000)
})

/**
 * A TypeScript app using the package's public types: the factory is accepted by createLibp2p's
 * services, the service and its reads are typed (no `any`: IsAny fails to compile on one), and
 * wrong options are compile errors.
 */
const CONSUMER = `
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { Registry } from 'prom-client'
import { METRIC_NAMES, peerTracker } from 'libp2p-peer-tracker'
import type { PeerTracker, PeerTrackerInit, PeerTrackerStatus } from 'libp2p-peer-tracker'

type IsAny<T> = 0 extends 1 & T ? true : false
/** False<IsAny<X>> is a compile error ("does not satisfy the constraint") when X is \`any\`. */
type False<T extends false> = T

const init: PeerTrackerInit = { registry: new Registry(), maxPeerSeries: 10, rttSampleIntervalMs: 0, observeDials: false }
const none: PeerTrackerInit = { registry: false }

export async function main (): Promise<void> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), ping: ping(), peerTracker: peerTracker(init), quiet: peerTracker(none) }
  })
  const tracker = node.services.peerTracker
  const status = tracker.status()
  const peers = tracker.peers()
  type Checked = [
    False<IsAny<typeof peerTracker>>, False<IsAny<ReturnType<typeof peerTracker>>>, False<IsAny<typeof tracker>>,
    False<IsAny<typeof status>>, False<IsAny<typeof status.connectedPeers>>, False<IsAny<ReturnType<typeof tracker.exposition>>>,
    False<IsAny<typeof peers>>, False<IsAny<(typeof peers)[number]>>, False<IsAny<(typeof METRIC_NAMES)[number]>>
  ]
  const checks: Checked['length'] = 9
  const asDeclared: PeerTracker = tracker
  const read: PeerTrackerStatus = status
  console.log(checks, asDeclared.exposition('openmetrics').length, read.connectedPeers, peers.length)
  // @ts-expect-error maxPeerSeries is a number
  peerTracker({ maxPeerSeries: 'ten' })
  // @ts-expect-error the registry is a prom-client Registry or false
  peerTracker({ registry: true })
  // @ts-expect-error no such format
  tracker.exposition('json')
  // @ts-expect-error the tracker's own state is internal (docs/library.md): not in the public type
  console.log(tracker.account, tracker.insight)
  // @ts-expect-error internal too
  await tracker.sweepPeerStore()
  await node.stop()
}
`
