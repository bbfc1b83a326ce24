/**
 * After node.stop(), the peerTracker service leaves no timer, listener or socket behind: a
 * process whose node stopped exits by itself (test/support/service-node-exit.mjs, run on the
 * built package as a user's app runs it).
 */
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { startChild } from '../support/process.js'

const APP = fileURLToPath(new URL('../support/service-node-exit.mjs', import.meta.url))
const EXIT_WITHIN_MS = 45_000

describe('a process with the peerTracker service', () => {
  it('exits by itself after its node stopped, with a peer connected, pinged and swept before', { timeout: EXIT_WITHIN_MS + 15_000 }, async () => {
    const app = startChild(process.execPath, [APP])
    const exit = await app.exitWithin(EXIT_WITHIN_MS).then(
      (code) => ({ code, timedOut: false }),
      async () => { await app.kill(); return { code: null, timedOut: true } })
    if (!exit.timedOut) await app.closed // all of its output read
    const stdout = app.stdout()
    expect(exit, `stdout: ${stdout}\nstderr: ${app.stderr()}`).toEqual({ code: 0, timedOut: false })
    const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { connected: number, status: { connectedPeers: number, peerDisconnects: number }, shutdownCloses: number, registered: number, stopped: boolean }
    expect(result.connected).toBe(1)
    expect(result.stopped).toBe(true)
    // The node's shutdown closed the peer's connection and the service counted it (as a
    // shutdown close) before it detached; its families left the registry.
    expect(result.status).toMatchObject({ connectedPeers: 0, peerDisconnects: 1 })
    expect(result.shutdownCloses).toBe(1)
    expect(result.registered).toBe(0)
  })
})
