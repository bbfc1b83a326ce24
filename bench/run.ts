/**
 * `npm run bench` (`-- --quick` for a shorter run): runs B1..B8, prints the table and writes
 * BENCHMARKS.md with the machine and the date. Each figure is the median of several runs;
 * comparisons are measured side by side in the same run.
 */
import '../src/runtime/node-shims.js'
import { spawn } from 'node:child_process'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { eventsPerSecondDirect, eventsPerSecondViaAdapter } from './b1-events.js'
import { b2, b2b } from './b2-metrics-http.js'
import { hold } from './b4-real-peers.js'
import { churn } from './b5-churn.js'
import { b7, b7Section } from './b7-peer-view.js'
import { b8, b8Row } from './b8-restart.js'
import { writeSection } from './benchmarks-file.js'
import { fmt, machine, median } from './stats.js'
import type { B2Result, B2bResult } from './b2-metrics-http.js'
import type { HoldResult } from './b4-real-peers.js'
import type { ChurnResult } from './b5-churn.js'

const quick = process.argv.includes('--quick')
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const P = quick
  ? { b1Runs: 3, b1Ms: 500, b2Runs: 1, b2Requests: 50, b2bRuns: 2, b3Runs: 1, b4Peers: 200, b4HoldMs: 10_000, b5Sessions: 2000, b5Peers: 300, b8Peers: 30, b8Runs: 1, b8LimitMs: 20_000 }
  : { b1Runs: 5, b1Ms: 1000, b2Runs: 3, b2Requests: 100, b2bRuns: 3, b3Runs: 3, b4Peers: 1000, b4HoldMs: 60_000, b5Sessions: 10_000, b5Peers: 600, b8Peers: 100, b8Runs: 3, b8LimitMs: 60_000 }

function log (text: string): void { process.stderr.write(`bench: ${text}\n`) }

async function b3Child (peers: number): Promise<number> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(new URL('./b3-heap-child.ts', import.meta.url)), String(peers)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (c: Buffer) => { out += c.toString() })
  await new Promise(resolve => child.once('exit', resolve))
  return (JSON.parse(out) as { bytesPerPeer: number }).bytesPerPeer
}

interface Row { id: string, what: string, goal: string, measured: string, met: string }

