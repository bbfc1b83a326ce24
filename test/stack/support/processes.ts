import { spawn, type ChildProcess } from 'node:child_process'

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
