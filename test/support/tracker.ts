/**
 * The tracker for tests, started one of two ways, both on 127.0.0.1 with OS-chosen ports, DHT
 * off and their logs parsed:
 * - startTestTracker: in this process (src/app.ts), for integration tests that look inside;
 * - startCliTracker / runCli / runCliToExit: the built CLI (dist/cli/main.js) run as a user
 *   runs it, through the one process runner (process.ts), for end-to-end tests.
 */
import { PassThrough } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { startTracker } from '../../src/app.js'
import { buildConfig } from '../../src/config/parse.js'
import { createLogger } from '../../src/log.js'
import { parseExposition } from './exposition.js'
import { runTool, startChild } from './process.js'
import { waitFor } from './wait.js'
import type { RunningTracker } from '../../src/app.js'
import type { RawConfig } from '../../src/config/parse.js'
import type { Exposition } from './exposition.js'
import type { RunningChild } from './process.js'

/** The records of a JSON-lines log (the tracker's log format); other lines are left out. */
function logRecords (text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Record<string, unknown>)
}

/** GET /metrics, parsed; fails unless it answers 200. */
async function scrapeMetrics (url: string): Promise<Exposition> {
  const response = await fetch(`${url}/metrics`)
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`)
  return parseExposition(await response.text())
}

// ---- in this process -------------------------------------------------------------------------

export interface TestTracker extends RunningTracker {
  url: string
  /** Every log record so far, parsed. */
  logs: () => Array<Record<string, unknown>>
  scrape: () => Promise<Exposition>
}

/** Starts the tracker in this process; with `cleanups` (the test file's list), its stop goes there. */
export async function startTestTracker (raw: RawConfig = {}, cleanups?: Array<() => Promise<unknown>>): Promise<TestTracker> {
  const config = buildConfig({
    'web.listen-address': '127.0.0.1:0',
    'p2p.listen': ['/ip4/127.0.0.1/tcp/0'],
    // TCP only in this process (test/integration/transports.test.ts runs the others in the CLI):
    // node-datachannel (WebRTC-direct) must not be loaded into the test worker.
    'p2p.transports': 'tcp',
    'p2p.bootstrap': [],
    'p2p.dht': 'off',
    'p2p.inbound-connection-threshold': '1000',
    'tracker.report-interval': '0',
    'log.level': 'info',
    ...raw
  })
  let text = ''
  const sink = new PassThrough()
  sink.on('data', (chunk: Buffer) => { text += chunk.toString('utf8') })
  const running = await startTracker(config, createLogger(config.log, sink))
  cleanups?.push(async () => { await running.stop() })
  const url = `http://127.0.0.1:${running.http.port}`
  return {
    ...running,
    url,
    logs: () => logRecords(text),
    scrape: async () => await scrapeMetrics(url)
  }
}

/** Scrapes until `check` accepts the exposition (or waitFor's timeout); returns that exposition. */
export async function scrapeUntil (t: TestTracker, what: string, check: (m: Exposition) => boolean): Promise<Exposition> {
  let last: Exposition | undefined
  await waitFor(what, async () => { last = await t.scrape(); return check(last) })
  return last as Exposition
}

// ---- the built CLI ---------------------------------------------------------------------------

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))

export type InjectedFault = 'hold-p2p-listen' | 'http-listen-throws' | 'throw-on-sigusr2' | 'reject-on-sigusr2' | 'server-close-hangs' | 'hold-responses'

/** The environment that loads ./fault-injection.mjs into the CLI with one fault. */
export function faultEnv (fault: InjectedFault): Record<string, string> {
  const preload = new URL('./fault-injection.mjs', import.meta.url).href
  return { NODE_OPTIONS: `--import=${preload}`, TRACKER_TEST_FAULT: fault }
}

/** The CLI's environment: PATH and `env`, nothing else of this process's. */
function cliEnv (env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', ...env }
}

export interface CliRun extends RunningChild {
  /** The JSON log records on stdout so far. */
  logs: () => Array<Record<string, unknown>>
}

/** `node`: the Node binary that runs it (this one by default; node22() for QUIC). */
export function runCli (args: string[], env: Record<string, string> = {}, node = process.execPath): CliRun {
  const run = startChild(node, [CLI, ...args], { name: 'the tracker CLI', env: cliEnv(env) })
  return { ...run, logs: () => logRecords(run.stdout()) }
}

/** Runs the CLI to its end (for bad-input cases); fails if it takes longer than the timeout. */
export async function runCliToExit (args: string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const { code, stdout, stderr } = await runTool(process.execPath, [CLI, ...args], { env: cliEnv(env), timeoutMs })
  return { code, stdout, stderr }
}

/** Starts a tracker that serves on 127.0.0.1 with an OS-chosen port; resolves once it is ready. */
export async function startCliTracker (args: string[], env: Record<string, string> = {}, node = process.execPath): Promise<CliRun & { url: string, peerId: string, listenAddrs: string[] }> {
  const run = runCli(['--web.listen-address=127.0.0.1:0', '--p2p.listen=/ip4/127.0.0.1/tcp/0', '--p2p.dht=off', ...args], env, node)
  await waitFor('the tracker to log where it serves metrics', () => {
    if (run.exitedYet()) throw new Error(`tracker exited early: ${run.stderr()}${run.stdout()}`)
    return run.logs().some(l => l.msg === 'serving metrics')
  }, 45_000) // about 1 s when quiet; much longer with two test files and their peers on 2 cores
  const logs = run.logs()
  const serving = logs.find(l => l.msg === 'serving metrics') as { address: string }
  const started = logs.find(l => l.msg === 'libp2p node started') as { peerId: string }
  const listenAddrs = logs.filter(l => l.msg === 'listening for peers').map(l => l.addr as string)
  const port = serving.address.slice(serving.address.lastIndexOf(':') + 1)
  return { ...run, url: `http://127.0.0.1:${port}`, peerId: started.peerId, listenAddrs }
}