async function main (): Promise<void> {
  const started = new Date()
  const m = machine()
  log(`${quick ? 'quick' : 'full'} run on ${m.cores} x ${m.cpu}, Node ${m.node}`)

  log('B1 events through PeerTracker + TrackerCollector')
  const b1Direct: number[] = []
  const b1Adapter: number[] = []
  for (let i = 0; i < P.b1Runs; i++) {
    b1Direct.push(eventsPerSecondDirect(P.b1Ms))
    b1Adapter.push(eventsPerSecondViaAdapter(P.b1Ms))
  }
  const b1 = { direct: median(b1Direct), adapter: median(b1Adapter) }

  log('B2 /metrics over HTTP, default cap')
  const b2Results: B2Result[] = []
  for (const peers of [1000, 10_000, 50_000]) b2Results.push(await b2(peers, P.b2Runs, peers === 50_000 ? Math.ceil(P.b2Requests / 2) : P.b2Requests))

  log('B2b cap lifted vs prom-client')
  const b2bResult: B2bResult = await b2b(10_000, P.b2bRuns, 30)

  log('B3 heap per tracked peer (child process, --expose-gc)')
  const b3Runs: number[] = []
  for (let i = 0; i < P.b3Runs; i++) b3Runs.push(await b3Child(100_000))
  const b3 = median(b3Runs)

  log(`B4/B6 ${P.b4Peers} real peers held ${P.b4HoldMs / 1000} s by: plain node, tracker, node + @libp2p/prometheus-metrics`)
  const holds: Record<string, HoldResult> = {}
  for (const subject of ['plain', 'tracker', 'prom'] as const) {
    log(`  ${subject}`)
    holds[subject] = await hold(subject, P.b4Peers, P.b4HoldMs, 'bench-b4')
  }

  log(`B5 ${P.b5Sessions} sessions of churn`)
  const b5: ChurnResult = await churn(P.b5Sessions, P.b5Peers, 'bench-b5')

  log(`B8 restart of the built CLI with ${P.b8Peers} peers known only from earlier sessions, with and without --storage.path`)
  const b8Result = await b8(P.b8Peers, P.b8Runs, P.b8LimitMs)

  const plain = holds.plain as HoldResult
  const tracker = holds.tracker as HoldResult
  const prom = holds.prom as HoldResult
  const b2At10k = b2Results.find(r => r.peers === 10_000) as B2Result
  const b2bRatio = b2bResult.oursP50Ms / b2bResult.promClientP50Ms
  const cpuRatio = tracker.holdCpuCores / plain.holdCpuCores
  const rssRatio = tracker.rssMiB / plain.rssMiB
  const allCounted = tracker.heldAtEnd === tracker.peers && tracker.exactScrapes === tracker.scrapes
  const yes = (ok: boolean): string => ok ? 'yes' : '**no**'

  const rows: Row[] = [
    { id: 'B1', what: 'connection events/s through PeerTracker + TrackerCollector (10k connected, churn, a scrape per 100k events)', goal: '>= 1,000,000/s on one core', measured: `${fmt(b1.direct)}/s direct; ${fmt(b1.adapter)}/s through attachTracker with libp2p-shaped events`, met: yes(b1.direct >= 1_000_000) },
    ...b2Results.map(r => ({ id: 'B2', what: `/metrics over HTTP, ${fmt(r.peers)} peers, cap 500, process metrics on`, goal: r.peers === 10_000 ? 'p50 <= 5 ms; size bounded' : 'size bounded', measured: `p50 ${fmt(r.p50Ms, 2)} ms, ${fmt(r.bytes / 1024, 1)} KiB`, met: r.peers === 10_000 ? yes(r.p50Ms <= 5) : yes(r.bytes < 2 * (b2Results[0]?.bytes ?? 0)) })),
    { id: 'B2b', what: `/metrics over HTTP, all ${fmt(b2bResult.peers)} peers exported, vs prom-client Gauge (same series, same express stack)`, goal: '<= 1.3x prom-client', measured: `${fmt(b2bResult.oursP50Ms, 2)} ms vs ${fmt(b2bResult.promClientP50Ms, 2)} ms = ${fmt(b2bRatio, 2)}x (render only: ${fmt(b2bResult.oursRenderMs, 2)} vs ${fmt(b2bResult.promClientRenderMs, 2)} ms; ${fmt(b2bResult.oursBytes / 1024)} vs ${fmt(b2bResult.promClientBytes / 1024)} KiB)`, met: yes(b2bRatio <= 1.3) },
    { id: 'B3', what: 'heap per tracked peer at 100k synthetic peers (incl. the peer ID and address strings kept)', goal: '<= 1 KiB/peer', measured: `${fmt(b3)} bytes/peer`, met: yes(b3 <= 1024) },
    { id: 'B4', what: `${fmt(tracker.peers)} real peers (swarm in ${Math.max(1, Math.ceil(tracker.peers / 500))} other processes) held ${P.b4HoldMs / 1000} s on loopback`, goal: 'N = 1,000 held a minute, every one counted; CPU <= 1.05x, RSS <= 1.10x of the plain node', measured: `all connected in ${fmt(tracker.connectSeconds, 1)} s (plain ${fmt(plain.connectSeconds, 1)} s); ${tracker.heldAtEnd}/${tracker.peers} held, ${tracker.exactScrapes}/${tracker.scrapes} scrapes exact; CPU ${fmt(tracker.holdCpuCores * 100, 1)}% vs plain ${fmt(plain.holdCpuCores * 100, 1)}% of a core = ${fmt(cpuRatio, 2)}x; RSS ${fmt(tracker.rssMiB)} vs ${fmt(plain.rssMiB)} MiB = ${fmt(rssRatio, 2)}x; connect CPU ${fmt(tracker.connectCpuSeconds, 1)} vs ${fmt(plain.connectCpuSeconds, 1)} s`, met: `${yes(tracker.peers >= 1000 && allCounted)} / CPU ${yes(cpuRatio <= 1.05)} / RSS ${yes(rssRatio <= 1.1)}` },
    { id: 'B5', what: `accuracy under churn: ${fmt(b5.sessionsTarget)} sessions (${P.b5Peers} peers, 2 shard processes)`, goal: 'totals == ground truth; invariant at every scrape', measured: `${fmt(b5.sessionsOpened)} opened / ${fmt(b5.sessionsClosed)} closed by the peers; tracker ${fmt(b5.trackerConnects)} / ${fmt(b5.trackerDisconnects)}; ${b5.violations} violations in ${b5.scrapes} scrapes; ${fmt(b5.seconds)} s (${fmt(b5.sessionsOpened / b5.seconds)} sessions/s)`, met: yes(b5.exact && b5.violations === 0) },
    { id: 'B6', what: `anchor: the same ${fmt(prom.peers)} peers held by a js-libp2p node with @libp2p/prometheus-metrics`, goal: 'report beside ours', measured: `its /metrics p50 ${fmt(prom.metricsP50Ms, 2)} ms, ${fmt(prom.metricsBytes / 1024, 1)} KiB; ours ${fmt(tracker.metricsP50Ms, 2)} ms, ${fmt(tracker.metricsBytes / 1024, 1)} KiB (${fmt(tracker.metricsP50Ms / prom.metricsP50Ms, 2)}x time); its RSS ${fmt(prom.rssMiB)} MiB, CPU ${fmt(prom.holdCpuCores * 100, 1)}%`, met: 'reported' }
  ]

  rows.push(b8Row(b8Result))
  const table = ['| # | what | goal | measured | met |', '|---|---|---|---|---|', ...rows.map(r => `| ${r.id} | ${r.what} | ${r.goal} | ${r.measured} | ${r.met} |`)].join('\n')
  process.stdout.write(`\n${table}\n`)
  const doc = report(started, m, table, { b1, b2Results, b2bResult, b3, b3Runs, plain, tracker, prom, b5, b8: b8Result })
  writeSection('bench', doc)
  log('B7 the peer view\'s JSON at 5,000 peers (its own section of BENCHMARKS.md)')
  const b7Started = new Date()
  const b7Machine = machine()
  writeSection('peer-view', b7Section(await b7(5000, quick ? 50 : 200), b7Started, quick, b7Machine))
  log('wrote BENCHMARKS.md')
  process.exit(0)
}

