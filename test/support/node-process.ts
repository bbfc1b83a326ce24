/** A Node script run as a child process (an example app, a Helia peer), its output captured. */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'

export interface NodeProcess {
  child: ChildProcess
  stdout: () => string
  /** stdout and stderr, for error messages. */
  output: () => string
  /** True once the process has exited. */
  exitedYet: () => boolean
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  /** Resolves with the exit code, or fails if the process is still running after timeoutMs. */
  exitWithin: (timeoutMs: number) => Promise<number | null>
  /** SIGKILL if still running (for cleanups). */
  kill: () => Promise<void>
}

export function runNode (binary: string, args: string[], options: { cwd?: string, env?: NodeJS.ProcessEnv } = {}): NodeProcess {
  const child = spawn(binary, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let all = ''
  let done = false
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); all += chunk.toString('utf8') })
  child.stderr?.on('data', (chunk: Buffer) => { all += chunk.toString('utf8') })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>(resolve => {
    child.on('exit', (code, signal) => { done = true; resolve({ code, signal }) })
  })
  return {
    child,
    stdout: () => stdout,
    output: () => all,
    exitedYet: () => done,
    exited,
    exitWithin: async (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => { reject(new Error(`${args[0] ?? binary} still running ${timeoutMs} ms after it was told to stop: ${all}`)) }, timeoutMs)
      })
      try {
        const { code, signal } = await Promise.race([exited, timeout])
        if (signal !== null) throw new Error(`${args[0] ?? binary} was killed by ${signal}: ${all}`)
        return code
      } finally {
        clearTimeout(timer)
      }
    },
    kill: async () => {
      if (done) return
      child.kill('SIGKILL')
      await exited
    }
  }
}
