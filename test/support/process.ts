/**
 * The one way tests run a child process: startChild spawns it and keeps its output, and
 * stops it (SIGTERM, then SIGKILL after a grace period, waiting for the exit) or kills it;
 * runTool runs a command to its end; startReadyServer starts a server and waits until it
 * answers. Node scripts, the built CLI (tracker.ts), promtool, Prometheus, Alertmanager and
 * VictoriaMetrics all go through here.
 */
import { spawn } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { statusOf } from './http.js'
import { waitFor } from './wait.js'
import type { ChildProcess } from 'node:child_process'

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  /** Set when the command could not be started at all (e.g. ENOENT). */
  error?: Error
}

export interface ChildOptions {
  /** Shown in error messages (default: the first argument, else the command). */
  name?: string
  cwd?: string
  /** The child's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv
  /** 'pipe' gives the test process.stdin to write to; 'ignore' (default) gives the child /dev/null. */
  stdin?: 'ignore' | 'pipe'
  /** Keep only the last this many characters of each output (for long-running servers). */
  outputLimit?: number
}

export interface RunningChild {
  readonly name: string
  readonly process: ChildProcess
  stdout: () => string
  stderr: () => string
  /** stdout and stderr as they came, for error messages. */
  output: () => string
  /** Resolves when the process exits (or could not be started). */
  exited: Promise<Exit>
  /** Resolves once the process exited and its stdout and stderr are closed (all output read). */
  closed: Promise<void>
  /** True once the process has exited. */
  exitedYet: () => boolean
  /** Resolves with the exit code, or fails if the process is still running after timeoutMs or was ended by a signal. */
  exitWithin: (timeoutMs: number) => Promise<number | null>
  /** SIGTERM, then SIGKILL if it still runs after graceMs (default 5 s); resolves once it exited. */
  stop: (graceMs?: number) => Promise<void>
  /** SIGKILL if still running, and wait for the exit (for cleanups). */
  kill: () => Promise<void>
}

export function startChild (command: string, args: readonly string[], options: ChildOptions = {}): RunningChild {
  const name = options.name ?? args[0] ?? command
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'] })
  const limit = options.outputLimit ?? Infinity
  const keep = (text: string): string => text.length > limit ? text.slice(-limit) : text
  let stdout = ''
  let stderr = ''
  let all = ''
  let done = false
  child.stdout?.on('data', (chunk: Buffer) => { const text = chunk.toString('utf8'); stdout = keep(stdout + text); all = keep(all + text) })
  child.stderr?.on('data', (chunk: Buffer) => { const text = chunk.toString('utf8'); stderr = keep(stderr + text); all = keep(all + text) })
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => { done = true; resolve({ code, signal }) })
    child.once('error', (error) => {
      if (done) return
      done = true
      all += `\n${error.message}`
      resolve({ code: null, signal: null, error })
    })
  })
  const closed = new Promise<void>((resolve) => {
    child.once('close', () => { resolve() })
    void exited.then((exit) => { if (exit.error !== undefined) resolve() })
  })
  const stop = async (graceMs = 5_000): Promise<void> => {
    if (done) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }
  return {
    name,
    process: child,
    stdout: () => stdout,
    stderr: () => stderr,
    output: () => all,
    exited,
    closed,
    exitedYet: () => done,
    exitWithin: async (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => { reject(new Error(`${name} still running ${timeoutMs} ms after it was told to stop: ${all}`)) }, timeoutMs)
      })
      try {
        const { code, signal } = await Promise.race([exited, timeout])
        if (signal !== null) throw new Error(`${name} was killed by ${signal}: ${all}`)
        return code
      } finally {
        clearTimeout(timer)
      }
    },
    stop,
    kill: async () => {
      if (done) return
      child.kill('SIGKILL')
      await exited
    }
  }
}

export interface ToolResult {
  /** Exit code; null when a signal ended the process. */
  code: number | null
  stdout: string
  stderr: string
  /** stdout and stderr together, for assertions on a tool's verdict. */
  output: string
}

export interface ToolOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Stopped (SIGTERM, then SIGKILL) after this long; default 20 s, Infinity for no limit. */
  timeoutMs?: number
  /** Written to the tool's stdin, which is then closed. */
  stdin?: string
}

/** Runs a command to completion and reports its exit code and output; never throws for a non-zero exit. */
export async function runTool (command: string, args: readonly string[], options: ToolOptions = {}): Promise<ToolResult> {
  const child = startChild(command, args, { name: command, cwd: options.cwd, env: options.env, stdin: options.stdin === undefined ? 'ignore' : 'pipe' })
  if (options.stdin !== undefined) {
    child.process.stdin?.on('error', () => {}) // a tool that exits without reading it all: its exit code tells
    child.process.stdin?.end(options.stdin)
  }
  const timeoutMs = options.timeoutMs ?? 20_000
  const timer = Number.isFinite(timeoutMs) ? setTimeout(() => { void child.stop() }, timeoutMs) : undefined
  const exit = await child.exited
  await child.closed
  clearTimeout(timer)
  if (exit.error !== undefined) throw new Error(`cannot run ${command}: ${exit.error.message}`)
  return { code: exit.code, stdout: child.stdout(), stderr: child.stderr(), output: `${child.stdout()}${child.stderr()}` }
}

/** runTool for a step that must succeed: throws with the tool's output when it exits non-zero. */
export async function runToolOrFail (command: string, args: readonly string[], options: ToolOptions = {}): Promise<ToolResult> {
  const result = await runTool(command, args, options)
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${String(result.code)}: ${result.output}`)
  return result
}

/** A server started by a test, answering. */
export interface ReadyServer {
  url: string
  process: RunningChild
  /** Stops the server and removes its folder. */
  stop: () => Promise<void>
}

/**
 * Starts a server (Prometheus, Alertmanager, VictoriaMetrics) whose files live in `dir` and
 * resolves once GET `readyPath` answers 2xx at `address`; a server that exits or is not ready
 * within 20 s is stopped, its folder removed, and the error carries its output.
 */
export async function startReadyServer (
  name: string, command: string, args: readonly string[], address: string, dir: string, readyPath = '/-/ready'
): Promise<ReadyServer> {
  const server = startChild(command, args, { name: name.toLowerCase(), outputLimit: 64 * 1024 })
  const url = `http://${address}`
  const stop = async (): Promise<void> => {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await waitFor(`${name} to answer ${readyPath}`, async () => {
      if (server.exitedYet()) throw new Error(`${name} exited:\n${server.output()}`)
      const status = await statusOf(`${url}${readyPath}`)
      return status !== undefined && status >= 200 && status < 300
    }, { timeoutMs: 20_000, intervalMs: 100 })
  } catch (error) {
    await stop()
    throw error
  }
  return { url, process: server, stop }
}
