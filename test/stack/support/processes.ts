import { spawn, type ChildProcess } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { waitFor } from './wait.js'

/** A server process started by a test; stop() ends exactly this process. */
export interface RunningProcess {
  readonly name: string
  readonly pid: number
  /** The last output of the process, for failure messages. */
  log: () => string
  /** Whether the process has exited. */
  exited: () => boolean
  stop: () => Promise<void>
}

const LOG_LIMIT = 64 * 1024

export function startProcess (name: string, command: string, args: readonly string[]): RunningProcess {
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  let exitCode: number | null | undefined
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-LOG_LIMIT)
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code) => { exitCode = code; resolve() })
    child.once('error', (error) => { output += `\n${error.message}`; exitCode = -1; resolve() })
  })
  if (child.pid === undefined) throw new Error(`cannot start ${name} (${command})`)
  const pid = child.pid
  return {
    name,
    pid,
    log: () => output,
    exited: () => exitCode !== undefined,
    stop: async () => {
      if (exitCode !== undefined) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exit
      clearTimeout(timer)
    }
  }
}

/** A Prometheus or Alertmanager server started by a test, ready to answer. */
export interface ReadyServer {
  url: string
  process: RunningProcess
  /** Stops the server and removes its folder. */
  stop: () => Promise<void>
}

/**
 * Starts a server of the Prometheus family whose files live in `dir` and resolves once its
 * /-/ready answers; a server that exits or is not ready within 20 s is stopped, its folder
 * removed, and the error carries its output.
 */
export async function startReadyServer (name: string, command: string, args: readonly string[], address: string, dir: string): Promise<ReadyServer> {
  const process = startProcess(name.toLowerCase(), command, args)
  const url = `http://${address}`
  const stop = async (): Promise<void> => {
    await process.stop()
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await waitFor(`${name} to be ready`, async () => {
      if (process.exited()) throw new Error(`${name} exited:\n${process.log()}`)
      const response = await fetch(`${url}/-/ready`)
      return response.ok ? true : undefined
    }, { timeoutMs: 20_000 })
  } catch (error) {
    await stop()
    throw error
  }
  return { url, process, stop }
}