function report (started: Date, m: ReturnType<typeof machine>, table: string, r: Record<string, unknown>): string {
  return `## Latest run

Generated by \`npm run bench${quick ? ' -- --quick' : ''}\` (bench/run.ts) on ${started.toISOString().slice(0, 10)}; every row is from that run.

- Machine: ${m.cores} cores, ${m.cpu}, ${m.memoryGiB} GiB RAM, ${m.platform}
- Node.js ${m.node}
- Load: 1-minute load average ${m.loadAverage} at the start and ${Math.round((loadavg()[0] ?? 0) * 100) / 100} at the end (the machine is shared; on ${m.cores} cores a load above ${m.cores} means the bench competed for CPU)
- Mode: ${quick ? 'quick (fewer runs, smaller N: figures are indicative only)' : 'full'}

${table}

### How each figure is made

- **B1**: \`bench/b1-events.ts\`. 10,000 connected synthetic peers; each step closes the oldest connection and opens a new one (two events), calling the real \`PeerTracker\`; \`TrackerCollector\` renders a scrape every 100,000 events. Median of ${P.b1Runs} runs of ${P.b1Ms} ms. The second figure sends the same events as \`CustomEvent\`s through \`attachTracker\` (src/p2p/tracker-adapter.ts), as libp2p delivers them; the difference is EventTarget dispatch and the adapter's label mapping.
- **B2**: \`bench/b2-metrics-http.ts\`. The project's express app (src/http/server.ts) with the tracker's scraper (default cap 500, process metrics on), sequential keep-alive GETs without Accept-Encoding from the same process; p50 of ${P.b2Requests} requests after a warm-up, median of ${P.b2Runs} runs. The body stays ~100 KiB from 1k to 50k peers: the per-peer family stops at the cap and the rest are fixed label sets.
- **B2b**: the same app with the cap set to every peer (process metrics off) against prom-client 15 (a \`Registry\` with one \`Gauge{peer_id}\` holding the same 10,000 series, \`registry.metrics()\`), served by the same express stack, alternating run by run (median of ${P.b2bRuns}). Render-only times (no HTTP) are given beside.
- **B3**: \`bench/b3-heap-child.ts\` in its own process with \`--expose-gc\`: heapUsed after opening 100,000 connections from distinct peers minus before, after forced GCs; includes the peer ID (52 chars), remote address and connection id strings the tracker keeps. Median of ${P.b3Runs} processes.
- **B4**: \`bench/b4-real-peers.ts\` + \`bench/node-child.ts\`. The subject is its own process; the swarm's ${P.b4Peers} long-lived peers dial it from ${Math.max(1, Math.ceil(P.b4Peers / 500))} shard process(es) at 200 dials/s. Subjects one after another in the same run: *plain* is \`createTrackerNode\` (src/p2p/node.ts) with nothing attached, *tracker* is \`startTracker\` (src/app.ts: node, tracker, HTTP, process metrics), scraped every 5 s during the hold. CPU from /proc (utime+stime) over the hold, RSS the median of 1 s samples. Connect time is until every peer reports the connection open.
- **B5**: \`bench/b5-churn.ts\`. The tracker (\`startTracker\`) in the bench process, the swarm (${P.b5Peers} peers: 10% listeners dialled by the tracker as bootstrap peers, 20% flappers, 5% long-lived, heavy-tailed churners, time scale 0.025) in 2 shard processes; /metrics scraped every second; the run ends when the peers have opened ${fmt(P.b5Sessions)} sessions, then every peer hangs up.
- **B8**: \`bench/b8-restart.ts\`. ${P.b8Peers} listening js-libp2p peers on 127.0.0.1 dial the built CLI (identity kept with \`--p2p.identity-file\`, no bootstrap peers, DHT off); once all are counted the tracker is stopped with SIGTERM and started again, ${P.b8Runs} time(s) with \`--storage.path\` and as many without; the time runs from the new process's spawn (Node start-up included) until \`libp2p_tracker_connected_peers\` reaches 90 % of them, scraped every 100 ms, within ${P.b8LimitMs / 1000} s. Without the store the tracker knows no peer to dial and these peers do not dial it again (docs/storage.md).
- **B6**: the B4 setup with a third subject: the same libp2p node with \`metrics: prometheusMetrics()\` and prom-client's global registry served over plain node:http. It exports connection counts by direction and protocol internals, but no unique-peer gauge, no session durations and no per-peer series; ours answers those. p50 of 20 GETs after the hold, both asked for \`Accept-Encoding: identity\` (ours would gzip otherwise, as Prometheus asks it to; the anchor never compresses). Ours includes the prom-client process metrics, as shipped.

### Raw figures

\`\`\`json
${JSON.stringify(r, null, 2)}
\`\`\`
`
}

await main()
