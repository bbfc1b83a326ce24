/**
 * B9: the cost of one poll of a watched node's API (--source=beacon-api / kubo-rpc) at 200 and
 * 2,000 peers. The stand-in API runs in its own process (bench/b9-poll-server.ts); the
 * PollingTracker (src/sources) runs here and polls back to back: identity, then the peers,
 * diffed into the account (1 % of the peers replaced every 100 ms, so most polls change
 * something). Reported: ms per poll (median), bytes per poll (both answers), and this
 * process's CPU per poll as a share of one core at the default interval (5 s).
 *   tsx bench/b9-poll.ts [polls]
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { DEFAULTS } from '../src/config/config.js'
import { parseDuration } from '../src/config/values.js'
import { TrackerState } from '../src/service/tracker-state.js'
import { createNodeApi } from '../src/sources/create-api.js'
import { PollingTracker } from '../src/sources/polling-tracker.js'
import { fmt, median } from './stats.js'
import type { PollingSourceKind } from '../src/config/config.js'

export interface B9Result {
  kind: PollingSourceKind
  peers: number
  connections: number
  polls: number
  msPerPoll: number
  bytesPerPoll: number
  cpuMsPerPoll: number
  /** CPU per poll / the default interval: the share of one core polling costs. */
  coreShareAtDefault: number
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const DEFAULT_INTERVAL_MS = parseDuration('--source.interval', DEFAULTS['source.interval'])
const quiet = (): void => {}
const log = { debug: quiet, info: quiet, warn: quiet, error: quiet }

async function standIn (kind: PollingSourceKind, peers: number): Promise<{ url: string, stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./b9-poll-server.ts', import.meta.url)), kind, String(peers)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); if (out.includes('\n')) resolve(out.trim()) })
    child.once('exit', (code) => { reject(new Error(`stand-in exited with ${String(code)}`)) })
  })
  return { url, stop: () => { child.kill() } }
}

/** Bytes of one identity + peers exchange, counted off the wire by a second, plain fetch. */
async function bytesPerPoll (kind: PollingSourceKind, url: string): Promise<number> {
  const paths = kind === 'kubo-rpc'
    ? [['POST', '/api/v0/id'], ['POST', '/api/v0/swarm/peers?verbose=true&latency=true&streams=true&direction=true&identify=true']]
    : [['GET', '/eth/v1/node/identity'], ['GET', '/eth/v1/lodestar/peers?state=connected']]
  let bytes = 0
  for (const [method, path] of paths) bytes += (await (await fetch(`${url}${path as string}`, { method })).arrayBuffer()).byteLength
  return bytes
}

export async function b9 (kind: PollingSourceKind, peers: number, polls: number): Promise<B9Result> {
  const api = await standIn(kind, peers)
  try {
    const state = new TrackerState({ knownConnectionLabels: [], maxPeerSeries: 500 })
    const node = createNodeApi({ kind, url: api.url, intervalMs: DEFAULT_INTERVAL_MS, timeoutMs: 4000, authFile: undefined, caFile: undefined })
    const polling = new PollingTracker(node, state, { intervalMs: DEFAULT_INTERVAL_MS, rttSampleIntervalMs: 10_000, log })
    await polling.describe()
    for (let i = 0; i < 5; i++) await polling.pollOnce() // warm-up
    const times: number[] = []
    const cpu = process.cpuUsage()
    for (let i = 0; i < polls; i++) {
      const started = performance.now()
      await polling.pollOnce()
      times.push(performance.now() - started)
    }
    const used = process.cpuUsage(cpu)
    const cpuMsPerPoll = (used.user + used.system) / 1000 / polls
    if (polling.health.polls.success < polls) throw new Error(`only ${polling.health.polls.success} polls succeeded`)
    const result = { kind, peers, connections: state.account.openConnections, polls, msPerPoll: median(times), bytesPerPoll: await bytesPerPoll(kind, api.url), cpuMsPerPoll, coreShareAtDefault: cpuMsPerPoll / DEFAULT_INTERVAL_MS }
    await polling.stop()
    return result
  } finally {
    api.stop()
  }
}

/** B9's rows for the table of bench/run.ts. */
export function b9Rows (results: readonly B9Result[]): Array<{ id: string, what: string, goal: string, measured: string, met: string }> {
  return results.map(r => ({
    id: 'B9',
    what: `one poll of a ${r.kind === 'kubo-rpc' ? 'Kubo RPC' : 'Beacon API (Lodestar peers endpoint)'} stand-in in another process, ${fmt(r.peers)} peers (${fmt(r.connections)} connections), 1 % replaced every 100 ms; identity + peers, diffed into the account; ${r.polls} polls back to back`,
    goal: `<= 1 % of a core at the default ${DEFAULT_INTERVAL_MS / 1000} s interval`,
    measured: `${fmt(r.msPerPoll, 2)} ms per poll (median), ${fmt(r.bytesPerPoll / 1024, 1)} KiB per poll, ${fmt(r.cpuMsPerPoll, 2)} ms CPU per poll = ${fmt(r.coreShareAtDefault * 100, 3)} % of a core`,
    met: r.coreShareAtDefault <= 0.01 ? 'yes' : '**no**'
  }))
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const polls = Number(process.argv[2] ?? 50)
  const results: B9Result[] = []
  for (const kind of ['beacon-api', 'kubo-rpc'] as const) {
    for (const peers of [200, 2000]) results.push(await b9(kind, peers, polls))
  }
  for (const row of b9Rows(results)) process.stdout.write(`| ${row.id} | ${row.what} | ${row.goal} | ${row.measured} | ${row.met} |\n`)
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
  process.exit(0)
}
