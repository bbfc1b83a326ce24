/**
 * After node.stop(), the peerTracker service leaves no timer, listener or socket behind: a
 * process whose node stopped exits by itself (test/support/service-node-exit.mjs, run on the
 * built package as a user's app runs it).
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const APP = fileURLToPath(new URL('../support/service-node-exit.mjs', import.meta.url))
const EXIT_WITHIN_MS = 45_000

describe('a process with the peerTracker service', () => {
  it('exits by itself after its node stopped, with a peer connected, pinged and swept before', { timeout: EXIT_WITHIN_MS + 15_000 }, async () => {
    const child = spawn(process.execPath, [APP], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    const exit = await new Promise<{ code: number | null, timedOut: boolean }>(resolve => {
      const timer = setTimeout(() => { child.kill('SIGKILL'); resolve({ code: null, timedOut: true }) }, EXIT_WITHIN_MS)
      child.on('exit', (code) => { clearTimeout(timer); resolve({ code, timedOut: false }) })
    })
    expect(exit, `stdout: ${stdout}\nstderr: ${stderr}`).toEqual({ code: 0, timedOut: false })
    const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { connected: number, status: { connectedPeers: number, peerDisconnects: number }, stopped: boolean }
    expect(result.connected).toBe(1)
    expect(result.stopped).toBe(true)
    // The shutdown closed the peer's connection and the service counted it before it detached.
    expect(result.status).toMatchObject({ connectedPeers: 0, peerDisconnects: 1 })
  })
})
