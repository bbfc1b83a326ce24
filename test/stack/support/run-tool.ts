import { execFile } from 'node:child_process'

export interface ToolResult {
  /** Exit code; null when a signal ended the process. */
  code: number | null
  stdout: string
  stderr: string
  /** stdout and stderr together, for assertions on a tool's verdict. */
  output: string
}

/** Runs a command to completion and reports its exit code and output; never throws for a non-zero exit. */
export async function runTool (
  command: string,
  args: readonly string[],
  options: { cwd?: string, timeoutMs?: number, env?: NodeJS.ProcessEnv } = {}
): Promise<ToolResult> {
  return await new Promise((resolve, reject) => {
    execFile(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 20_000,
      maxBuffer: 16 * 1024 * 1024
    }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code === 'string') {
        reject(new Error(`cannot run ${command}: ${error.message}`))
        return
      }
      const code = error === null ? 0 : (typeof error.code === 'number' ? error.code : null)
      resolve({ code, stdout, stderr, output: `${stdout}${stderr}` })
    })
  })
}
