/**
 * The built CLI's life as a user sees it: readiness before libp2p listens and while shutting
 * down, the periodic peer report, SIGINT, logfmt logs, and how a fault (not a user error) is
 * reported: one line on stderr, the stack only in the log, exit code 1; an unhandled rejection
 * is logged, counted and survived; a shutdown that hangs gives up after 10 s with exit 1 and a
 * second signal exits at once; --web.max-requests as the CLI applies it. Faults, a slow start,
 * a stop that hangs and requests held in flight are caused from outside with
 * test/support/fault-injection.mjs.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { faultEnv, runCli, runCliToExit, startCliTracker } from '../support/tracker.js'
import { freePort } from '../support/ports.js'
import { statusOf } from '../support/http.js'
import { createTestPeer } from '../support/peers.js'
import { waitFor } from '../support/wait.js'
import type { CliRun } from '../support/tracker.js'
import type { Libp2p } from '@libp2p/interface'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map(async fn => await fn()))
})

function killAtEnd (run: CliRun): CliRun {
  cleanups.push(run.kill)
  return run
}

async function tracker (args: string[], env: Record<string, string> = {}): Promise<Awaited<ReturnType<typeof startCliTracker>>> {
  const run = await startCliTracker(args, env)
  killAtEnd(run)
  return run
}

async function peer (): Promise<Libp2p> {
  const node = await createTestPeer({ listen: false })
  await node.start()
  cleanups.push(async () => { await node.stop() })
  return node
}

/** The tracker's flags for a run on 127.0.0.1 without bootstrap peers or DHT, serving on `port`. */
function localArgs (port: number, ...more: string[]): string[] {
  return [`--web.listen-address=127.0.0.1:${port}`, '--p2p.listen=/ip4/127.0.0.1/tcp/0', '--p2p.dht=off', '--p2p.bootstrap=', ...more]
}

/** Sends the start of a request and holds it; `finish()` completes it and resolves with the status line. */
async function heldRequest (port: number, path: string): Promise<{ finish: () => Promise<string> }> {
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`) // headers not finished: a request in flight
  let received = ''
  socket.on('data', (chunk: Buffer) => { received += chunk.toString('utf8') })
  const closed = new Promise<void>(resolve => socket.once('close', () => { resolve() }))
  socket.on('error', () => {})
  cleanups.push(async () => { socket.destroy() })
  return {
    finish: async () => {
      socket.write('Connection: close\r\n\r\n')
      await closed
      return received.split('\r\n')[0] ?? ''
    }
  }
}

describe('readiness', () => {
  it('answers 503 on /-/ready while libp2p is not listening yet, 200 once it is', async () => {
    const port = await freePort()
    const run = killAtEnd(runCli(localArgs(port), faultEnv('hold-p2p-listen')))
    const ready = `http://127.0.0.1:${port}/-/ready`
    await waitFor('HTTP to listen', async () => (await statusOf(ready)) !== undefined)
    // libp2p's listeners are held: the process is up (healthy) but not ready, and says so each time.
    for (let i = 0; i < 5; i++) expect(await statusOf(ready)).toBe(503)
    expect(await statusOf(`http://127.0.0.1:${port}/-/healthy`)).toBe(200)
    expect(run.logs().some(l => l.msg === 'libp2p node started')).toBe(false)

    run.process.kill('SIGUSR2') // release the listeners
    await waitFor('/-/ready to answer 200', async () => (await statusOf(ready)) === 200)
    expect(run.logs().some(l => l.msg === 'libp2p node started')).toBe(true)
  })

  it('answers 503 on /-/ready to a request that arrives while shutting down', async () => {
    const port = await freePort()
    const run = killAtEnd(runCli(localArgs(port)))
    const ready = `http://127.0.0.1:${port}/-/ready`
    await waitFor('/-/ready to answer 200', async () => (await statusOf(ready)) === 200)

    const held = await heldRequest(port, '/-/ready')
    run.process.kill('SIGTERM')
    // Shutdown has begun (the final report is logged after readiness is dropped); the held request finishes now.
    await waitFor('the final peer report', () => run.logs().some(l => l.msg === 'final peer report'))
    expect(await held.finish()).toBe('HTTP/1.1 503 Service Unavailable')
    expect((await run.exited).code).toBe(0)
  })
})

