/**
 * B8: time to regain 90 % of the pre-restart peer count after a restart, with --storage.path
 * and without. N listening peers on 127.0.0.1 dial the built CLI (so they are known only from
 * earlier sessions: no bootstrap list, no DHT); the tracker is stopped (SIGTERM) and started
 * again with the same identity; measured from the spawn of the new process until its
 * libp2p_tracker_connected_peers reaches 90 % of N (scraped every 100 ms), or the time limit.
 *
 * Runs inside `npm run bench` (bench/run.ts) and alone: `npm run build && npx tsx bench/b8-restart.ts [--quick]`,
 * which writes its own section of BENCHMARKS.md.
 */
import '../src/runtime/node-shims.js'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { parseExposition, valueOf } from '../test/support/exposition.js'
import { writeSection } from './benchmarks-file.js'
import { fmt, machine, median } from './stats.js'
import type { Libp2p } from '@libp2p/interface'
import type { ChildProcess } from 'node:child_process'

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url))

export interface RestartResult {
  peers: number
  withStore: boolean
  /** Seconds from the new process's spawn to 90 % of the peers connected; undefined: not within the limit. */
  seconds: number | undefined
  limitSeconds: number
  /** Peers connected at that moment (or at the limit). */
  regained: number
}

interface Tracker { child: ChildProcess, url: string, listenAddrs: string[], exited: Promise<number | null> }

async function startTracker (args: string[]): Promise<Tracker> {
  const child = spawn(process.execPath, [CLI, '--web.listen-address=127.0.0.1:0', '--p2p.listen=/ip4/127.0.0.1/tcp/0', '--p2p.dht=off', '--p2p.bootstrap=',
    '--p2p.inbound-connection-threshold=10000', '--p2p.max-incoming-pending-connections=100', '--tracker.report-interval=0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => { resolve(code) }))
  let out = ''
  const listenAddrs: string[] = []
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      let nl: number
      while ((nl = out.indexOf('\n')) !== -1) {
        const line = out.slice(0, nl)
        out = out.slice(nl + 1)
        if (!line.startsWith('{')) continue
        const record = JSON.parse(line) as { msg?: string, addr?: string, address?: string }
        if (record.msg === 'listening for peers' && record.addr !== undefined) listenAddrs.push(record.addr)
        if (record.msg === 'serving metrics' && record.address !== undefined) resolve(`http://127.0.0.1:${record.address.slice(record.address.lastIndexOf(':') + 1)}`)
      }
    })
    void exited.then(code => { reject(new Error(`tracker exited with ${code} before serving`)) })
  })
  return { child, url, listenAddrs, exited }
}

async function connectedPeers (t: Tracker): Promise<number> {
  try {
    return valueOf(parseExposition(await (await fetch(`${t.url}/metrics`)).text()), 'libp2p_tracker_connected_peers') ?? 0
  } catch {
    return 0
  }
}

async function until (check: () => Promise<boolean>, limitMs: number): Promise<boolean> {
  const deadline = performance.now() + limitMs
  while (performance.now() < deadline) {
    if (await check()) return true
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return false
}

async function peer (): Promise<Libp2p> {
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 1000 },
    services: { identify: identify() }
  })
}

