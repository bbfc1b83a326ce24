/**
 * The built CLI as a user runs it: real peers, a real HTTP client, promtool's lint, clean
 * shutdown on SIGTERM, one-line errors with exit code 2 for bad input.
 */
import { createServer } from 'node:net'
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULTS } from '../../src/config/config.js'
import { envName } from '../../src/config/parse.js'
import { FLAGS } from '../../src/cli/flags.js'
import { METRICS } from '../../src/metrics/definitions.js'
import { startCliTracker, runCliToExit } from '../support/tracker.js'
import { parseExposition, samplesOf, sumOf, valueOf } from '../support/exposition.js'
import { createTestPeer, startTestPeer } from '../support/peers.js'
import { waitFor } from '../support/wait.js'
import { lintFindings, parseOpenMetrics, promtool } from '../support/promtool.js'
import type { CliRun } from '../support/tracker.js'
import type { Exposition } from '../support/exposition.js'
import type { Libp2p } from '@libp2p/interface'
import type { AddressInfo } from 'node:net'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map(async fn => await fn()))
})

async function peer (options: Parameters<typeof createTestPeer>[0] = {}): Promise<Libp2p> {
  return await startTestPeer(options, cleanups)
}

async function tracker (args: string[], env: Record<string, string> = {}): Promise<Awaited<ReturnType<typeof startCliTracker>>> {
  const run = await startCliTracker(args, env)
  cleanups.push(run.kill)
  return run
}

async function scrape (url: string, accept?: string): Promise<{ text: string, contentType: string | null }> {
  const response = await fetch(`${url}/metrics`, { headers: accept === undefined ? {} : { accept } })
  expect(response.status).toBe(200)
  return { text: await response.text(), contentType: response.headers.get('content-type') }
}

async function metrics (url: string): Promise<Exposition> {
  return parseExposition((await scrape(url)).text)
}

async function stopAndWait (run: CliRun): Promise<{ code: number | null, ms: number }> {
  const started = Date.now()
  run.process.kill('SIGTERM')
  const { code } = await run.exited
  return { code, ms: Date.now() - started }
}