describe('the peer report and signals', () => {
  it('logs a report every --tracker.report-interval with exact counts and at most --tracker.report-peers peers, longest-connected first', { timeout: 60_000 }, async () => {
    const run = await tracker(['--p2p.bootstrap=', '--tracker.report-interval=500ms', '--tracker.report-peers=2'])
    const peers: Libp2p[] = []
    for (let i = 0; i < 3; i++) {
      const p = await peer()
      const connection = await p.dial(run.listenAddrs.map(a => multiaddr(a)))
      peers.push(p)
      await waitFor(`peer ${i + 1} to be logged`, () => run.logs().filter(l => l.msg === 'peer connected').length === i + 1)
      expect(connection.status).toBe('open')
    }
    const reports = (): Array<Record<string, unknown>> => run.logs().filter(l => l.msg === 'peer report')
    const since = reports().length
    await waitFor('two reports with all three peers', () => reports().slice(since).filter(r => r.connectedPeers === 3).length >= 2)
    const [first, second] = reports().slice(since).filter(r => r.connectedPeers === 3) as [Record<string, unknown>, Record<string, unknown>]
    expect(first).toMatchObject({ level: 'info', connectedPeers: 3, openConnections: 3, connects: 3, disconnects: 0 })
    const longest = first.longestConnected as Array<{ peerId: string, direction: string, durationSeconds: number }>
    expect(longest).toHaveLength(2) // bounded by --tracker.report-peers, not all three
    expect(longest.map(p => p.peerId)).toEqual([peers[0]?.peerId.toString(), peers[1]?.peerId.toString()])
    expect(longest.every(p => p.direction === 'inbound')).toBe(true)
    expect(longest[0]?.durationSeconds).toBeGreaterThanOrEqual(longest[1]?.durationSeconds ?? Infinity)
    // Reports come on the interval (500 ms, later under load), not on events: never much sooner.
    expect(Date.parse(second.time as string) - Date.parse(first.time as string)).toBeGreaterThanOrEqual(250)

    await peers[0]?.stop()
    // Reports since all three connected: one logged while the third was still dialling also says 2.
    await waitFor('a report after the first peer left', () => reports().slice(since).some(r => r.connectedPeers === 2))
    const after = reports().slice(since).find(r => r.connectedPeers === 2) as Record<string, unknown>
    expect(after).toMatchObject({ connectedPeers: 2, openConnections: 2, connects: 3, disconnects: 1 })
    expect((after.longestConnected as Array<{ peerId: string }>).map(p => p.peerId)).toEqual([peers[1]?.peerId.toString(), peers[2]?.peerId.toString()])
  })

  it('exits 0 on SIGINT within a few seconds, after a final report', async () => {
    const run = await tracker(['--p2p.bootstrap='])
    const p = await peer()
    await p.dial(run.listenAddrs.map(a => multiaddr(a)))
    await waitFor('the peer to be logged', () => run.logs().some(l => l.msg === 'peer connected'))
    const started = Date.now()
    run.process.kill('SIGINT')
    const { code, signal } = await run.exited
    expect({ code, signal }).toEqual({ code: 0, signal: null })
    expect(Date.now() - started).toBeLessThan(5000)
    const logs = run.logs()
    expect(logs.find(l => l.msg === 'shutting down')).toMatchObject({ signal: 'SIGINT' })
    expect(logs.find(l => l.msg === 'final peer report')).toMatchObject({ connectedPeers: 1, connects: 1, disconnects: 0 })
    expect(logs.at(-1)).toMatchObject({ msg: 'stopped', connectedPeers: 0, connects: 1, disconnects: 1 })
    expect(run.stderr()).toBe('')
  })
})

describe('logs', () => {
  it('writes every line as logfmt with --log.format=logfmt', async () => {
    const port = await freePort()
    const run = killAtEnd(runCli(localArgs(port, '--log.format=logfmt')))
    await waitFor('/-/ready to answer 200', async () => (await statusOf(`http://127.0.0.1:${port}/-/ready`)) === 200)
    const status = await (await fetch(`http://127.0.0.1:${port}/api/v1/status`)).json() as { peerId: string }
    run.process.kill('SIGTERM')
    expect((await run.exited).code).toBe(0)

    const lines = run.stdout().split('\n').filter(l => l !== '')
    expect(lines.length).toBeGreaterThanOrEqual(5)
    for (const line of lines) {
      expect(line).toMatch(/^level=(info|warn) time=\d{4}-\d\d-\d\dT\S+Z( [a-zA-Z]+=("(?:[^"\\]|\\.)*"|[^\s"=\\]+))+$/)
    }
    const fields = (line: string): Record<string, string> => Object.fromEntries([...line.matchAll(/([a-zA-Z]+)=("(?:[^"\\]|\\.)*"|\S+)/g)]
      .map(([, k = '', v = '']) => [k, v.startsWith('"') ? JSON.parse(v) as string : v]))
    const records = lines.map(fields)
    expect(records.find(r => r.msg === 'libp2p node started')).toMatchObject({ level: 'info', peerId: status.peerId })
    expect(records.find(r => r.msg === 'serving metrics')).toMatchObject({ address: `127.0.0.1:${port}`, telemetryPath: '/metrics' })
    expect(records.find(r => r.msg === 'final peer report')).toMatchObject({ connectedPeers: '0', longestConnected: '[]' })
    expect(records.at(-1)).toMatchObject({ msg: 'stopped' })
  })
})

