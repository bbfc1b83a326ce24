/**
 * The built CLI's `swarm` and `demo` subcommands as a user runs them: one-line errors with
 * exit code 2 for bad input, a swarm process whose ground truth matches an in-process
 * tracker exactly, and the demo serving /metrics and stopping cleanly on Ctrl-C.
 */
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { METRICS } from '../../src/metrics/definitions.js'
import { runCli, runCliToExit, startTestTracker } from '../support/tracker.js'
import { parseExposition, valueOf } from '../support/exposition.js'
import { waitFor } from '../support/wait.js'
import { imbalance, trackerTotalsWhenSettled } from '../support/accuracy.js'
import type { GroundTruth } from '../../src/swarm/index.js'
import type { CliRun } from '../support/tracker.js'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

function killOnCleanup (run: CliRun): void {
  cleanups.push(run.kill)
}

const SOME_PEER = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWD2M882WdzAXScyKhK2jswBYJfXd9kme7gh9T9qf4MCBX'

describe('libp2p-peer-tracker swarm / demo', () => {
  it.each([
    [['swarm', '--peers', 'many', '--target', SOME_PEER], '--peers: "many" is not a whole number'],
    [['swarm', '--peers', '0', '--target', SOME_PEER], '--peers: must be at least 1, got 0'],
    [['swarm', '--target', SOME_PEER], '--peers: required'],
    [['swarm', '--peers', '3', '--target', '/ip4/127.0.0.1/tcpx/1'], '--target: "/ip4/127.0.0.1/tcpx/1" is not a valid multiaddr'],
    [['swarm', '--peers', '3', '--target', '/ip4/127.0.0.1/tcp/4001'], '--target: "/ip4/127.0.0.1/tcp/4001" has no /p2p/<peer-id> part'],
    [['swarm', '--peers', '3'], '--target: required'],
    [['swarm', '--peers', '3', '--target', SOME_PEER, '--flap-ratio', '2'], '--flap-ratio: "2" is not a number from 0 to 1'],
    [['demo', '--peers', '-1'], '--peers: "-1" is not a whole number']
  ])('%j exits 2 with one line naming the flag', async (args, message) => {
    const { code, stderr, stdout } = await runCliToExit(args)
    expect(code).toBe(2)
    expect(stderr.startsWith(`libp2p-peer-tracker: ${message}`)).toBe(true)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stdout).toBe('')
  })

  it('swarm: a separate process churning 6 peers for 4 s; its ground truth equals the tracker\'s totals', async () => {
    const tracker = await startTestTracker()
    cleanups.push(async () => { await tracker.stop() })
    const dir = await mkdtemp(join(tmpdir(), 'swarm-cli-'))
    const truthFile = join(dir, 'truth.json')
    const run = runCli(['swarm', '--peers', '6', '--seed', 'cli', '--listen-ratio', '0', '--flap-ratio', '0.5', '--time-scale', '0.1',
      '--duration', '4s', '--truth-file', truthFile, ...tracker.node.getMultiaddrs().flatMap(a => ['--target', a.toString()])])
    killOnCleanup(run)
    const { code } = await run.exited
    expect(run.stderr()).toBe('')
    expect(code).toBe(0)
    const truth = JSON.parse(await readFile(truthFile, 'utf8')) as GroundTruth
    expect(truth.peers).toHaveLength(6)
    expect(truth.sessionsOpened.outbound).toBe(0) // --listen-ratio 0: every peer dials in
    expect(truth.sessionsOpened.inbound).toBeGreaterThanOrEqual(6)
    const final = run.logs().find(l => l.msg === 'ground truth')
    expect(final).toMatchObject({ sessionsOpened: truth.sessionsOpened, sessionsClosed: truth.sessionsClosed, connectedPeers: 0 })
    const totals = await trackerTotalsWhenSettled(tracker, truth)
    expect(totals.connects).toEqual(truth.sessionsOpened)
    expect(totals.disconnects).toEqual(truth.sessionsClosed)
    expect(totals.connected).toBe(0)
  })

  it('demo: serves /metrics with peers coming and going; Ctrl-C stops both and exits 0', async () => {
    const run = runCli(['demo', '--web.listen-address', '127.0.0.1:0', '--peers', '10', '--time-scale', '0.1'])
    killOnCleanup(run)
    await waitFor('the demo to print its metrics URL', () => /metrics\s+http:\/\/\S+/.test(run.stdout()), 60_000)
    const url = (/metrics\s+(http:\/\/\S+)/.exec(run.stdout()) as RegExpExecArray)[1] as string
    expect(run.stdout()).toContain('/api/v1/peers')
    await waitFor('peers to come and go', async () => {
      const m = parseExposition(await (await fetch(url)).text())
      expect(imbalance(m)).toBe(0)
      return (valueOf(m, METRICS.connectedPeers.name) ?? 0) > 0 && (valueOf(m, METRICS.peerDisconnects.name, { direction: 'inbound' }) ?? 0) > 0
    }, 60_000)
    run.process.kill('SIGINT')
    const { code } = await run.exited
    expect(code).toBe(0)
    expect(run.stdout()).toMatch(/the tracker counted (\d+)\/(\d+), the peers saw \1\/\2 \(exact\)/)
  }, 120_000)
})