export async function regainAfterRestart (peerCount: number, withStore: boolean, limitMs: number): Promise<RestartResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-b8-'))
  const args = [`--p2p.identity-file=${join(dir, 'key')}`, ...(withStore ? [`--storage.path=${join(dir, 'store')}`] : [])]
  const peers: Libp2p[] = []
  let tracker: Tracker | undefined
  try {
    tracker = await startTracker(args)
    for (let i = 0; i < peerCount; i++) peers.push(await peer())
    const addrs = tracker.listenAddrs.map(a => multiaddr(a))
    for (let i = 0; i < peers.length; i += 10) await Promise.all(peers.slice(i, i + 10).map(async p => await p.dial(addrs)))
    const first = tracker
    if (!await until(async () => await connectedPeers(first) === peerCount, 60_000)) throw new Error('the peers did not all connect before the restart')
    first.child.kill('SIGTERM')
    await first.exited
    const target = Math.ceil(0.9 * peerCount)
    const spawned = performance.now()
    tracker = await startTracker(args)
    const second = tracker
    let regained = 0
    const reached = await until(async () => { regained = await connectedPeers(second); return regained >= target }, limitMs - (performance.now() - spawned))
    return { peers: peerCount, withStore, seconds: reached ? (performance.now() - spawned) / 1000 : undefined, limitSeconds: limitMs / 1000, regained }
  } finally {
    if (tracker !== undefined && tracker.child.exitCode === null) { tracker.child.kill('SIGTERM'); await tracker.exited }
    await Promise.all(peers.map(async p => { await p.stop() }))
    rmSync(dir, { recursive: true, force: true })
  }
}

export interface B8 { withStore: RestartResult[], withoutStore: RestartResult[] }

export async function b8 (peerCount: number, runs: number, limitMs: number): Promise<B8> {
  const result: B8 = { withStore: [], withoutStore: [] }
  for (let i = 0; i < runs; i++) {
    result.withStore.push(await regainAfterRestart(peerCount, true, limitMs))
    result.withoutStore.push(await regainAfterRestart(peerCount, false, limitMs))
  }
  return result
}

/** The row for the bench table. */
export function b8Row (r: B8): { id: string, what: string, goal: string, measured: string, met: string } {
  const peers = r.withStore[0]?.peers ?? 0
  const limit = r.withStore[0]?.limitSeconds ?? 0
  const times = r.withStore.map(x => x.seconds)
  const all = times.every(t => t !== undefined)
  const withStore = all ? `${fmt(median(times as number[]), 1)} s (median of ${times.length}; ${times.map(t => fmt(t as number, 1)).join(', ')})` : `not within ${limit} s in ${times.filter(t => t === undefined).length} of ${times.length} runs`
  const without = r.withoutStore.map(x => x.seconds === undefined ? `never within ${x.limitSeconds} s (${x.regained}/${x.peers} connected)` : `${fmt(x.seconds, 1)} s`).join('; ')
  return {
    id: 'B8',
    what: `restart: time from the new process's spawn until 90 % of ${peers} peers known only from earlier sessions (no bootstrap list, no DHT) are connected again`,
    goal: 'regained within seconds with --storage.path',
    measured: `with the store: ${withStore}; without: ${without}`,
    met: all ? 'yes' : '**no**'
  }
}

async function main (): Promise<void> {
  const quick = process.argv.includes('--quick')
  const r = await b8(quick ? 30 : 100, quick ? 1 : 3, quick ? 20_000 : 60_000)
  const row = b8Row(r)
  const m = machine()
  const table = `| # | what | goal | measured | met |\n|---|---|---|---|---|\n| ${row.id} | ${row.what} | ${row.goal} | ${row.measured} | ${row.met} |`
  process.stdout.write(`${table}\n`)
  writeSection('restart', `## Restart with and without the store (B8)

Generated by \`npx tsx bench/b8-restart.ts${quick ? ' --quick' : ''}\` (after \`npm run build\`) on ${new Date().toISOString().slice(0, 10)}: ${m.cores} cores, ${m.cpu}, Node.js ${m.node}, 1-minute load average ${m.loadAverage} at the start.

${table}

How: \`bench/b8-restart.ts\`. N listening js-libp2p peers on 127.0.0.1 dial the built CLI (identity kept with \`--p2p.identity-file\`, no bootstrap peers, DHT off); once all are counted, the tracker is stopped with SIGTERM and started again; the time runs from the new process's spawn (Node start-up and module loading included) until \`libp2p_tracker_connected_peers\` reaches 90 % of N, scraped every 100 ms. With \`--storage.path\` the tracker redials the peers it was connected to (docs/storage.md); without it, it knows no peer to dial and none of these peers dials it again.

\`\`\`json
${JSON.stringify(r, null, 2)}
\`\`\``)
  process.exit(0)
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main()
