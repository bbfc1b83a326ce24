/** Prometheus' own tools (Debian's prometheus package; .ci/run installs it). */
import { spawn } from 'node:child_process'

export async function promtool (args: string[], stdin?: string): Promise<{ code: number | null, output: string }> {
  const child = spawn('promtool', args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString('utf8') })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString('utf8') })
  child.stdin.end(stdin ?? '')
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', resolve)
  })
  return { code, output }
}