describe('the CLI with real peers', () => {
  it('counts two bootstrap peers and one dialling in exactly, as peers come and go', async () => {
    const b1 = await peer({ muxers: ['yamux'] })
    const b2 = await peer({ muxers: ['mplex'] })
    const run = await tracker([`--p2p.bootstrap=${b1.getMultiaddrs()[0]?.toString() ?? ''}`, `--p2p.bootstrap=${b2.getMultiaddrs()[0]?.toString() ?? ''}`])
    const inbound = await peer({ listen: false })
    const connection = await inbound.dial(run.listenAddrs.map(a => multiaddr(a)))

    let m!: Exposition
    await waitFor('three peers', async () => { m = await metrics(run.url); return valueOf(m, METRICS.connectedPeers.name) === 3 })
    expect(valueOf(m, METRICS.peerConnects.name, { direction: 'outbound' })).toBe(2)
    expect(valueOf(m, METRICS.peerConnects.name, { direction: 'inbound' })).toBe(1)
    expect(valueOf(m, METRICS.openConnections.name, { direction: 'outbound', transport: 'tcp', encryption: 'noise', muxer: 'mplex' })).toBe(1)
    expect(valueOf(m, METRICS.openConnections.name, { direction: 'outbound', transport: 'tcp', encryption: 'noise', muxer: 'yamux' })).toBe(1)
    expect(valueOf(m, METRICS.openConnections.name, { direction: 'inbound', transport: 'tcp', encryption: 'noise', muxer: 'yamux' })).toBe(1)

    await connection.close()
    await waitFor('the inbound peer to leave', async () => { m = await metrics(run.url); return valueOf(m, METRICS.connectedPeers.name) === 2 })
    expect(valueOf(m, METRICS.peerDisconnects.name, { direction: 'inbound' })).toBe(1)
    expect(valueOf(m, `${METRICS.peerSessionDuration.name}_count`, { direction: 'inbound' })).toBe(1)
    expect(valueOf(m, METRICS.peerConnectionDuration.name, { peer_id: inbound.peerId.toString() })).toBeUndefined()
    expect(sumOf(m, METRICS.peerConnects.name) - sumOf(m, METRICS.peerDisconnects.name)).toBe(valueOf(m, METRICS.connectedPeers.name))

    const { code, ms } = await stopAndWait(run)
    expect(code).toBe(0)
    expect(ms).toBeLessThan(5000)
    const logs = run.logs()
    expect(logs.find(l => l.msg === 'final peer report')).toMatchObject({ connectedPeers: 2, connects: 3, disconnects: 1 })
    // Shutdown closes the remaining sessions, and each is logged.
    expect(logs.filter(l => l.msg === 'peer disconnected').length).toBe(3)
    expect(logs.at(-1)).toMatchObject({ msg: 'stopped', connectedPeers: 0, connects: 3, disconnects: 3 })
  })

  it('serves an exposition that promtool lints clean for every libp2p_tracker family', async () => {
    const run = await tracker(['--p2p.bootstrap='])
    const { text, contentType } = await scrape(run.url)
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8')
    const findings = await lintFindings(text)
    expect(findings.join('\n')).not.toMatch(/libp2p_tracker_/)
    // prom-client's nodejs_active_*_total gauges are the only findings (a known prom-client naming).
    for (const line of findings) expect(line).toMatch(/^nodejs_active_\w+_total non-counter metrics/)

    const bare = await tracker(['--p2p.bootstrap=', '--web.disable-exporter-metrics'])
    const bareText = (await scrape(bare.url)).text
    expect(bareText).not.toMatch(/^(process|nodejs)_/m)
    const bareLint = await promtool(['check', 'metrics'], bareText)
    expect(bareLint).toEqual({ code: 0, output: '' })
  })

  it('answers OpenMetrics when the scraper asks for it, and the other endpoints', async () => {
    const run = await tracker(['--p2p.bootstrap=', '--web.telemetry-path=/prom'])
    const response = await fetch(`${run.url}/prom`, { headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' } })
    expect(response.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8')
    const body = await response.text()
    // Prometheus' own OpenMetrics parser reads it (it refuses a body without its final # EOF).
    const om = await parseOpenMetrics(body)
    expect(om.types.get('libp2p_tracker_peer_connects')).toBe('counter')
    expect(valueOf(om, 'libp2p_tracker_peer_connects_total', { direction: 'inbound' })).toBe(0)
    expect(valueOf(om, 'libp2p_tracker_peer_connects_total', { direction: 'outbound' })).toBe(0)
    expect(valueOf(om, METRICS.connectedPeers.name)).toBe(0)
    expect(samplesOf(om, METRICS.buildInfo.name)).toHaveLength(1)
    await expect(parseOpenMetrics(body.replace(/# EOF\n$/, ''))).rejects.toThrow(/EOF/)
    // The same samples as the text format of the same moment (nothing changes without peers).
    const text = parseExposition(await (await fetch(`${run.url}/prom`)).text())
    const tracked = (m: typeof om): string[] => m.samples.filter(x => x.name.startsWith('libp2p_tracker_') && !x.name.endsWith('_created') && x.name !== METRICS.startTime.name)
      .map(x => `${x.name}${JSON.stringify(Object.entries(x.labels).sort())} ${x.value}`).sort()
    expect(tracked(om)).toEqual(tracked(text))

    expect((await fetch(`${run.url}/metrics`)).status).toBe(404)
    const landing = await (await fetch(`${run.url}/`)).text()
    expect(landing).toContain('href="/prom"')
    expect(landing).toContain(run.peerId)
    expect(await (await fetch(`${run.url}/-/healthy`)).status).toBe(200)
    expect(await (await fetch(`${run.url}/-/ready`)).status).toBe(200)
    const status = await (await fetch(`${run.url}/api/v1/status`)).json() as Record<string, unknown>
    expect(status).toMatchObject({ peerId: run.peerId, connectedPeers: 0, version: expect.any(String) as unknown })
    expect(await (await fetch(`${run.url}/api/v1/peers`)).json()).toEqual([])
    expect((await fetch(`${run.url}/nothing-here`)).status).toBe(404)
  })

  it('keeps its peer ID in an identity file (mode 0600) across restarts, and reads flags from the environment', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tracker-id-'))
    const file = join(dir, 'identity.key')
    const first = await tracker([], { LIBP2P_TRACKER_P2P_IDENTITY_FILE: file, LIBP2P_TRACKER_P2P_BOOTSTRAP: '' })
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const bytes = await readFile(file)
    expect((await stopAndWait(first)).code).toBe(0)

    const second = await tracker([`--p2p.identity-file=${file}`, '--p2p.bootstrap='])
    expect(second.peerId).toBe(first.peerId)
    expect(await readFile(file)).toEqual(bytes)
  })
})

describe('the CLI\'s libp2p limits and muxers, with real peers', () => {
  it('--p2p.muxers=mplex: an mplex peer connects, a yamux-only peer cannot, and only mplex label sets are exported', async () => {
    const run = await tracker(['--p2p.bootstrap=', '--p2p.muxers=mplex'])
    const addrs = run.listenAddrs.map(a => multiaddr(a))
    const yamuxOnly = await peer({ listen: false, muxers: ['yamux'] })
    await expect(yamuxOnly.dial(addrs)).rejects.toThrow()
    const mplexOnly = await peer({ listen: false, muxers: ['mplex'] })
    await mplexOnly.dial(addrs)
    let m!: Exposition
    await waitFor('the mplex peer', async () => { m = await metrics(run.url); return valueOf(m, METRICS.connectedPeers.name) === 1 })
    expect(valueOf(m, METRICS.openConnections.name, { direction: 'inbound', transport: 'tcp', encryption: 'noise', muxer: 'mplex' })).toBe(1)
    expect(sumOf(m, METRICS.connectionsOpened.name)).toBe(1) // the yamux-only peer never got a connection
    expect(valueOf(m, METRICS.peerConnects.name, { direction: 'inbound' })).toBe(1)
    for (const name of [METRICS.openConnections.name, METRICS.connectionsOpened.name, METRICS.connectionsClosed.name]) {
      expect(samplesOf(m, name).map(x => x.labels.muxer)).not.toContain('yamux')
    }
    expect(run.logs().filter(l => l.msg === 'peer connected').map(l => l.peerId)).toEqual([mplexOnly.peerId.toString()])
  })

  it('--p2p.max-connections caps the connections: the peer over the cap is refused until one leaves', async () => {
    const run = await tracker(['--p2p.bootstrap=', '--p2p.max-connections=2'])
    const addrs = run.listenAddrs.map(a => multiaddr(a))
    const [a, b, c] = await Promise.all([peer({ listen: false }), peer({ listen: false }), peer({ listen: false })]) as [Libp2p, Libp2p, Libp2p]
    await a.dial(addrs)
    await b.dial(addrs)
    await waitFor('two peers', async () => valueOf(await metrics(run.url), METRICS.connectedPeers.name) === 2)
    await expect(c.dial(addrs)).rejects.toThrow()
    let m = await metrics(run.url)
    expect(valueOf(m, METRICS.connectedPeers.name)).toBe(2)
    expect(sumOf(m, METRICS.connectionsOpened.name)).toBe(2)

    await a.stop()
    await waitFor('the first peer to leave', async () => valueOf(await metrics(run.url), METRICS.connectedPeers.name) === 1)
    await c.dial(addrs)
    await waitFor('the refused peer to get in', async () => { m = await metrics(run.url); return valueOf(m, METRICS.connectedPeers.name) === 2 })
    expect(valueOf(m, METRICS.peerConnects.name, { direction: 'inbound' })).toBe(3)
    expect(valueOf(m, METRICS.peerDisconnects.name, { direction: 'inbound' })).toBe(1)
  })
})

describe('the CLI with bad input', () => {
  async function expectUsageError (args: string[], message: string | RegExp, env: Record<string, string> = {}): Promise<void> {
    const { code, stderr, stdout } = await runCliToExit(args, env)
    expect(code).toBe(2)
    const lines = stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(message)
    expect(stderr).not.toMatch(/\bat .*\.js:\d+/) // no stack trace
    expect(stdout).toBe('')
  }

  it('rejects an unknown flag', async () => {
    await expectUsageError(['--web.listen-adress=:1'], /^libp2p-peer-tracker: unknown option '--web.listen-adress=:1'/)
  })

  it('rejects a malformed multiaddr, naming the flag', async () => {
    await expectUsageError(['--p2p.listen=/ip4/300.0.0.1/tcp/1'], 'libp2p-peer-tracker: --p2p.listen: "/ip4/300.0.0.1/tcp/1" is not a valid multiaddr')
  })

  it('rejects a bootstrap address whose peer ID is invalid or truncated, from a flag or the environment', async () => {
    await expectUsageError(['--p2p.bootstrap=/ip4/1.2.3.4/tcp/1/p2p/notapeerid'],
      'libp2p-peer-tracker: --p2p.bootstrap: "/ip4/1.2.3.4/tcp/1/p2p/notapeerid" has an invalid peer ID "notapeerid" (expected one like 12D3KooW... or Qm...)')
    const truncated = '/ip4/1.2.3.4/tcp/4001/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGA'
    await expectUsageError([`--p2p.bootstrap=${truncated}`], /^libp2p-peer-tracker: --p2p\.bootstrap: ".*" has an invalid peer ID "QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGA"/)
    await expectUsageError([], /^libp2p-peer-tracker: LIBP2P_TRACKER_P2P_BOOTSTRAP \(--p2p\.bootstrap\): ".*" has an invalid peer ID "QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGA"/,
      { LIBP2P_TRACKER_P2P_BOOTSTRAP: `/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWApmhCDoUFED7qJcRjPVrbmAjmATuxCeZrMD9d5CLPFNf,${truncated}` })
  })

  it('rejects a listen address that names a peer', async () => {
    await expectUsageError(['--p2p.listen=/ip4/127.0.0.1/tcp/0/p2p/12D3KooWApmhCDoUFED7qJcRjPVrbmAjmATuxCeZrMD9d5CLPFNf'],
      'libp2p-peer-tracker: --p2p.listen: "/ip4/127.0.0.1/tcp/0/p2p/12D3KooWApmhCDoUFED7qJcRjPVrbmAjmATuxCeZrMD9d5CLPFNf" names a peer (/p2p/12D3KooWApmhCDoUFED7qJcRjPVrbmAjmATuxCeZrMD9d5CLPFNf); a listen address is this node\'s own, without /p2p/ (libp2p adds this node\'s peer ID itself)')
  })

  it('rejects a bad number and a bad duration, also from the environment', async () => {
    await expectUsageError(['--p2p.bootstrap='], 'libp2p-peer-tracker: LIBP2P_TRACKER_TRACKER_MAX_PEER_SERIES (--tracker.max-peer-series): "lots" is not a whole number', { LIBP2P_TRACKER_TRACKER_MAX_PEER_SERIES: 'lots' })
    await expectUsageError(['--tracker.report-interval=soon'], /^libp2p-peer-tracker: --tracker.report-interval: "soon" is not a duration/)
    // Errors found at start-up are attributed to the variable too.
    await expectUsageError(['--p2p.bootstrap=', '--p2p.listen=/ip4/127.0.0.1/tcp/0'], /^libp2p-peer-tracker: LIBP2P_TRACKER_WEB_LISTEN_ADDRESS \(--web\.listen-address\): 192\.0\.2\.1:0 is not an address of this machine$/,
      { LIBP2P_TRACKER_WEB_LISTEN_ADDRESS: '192.0.2.1:0' })
  })

  it('lets a flag win over its environment variable', async () => {
    const { code, stderr } = await runCliToExit(['--p2p.dht=bogus-from-flag'], { LIBP2P_TRACKER_P2P_DHT: 'bogus-from-env' })
    expect(code).toBe(2)
    expect(stderr).toContain('"bogus-from-flag"')
  })

  it('rejects a web port already in use', async () => {
    const server = createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(async () => await new Promise(resolve => server.close(resolve)))
    const { port } = server.address() as AddressInfo
    await expectUsageError([`--web.listen-address=127.0.0.1:${port}`, '--p2p.bootstrap=', '--p2p.listen=/ip4/127.0.0.1/tcp/0'],
      `libp2p-peer-tracker: --web.listen-address: 127.0.0.1:${port} is already in use`)
  })

  it('rejects a p2p port already in use', async () => {
    const server = createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(async () => await new Promise(resolve => server.close(resolve)))
    const { port } = server.address() as AddressInfo
    await expectUsageError(['--web.listen-address=127.0.0.1:0', '--p2p.bootstrap=', `--p2p.listen=/ip4/127.0.0.1/tcp/${port}`],
      `libp2p-peer-tracker: --p2p.listen: /ip4/127.0.0.1/tcp/${port} is already in use`)
  })

  it('rejects a corrupt identity file, naming it, and leaves it untouched', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tracker-id-'))
    const file = join(dir, 'identity.key')
    await writeFile(file, 'not a key at all')
    await expectUsageError([`--p2p.identity-file=${file}`, '--p2p.bootstrap='],
      `libp2p-peer-tracker: --p2p.identity-file: ${file} is not a libp2p private key (left untouched; move it away to create a new identity)`)
    expect(await readFile(file, 'utf8')).toBe('not a key at all')
  })

  it('rejects an unreadable identity file path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tracker-id-'))
    await expectUsageError([`--p2p.identity-file=${dir}`, '--p2p.bootstrap='], `libp2p-peer-tracker: --p2p.identity-file: cannot read ${dir}: EISDIR`)
    await expectUsageError([`--p2p.identity-file=${join(dir, 'missing', 'id.key')}`, '--p2p.bootstrap='], /^libp2p-peer-tracker: --p2p.identity-file: cannot create .*: ENOENT$/)
  })

  it('prints help (every flag with its argument, environment variable and default) and the version with exit code 0', async () => {
    const help = await runCliToExit(['--help'])
    expect(help.code).toBe(0)
    expect(help.stderr).toBe('')
    const text = help.stdout.replace(/\s+/g, ' ')
    // Each flag's entry runs from its option to the next flag's, in the order of flags.ts.
    const starts = FLAGS.map(spec => {
      const option = spec.arg === undefined ? `--${spec.flag} ` : `--${spec.flag} <${spec.arg}> `
      const at = text.indexOf(option)
      expect(at, `--help lists ${option.trim()}`).toBeGreaterThan(-1)
      return at
    })
    expect([...starts].sort((x, y) => x - y)).toEqual(starts)
    FLAGS.forEach((spec, i) => {
      const entry = text.slice(starts[i], starts[i + 1] ?? text.indexOf(' -h, --help'))
      expect(entry, `--${spec.flag}`).toContain(`(env: ${envName(spec.flag)})`)
      const fallback = (DEFAULTS as Record<string, string | readonly string[]>)[spec.flag]
      if (typeof fallback === 'string') expect(entry, `--${spec.flag}`).toMatch(new RegExp(`\\(default "?${fallback.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?\\)`))
      else if (fallback !== undefined) for (const value of fallback) expect(entry, `--${spec.flag}`).toContain(value)
    })
    const version = await runCliToExit(['--version'])
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) as unknown })
  })
})