describe('faults', () => {
  function expectOneFatalLine (stderr: string, what: string): void {
    const lines = stderr.split('\n').filter(l => l !== '')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(new RegExp(`^libp2p-peer-tracker: fatal: ${what}: \\w*Error: injected fault: [^\\n]+$`))
    expect(stderr).not.toMatch(/\bat .*\.(js|mjs):\d+/) // no stack trace
    expect(stderr).not.toContain('second line')
  }

  it('reports a fault during start-up in one line on stderr, the stack in the log, and exits 1', async () => {
    const { code, stdout, stderr } = await runCliToExit(localArgs(await freePort()), faultEnv('http-listen-throws'))
    expect(code).toBe(1)
    expectOneFatalLine(stderr, 'start-up failed')
    const fatal = stdout.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Record<string, unknown>).find(l => l.level === 'fatal')
    expect(fatal).toMatchObject({ msg: 'start-up failed; exiting', err: { type: 'TypeError' } })
    expect((fatal?.err as { stack: string }).stack).toMatch(/\n\s+at .*fault-injection\.mjs:\d+/)
  })

  it('reports an exception nobody caught in one line on stderr, the stack in the log, and exits 1', async () => {
    const run = await tracker(['--p2p.bootstrap='], faultEnv('throw-on-sigusr2'))
    run.process.kill('SIGUSR2')
    const { code } = await run.exited
    expect(code).toBe(1)
    expectOneFatalLine(run.stderr(), 'uncaught exception')
    const fatal = run.logs().find(l => l.level === 'fatal')
    expect(fatal).toMatchObject({ msg: 'uncaught exception; exiting', err: { type: 'Error' } })
    expect((fatal?.err as { stack: string }).stack).toMatch(/\n\s+at .*fault-injection\.mjs:\d+/)
  })

  it('logs and counts an unhandled promise rejection and keeps serving', async () => {
    const run = await tracker(['--p2p.bootstrap='], faultEnv('reject-on-sigusr2'))
    const rejections = async (): Promise<number | undefined> => {
      const text = await (await fetch(`${run.url}/metrics`)).text()
      const m = /^libp2p_tracker_internal_errors_total\{component="unhandled_rejection"\} (\d+)$/m.exec(text)
      return m === null ? undefined : Number(m[1])
    }
    expect(await rejections()).toBe(0)
    run.process.kill('SIGUSR2')
    await waitFor('the rejection to be logged', () => run.logs().some(l => l.msg === 'unhandled promise rejection (kept running)'))
    expect(run.logs().find(l => l.msg === 'unhandled promise rejection (kept running)')).toMatchObject({ level: 'error', err: { message: 'injected fault: nobody awaits this' } })
    run.process.kill('SIGUSR2')
    await waitFor('two rejections to be counted', async () => (await rejections()) === 2)
    // still running and serving; it stops cleanly when asked
    expect(run.exitedYet()).toBe(false)
    expect(await statusOf(`${run.url}/-/ready`)).toBe(200)
    run.process.kill('SIGTERM')
    expect((await run.exited).code).toBe(0)
    expect(run.stderr()).toBe('')
  })

  it('reports a user error in the environment naming the variable, with exit code 2', async () => {
    const { code, stderr } = await runCliToExit(['--p2p.dht=off'], { LIBP2P_TRACKER_P2P_BOOTSTRAP: '/ip4/1.2.3.4/tcp/1/p2p/notapeerid' })
    expect(code).toBe(2)
    expect(stderr).toBe('libp2p-peer-tracker: LIBP2P_TRACKER_P2P_BOOTSTRAP (--p2p.bootstrap): "/ip4/1.2.3.4/tcp/1/p2p/notapeerid" has an invalid peer ID "notapeerid" (expected one like 12D3KooW... or Qm...)\n')
  })
})

