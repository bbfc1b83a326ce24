/** The built CLI (dist/cli/main.js) run as a user runs it, for end-to-end tests. */
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { waitFor } from './peers.js'
import type { ChildProcess } from 'node:child_process'
import type { AddressInfo } from 'node:net'

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))

export type InjectedFault = 'hold-p2p-listen' | 'http-listen-throws' | 'throw-on-sigusr2'

/** The environment that loads ./fault-injection.mjs into the CLI with one fault. */
export function faultEnv (fault: InjectedFault): Record<string, string> {
  const preload = new URL('./fault-injection.mjs', import.meta.url).href
  return { NODE_OPTIONS: `--import=${preload}`, TRACKER_TEST_FAULT: fault }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (listened on, then closed). */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise(resolve => server.close(resolve))
  return port
}

/** The status code of GET url, or undefined while nothing accepts connections there. */
export async function statusOf (url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url)
    await response.arrayBuffer()
    return response.status
  } catch {
    return undefined
  }
}

export interface CliRun {
  process: ChildProcess
  stdout: () => string
  stderr: () => string
  logs: () => Array<Record<string, unknown>>
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

export function runCli (args: string[], env: Record<string, string> = {}): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8') })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8') })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>(resolve => {
    child.on('exit', (code, signal) => { resolve({ code, signal }) })
  })
  return {
    process: child,
    stdout: () => stdout,
    stderr: () => stderr,
    logs: () => stdout.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Record<string, unknown>),
    exited
  }
}

/** Runs the CLI to its end (for bad-input cases); fails if it takes longer than the timeout. */
export async function runCliToExit (args: string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const run = runCli(args, env)
  const timer = setTimeout(() => run.process.kill('SIGKILL'), timeoutMs)
  const { code } = await run.exited
  clearTimeout(timer)
  return { code, stdout: run.stdout(), stderr: run.stderr() }
}

/** Starts a tracker that serves on 127.0.0.1 with an OS-chosen port; resolves once it is ready. */
export async function startCliTracker (args: string[], env: Record<string, string> = {}): Promise<CliRun & { url: string, peerId: string, listenAddrs: string[] }> {
  const run = runCli(['--web.listen-address=127.0.0.1:0', '--p2p.listen=/ip4/127.0.0.1/tcp/0', '--p2p.dht=off', ...args], env)
  let exitedEarly = false
  void run.exited.then(() => { exitedEarly = true })
  await waitFor('the tracker to log where it serves metrics', () => {
    if (exitedEarly) throw new Error(`tracker exited early: ${run.stderr()}${run.stdout()}`)
    return run.logs().some(l => l.msg === 'serving metrics')
  }, 45_000) // about 1 s when quiet; much longer with two test files and their peers on 2 cores
  const logs = run.logs()
  const serving = logs.find(l => l.msg === 'serving metrics') as { address: string }
  const started = logs.find(l => l.msg === 'libp2p node started') as { peerId: string }
  const listenAddrs = logs.filter(l => l.msg === 'listening for peers').map(l => l.addr as string)
  const port = serving.address.slice(serving.address.lastIndexOf(':') + 1)
  return { ...run, url: `http://127.0.0.1:${port}`, peerId: started.peerId, listenAddrs }
}
