/**
 * Soak: `npm run soak -- --minutes N [--peers P] [--scrapers C]`.
 *
 * Runs the built CLI as a child process (so its RSS is the tracker's alone) with churn from P
 * real libp2p peers in this process (each dials, stays 0.2-3 s, hangs up, and now and then
 * comes back as a new identity), and C concurrent scrapers hammering /metrics with autocannon
 * for the whole run. Every 5 s it samples the tracker's RSS and one scrape, checking
 * connects - disconnects == connected. Reports RSS over time with a leak slope (least squares
 * over the second half, after warm-up), scrape latency percentiles, errors and the invariant,
 * and writes the "Soak" section of BENCHMARKS.md (between <!-- soak:start --> and <!-- soak:end -->).
 */
import '../src/runtime/node-shims.js'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import autocannon from 'autocannon'
import { createTestPeer } from '../test/support/peers.js'
import { parseExposition, sumOf, valueOf } from '../test/support/exposition.js'
import { writeSection } from './benchmarks-file.js'
import { machine } from './stats.js'
import type { Libp2p } from '@libp2p/interface'

interface Args { minutes: number, peers: number, scrapers: number }

function parseArgs (argv: string[]): Args {
  const args: Args = { minutes: 1, peers: 20, scrapers: 4 }
  for (let i = 0; i < argv.length; i++) {
    const [key, inline] = (argv[i] as string).split('=')
    const value = inline ?? argv[++i]
    const n = Number(value)
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${key ?? ''}: "${value ?? ''}" is not a positive number`)
    if (key === '--minutes') args.minutes = n
    else if (key === '--peers') args.peers = Math.round(n)
    else if (key === '--scrapers') args.scrapers = Math.round(n)
    else throw new Error(`unknown option ${key ?? ''} (known: --minutes, --peers, --scrapers)`)
  }
  return args
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

function rssBytes (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1]
  return Number(kb ?? NaN) * 1024
}

/** Least-squares slope of y over x. */
function slope (points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length
  if (n < 2) return NaN
  const mx = points.reduce((s, p) => s + p[0], 0) / n
  const my = points.reduce((s, p) => s + p[1], 0) / n
  let num = 0
  let den = 0
  for (const [x, y] of points) { num += (x - mx) * (y - my); den += (x - mx) ** 2 }
  return den === 0 ? NaN : num / den
}

interface Sample { atS: number, rssMiB: number, heapMiB: number, connected: number, balance: number, scrapeMs: number, ok: boolean }

async function main (): Promise<void> {
  const args = parseArgs(process.argv.slice(2).filter(a => a !== '--'))
  const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url))
  const child = spawn(process.execPath, [cli, '--web.listen-address=127.0.0.1:0', '--p2p.listen=/ip4/127.0.0.1/tcp/0', '--p2p.dht=off',
    '--p2p.bootstrap=', '--p2p.inbound-connection-threshold=100000', '--p2p.max-incoming-pending-connections=100',
    '--tracker.report-interval=0', '--log.level=info'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  let keep = true // keep stdout only until the start-up lines are read; drain it afterwards
  child.stdout.on('data', (chunk: Buffer) => { if (keep) out += chunk.toString('utf8') })
  let url = ''
  const started = Date.now()
  // The web port is chosen by the OS and logged at start-up.
  while (url === '' && Date.now() - started < 20_000) {
    const line = out.split('\n').find(l => l.includes('"serving metrics"'))
    if (line !== undefined) url = `http://${(JSON.parse(line) as { address: string }).address}`
    await sleep(50)
  }
  if (url === '') throw new Error(`the tracker did not start: ${out}`)
  keep = false
  const status = await (await fetch(`${url}/api/v1/status`)).json() as { listenAddrs: string[] }
  const addrs = status.listenAddrs.map(a => multiaddr(a))

  const durationMs = args.minutes * 60_000
  const deadline = Date.now() + durationMs
  let churnErrors = 0
  let sessions = 0
  const churn = async (): Promise<void> => {
    let peer: Libp2p | undefined
    while (Date.now() < deadline) {
      if (peer === undefined || Math.random() < 0.1) {
        await peer?.stop()
        peer = await createTestPeer({ listen: false })
        await peer.start()
      }
      try {
        const connection = await peer.dial(addrs)
        sessions++
        await sleep(200 + Math.random() * 2800)
        await connection.close()
      } catch {
        churnErrors++
      }
      await sleep(Math.random() * 500)
    }
    await peer?.stop()
  }

  const samples: Sample[] = []
  const sampler = async (): Promise<void> => {
    while (Date.now() < deadline) {
      const t0 = performance.now()
      let ok = false
      let connected = NaN
      let balance = NaN
      let heapMiB = NaN
      try {
        const m = parseExposition(await (await fetch(`${url}/metrics`)).text())
        connected = valueOf(m, 'libp2p_tracker_connected_peers') ?? NaN
        balance = sumOf(m, 'libp2p_tracker_peer_connects_total') - sumOf(m, 'libp2p_tracker_peer_disconnects_total')
        heapMiB = (valueOf(m, 'nodejs_heap_size_used_bytes') ?? NaN) / 2 ** 20
        ok = true
      } catch {}
      samples.push({ atS: (Date.now() - started) / 1000, rssMiB: rssBytes(child.pid as number) / 2 ** 20, heapMiB, connected, balance, scrapeMs: performance.now() - t0, ok })
      await sleep(5000)
    }
  }

  const load = autocannon({ url: `${url}/metrics`, connections: args.scrapers, duration: Math.max(1, Math.round(durationMs / 1000)), headers: { 'accept-encoding': 'gzip' } })
  const [result] = await Promise.all([load, sampler(), ...Array.from({ length: args.peers }, churn)])

  // Every peer has left: the tracker must say 0 and balance.
  let final = { connected: NaN, balance: NaN }
  for (let i = 0; i < 100; i++) {
    const m = parseExposition(await (await fetch(`${url}/metrics`)).text())
    final = { connected: valueOf(m, 'libp2p_tracker_connected_peers') ?? NaN, balance: sumOf(m, 'libp2p_tracker_peer_connects_total') - sumOf(m, 'libp2p_tracker_peer_disconnects_total') }
    if (final.connected === 0) break
    await sleep(100)
  }
  const finalMetrics = parseExposition(await (await fetch(`${url}/metrics`)).text())
  const internalErrors = sumOf(finalMetrics, 'libp2p_tracker_internal_errors_total')
  child.kill('SIGTERM')

  const half = samples.slice(Math.floor(samples.length / 2))
  const slopeMiBPerHour = slope(half.map(s => [s.atS / 3600, s.rssMiB] as const))
  const heapSlopeMiBPerHour = slope(half.filter(s => Number.isFinite(s.heapMiB)).map(s => [s.atS / 3600, s.heapMiB] as const))
  // The heap is a GC sawtooth: its floor (lowest sample per minute, after garbage collection)
  // is what a leak raises. Slope of the per-minute floors, after the first minute of warm-up.
  const floors: Array<readonly [number, number]> = []
  for (let minute = 1; minute * 60 < (samples.at(-1)?.atS ?? 0); minute++) {
    const window = samples.filter(s => s.atS >= minute * 60 && s.atS < (minute + 1) * 60 && Number.isFinite(s.heapMiB))
    if (window.length > 0) floors.push([minute, Math.min(...window.map(s => s.heapMiB))])
  }
  const floorSlopeMiBPerHour = slope(floors.map(([m, v]) => [m / 60, v] as const))
  const violations = samples.filter(s => !s.ok || s.balance !== s.connected).length
  const r = result as unknown as { latency: Record<string, number>, requests: { total: number, average: number }, errors: number, timeouts: number, non2xx: number }
  const m = machine()
  const rssPoints = samples.filter((_, i) => i % Math.max(1, Math.floor(samples.length / 12)) === 0)
  const lines = [
    `Command: \`npm run soak -- --minutes ${args.minutes} --peers ${args.peers} --scrapers ${args.scrapers}\` on ${m.cores} cores (${m.cpu}), Node ${m.node}, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    `Churn: ${args.peers} real libp2p peers (TCP, Noise, yamux) dialling the built CLI, ${sessions} sessions, ${churnErrors} failed dials; ${args.scrapers} autocannon connections scraping /metrics (gzip) without pause.`,
    '',
    '| measure | value |',
    '|---|---|',
    `| scrapes served | ${r.requests.total} (${Math.round(r.requests.average)}/s) |`,
    `| scrape latency p50 / p90 / p99 / max | ${r.latency.p50} / ${r.latency.p90} / ${r.latency.p99} / ${r.latency.max} ms |`,
    `| scrape errors / timeouts / non-2xx | ${r.errors} / ${r.timeouts} / ${r.non2xx} |`,
    `| RSS first / last / max sample | ${samples[0]?.rssMiB.toFixed(1)} / ${samples.at(-1)?.rssMiB.toFixed(1)} / ${Math.max(...samples.map(s => s.rssMiB)).toFixed(1)} MiB |`,
    `| RSS slope, second half (least squares) | ${slopeMiBPerHour.toFixed(1)} MiB/hour |`,
    `| V8 heap used first / last / max sample | ${samples[0]?.heapMiB.toFixed(1)} / ${samples.at(-1)?.heapMiB.toFixed(1)} / ${Math.max(...samples.map(s => s.heapMiB).filter(Number.isFinite)).toFixed(1)} MiB |`,
    `| V8 heap used slope, second half (raw samples, GC sawtooth) | ${heapSlopeMiBPerHour.toFixed(1)} MiB/hour |`,
    `| V8 heap floor per minute (min sample) | ${floors.map(([, v]) => v.toFixed(1)).join(', ')} MiB |`,
    `| V8 heap floor slope after warm-up (leak indicator) | ${floorSlopeMiBPerHour.toFixed(1)} MiB/hour |`,
    `| invariant connects - disconnects == connected | held at ${samples.length - violations} of ${samples.length} sampled scrapes |`,
    `| after churn stopped | connected ${final.connected}, connects - disconnects ${final.balance} |`,
    `| libp2p_tracker_internal_errors_total | ${internalErrors} |`,
    '',
    `RSS over time (s: MiB): ${rssPoints.map(s => `${Math.round(s.atS)}: ${s.rssMiB.toFixed(1)}`).join(', ')}.`,
    '',
    `Heap used over time (s: MiB): ${rssPoints.map(s => `${Math.round(s.atS)}: ${s.heapMiB.toFixed(1)}`).join(', ')}.`,
    '',
    'RSS of a V8 process grows until the heap reaches its working size; a slope that stays positive over a longer run is a leak.',
    'libp2p\'s own peer store keeps a record of every peer seen, expiring it 6 h after the peer was last seen (MAX_PEER_AGE), so its size follows the rate of new peer IDs.'
  ]
  const report = lines.join('\n')
  process.stdout.write(`${report}\n`)

  writeSection('soak', `## Soak\n\n${report}`)
  process.exitCode = violations === 0 && final.connected === 0 && final.balance === 0 && r.errors === 0 ? 0 : 1
}

await main()