describe('a shutdown that does not finish', () => {
  it('gives up after 10 s: one line on stderr, a fatal record, exit 1', { timeout: 60_000 }, async () => {
    const run = await tracker(['--p2p.bootstrap='], faultEnv('server-close-hangs'))
    const started = Date.now()
    run.process.kill('SIGTERM')
    const { code, signal } = await run.exited
    const took = Date.now() - started
    expect({ code, signal }).toEqual({ code: 1, signal: null })
    expect(took).toBeGreaterThanOrEqual(9_500) // it waited for the stop ...
    expect(took).toBeLessThan(30_000) // ... and then gave up (10 s, later on a loaded machine)
    expect(run.stderr()).toBe('libp2p-peer-tracker: fatal: shutdown took too long: Error: not stopped after 10000 ms\n')
    expect(run.logs().find(l => l.level === 'fatal')).toMatchObject({ msg: 'shutdown took too long; exiting' })
    expect(run.logs().some(l => l.msg === 'stopped')).toBe(false)
  })

  it('stops the node and writes the last batch to the store before it gives up', { timeout: 90_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tracker-close-hangs-'))
    cleanups.push(async () => { await rm(dir, { recursive: true, force: true }) })
    const store = `--storage.path=${join(dir, 'store')}`
    const run = await tracker(['--p2p.bootstrap=', store], faultEnv('server-close-hangs'))
    const p = await peer()
    await p.dial(run.listenAddrs.map(a => multiaddr(a)))
    await waitFor('the peer to connect', () => run.logs().some(l => l.msg === 'peer connected'))
    run.process.kill('SIGTERM')
    expect((await run.exited).code).toBe(1) // the HTTP close never ends: given up after 10 s
    // Meanwhile the node stopped (the session closed as a shutdown) and the store took the last batch.
    expect(run.logs().find(l => l.msg === 'peer disconnected')).toMatchObject({ peerId: p.peerId.toString() })
    const again = await tracker(['--p2p.bootstrap=', store])
    expect(again.logs().find(l => l.msg === 'storage opened')).toMatchObject({ peers: 1, uncleanSessions: 0 })
  })

  it('exits 1 at once on a second signal', { timeout: 60_000 }, async () => {
    const run = await tracker(['--p2p.bootstrap='], faultEnv('server-close-hangs'))
    run.process.kill('SIGTERM')
    await waitFor('shutdown to begin', () => run.logs().some(l => l.msg === 'final peer report'))
    const second = Date.now()
    run.process.kill('SIGINT')
    const { code, signal } = await run.exited
    expect({ code, signal }).toEqual({ code: 1, signal: null })
    expect(Date.now() - second).toBeLessThan(5_000) // not the 10 s of the shutdown timeout
    expect(run.logs().find(l => l.msg === 'second signal: exiting without waiting')).toMatchObject({ level: 'warn', signal: 'SIGINT' })
  })
})

describe('--web.max-requests as the CLI applies it', () => {
  /** Starts GET url (with its response held by the hold-responses fault); resolves with its status when it ends. */
  async function get (url: string): Promise<number> {
    return await new Promise<number>((resolve, reject) => {
      const req = request(url, { agent: false }, res => {
        res.resume()
        res.once('end', () => { resolve(res.statusCode ?? 0) })
      })
      req.once('error', reject)
      req.end()
    })
  }

  /** Holds `n` requests to /metrics in flight inside the tracker; resolves once it holds them. */
  async function hold (run: CliRun & { url: string }, n: number): Promise<Array<Promise<number>>> {
    const held = Array.from({ length: n }, async () => await get(`${run.url}/metrics?hold=1`))
    for (const h of held) h.catch(() => {}) // a failed test kills the tracker: no unhandled rejection then
    await waitFor(`${n} requests to be held in flight`, () => run.stderr().split('\n').includes(`held ${n}`))
    return held
  }

  it('serves 40 requests at once by default and answers the 41st 503, but not the health checks', { timeout: 60_000 }, async () => {
    const run = await tracker(['--p2p.bootstrap='], faultEnv('hold-responses'))
    const held = await hold(run, 40)
    expect(await get(`${run.url}/api/v1/status`)).toBe(503) // the 41st
    expect(await get(`${run.url}/-/healthy`)).toBe(200)
    expect(await get(`${run.url}/-/ready`)).toBe(200)
    run.process.kill('SIGUSR2') // release the held responses
    expect(await Promise.all(held)).toEqual(Array(40).fill(200))
    expect(await get(`${run.url}/api/v1/status`)).toBe(200)
  })

  it('with --web.max-requests=0 serves any number at once', { timeout: 60_000 }, async () => {
    const run = await tracker(['--p2p.bootstrap=', '--web.max-requests=0'], faultEnv('hold-responses'))
    const held = await hold(run, 60)
    // 60 requests are inside the tracker (their responses held): a 61st is still served.
    expect(await get(`${run.url}/api/v1/status`)).toBe(200)
    run.process.kill('SIGUSR2')
    expect(await Promise.all(held)).toEqual(Array(60).fill(200))
  })
})
