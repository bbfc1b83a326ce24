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
import { compareB4 } from './b4-compare.js'
import { hold } from './b4-real-peers.js'
import { churn } from './b5-churn.js'
import { b7, b7Section } from './b7-peer-view.js'
import { b8, b8Row } from './b8-restart.js'
import { b9, b9Rows } from './b9-poll.js'
import { writeSection } from './benchmarks-file.js'
import { fmt, machine, median } from './stats.js'
import type { B2Result, B2bResult } from './b2-metrics-http.js'
import type { B4Comparison, Compared } from './b4-compare.js'
import type { HoldResult } from './b4-real-peers.js'
import type { ChurnResult } from './b5-churn.js'

const quick = process.argv.includes('--quick')
/** `-- --b4-5000`: B4 also at 5,000 peers (10 swarm processes at 40 dials/s). Needs more than 2 cores: on 2 vCPUs the plain node stalled near 3,000 peers (BENCHMARKS.md). */
const b4At5000 = process.argv.includes('--b4-5000')
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const P = quick
  ? { b1Runs: 3, b1Ms: 500, b2Runs: 1, b2Requests: 50, b2bRuns: 2, b3Runs: 1, b4Peers: 200, b4HoldMs: 10_000, b4Runs: 1, b5Sessions: 2000, b5Peers: 300, b8Peers: 30, b8Runs: 1, b8LimitMs: 20_000, b9Polls: 10 }
  : { b1Runs: 5, b1Ms: 1000, b2Runs: 3, b2Requests: 100, b2bRuns: 3, b3Runs: 3, b4Peers: 1000, b4HoldMs: 60_000, b4Runs: 3, b5Sessions: 10_000, b5Peers: 600, b8Peers: 100, b8Runs: 3, b8LimitMs: 60_000, b9Polls: 50 }

function log (text: string): void { process.stderr.write(`bench: ${text}\n`) }

async function b3Child (peers: number, mode: 'tracker' | 'insight' = 'tracker'): Promise<number> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(new URL('./b3-heap-child.ts', import.meta.url)), String(peers), mode], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (c: Buffer) => { out += c.toString() })
  await new Promise(resolve => child.once('exit', resolve))
  return (JSON.parse(out) as { bytesPerPeer: number }).bytesPerPeer
}

interface Row { id: string, what: string, goal: string, measured: string, met: string }

const range = (c: Compared, pick: 'plain' | 'tracker', digits: number, scale = 1): string =>
  `${fmt(c[pick].median * scale, digits)} (${fmt(c[pick].min * scale, digits)}-${fmt(c[pick].max * scale, digits)})`

/** B4's row: medians over the runs with their range, tracker / plain ratios against the goals. */
function b4Row (c: B4Comparison, totalGoal: number, connectGoal: number, rssGoal: number, yes: (ok: boolean) => string): Row {
  const t = c.tracker[0] as HoldResult
  return {
    id: 'B4',
    what: `${fmt(c.peers)} real peers (swarm in ${Math.max(1, Math.ceil(c.peers / 500))} other processes, ${c.dialRate} dials/s) held ${c.holdMs / 1000} s on loopback; plain node and tracker alternating, ${c.runs} runs each, median (min-max)`,
    goal: `all ${fmt(c.peers)} held, counted exactly at every scrape; CPU <= ${totalGoal}x connect + hold, <= ${connectGoal}x connect; RSS <= ${rssGoal}x of the plain node`,
    measured: `CPU connect + hold ${range(c.totalCpuSeconds, 'tracker', 1)} vs ${range(c.totalCpuSeconds, 'plain', 1)} s = ${fmt(c.totalCpuSeconds.ratio, 2)}x; ` +
      `connect ${range(c.connectCpuSeconds, 'tracker', 1)} vs ${range(c.connectCpuSeconds, 'plain', 1)} s = ${fmt(c.connectCpuSeconds.ratio, 2)}x; ` +
      `hold ${range(c.holdCpuCores, 'tracker', 1, 100)} vs ${range(c.holdCpuCores, 'plain', 1, 100)} % of a core = ${fmt(c.holdCpuCores.ratio, 2)}x; ` +
      `RSS ${range(c.rssMiB, 'tracker', 0)} vs ${range(c.rssMiB, 'plain', 0)} MiB = ${fmt(c.rssMiB.ratio, 2)}x; ` +
      `connected in ${fmt(c.connectSeconds.tracker.median, 1)} s (plain ${fmt(c.connectSeconds.plain.median, 1)} s); ${t.heldAtEnd}/${c.peers} held, ${t.exactScrapes}/${t.scrapes} scrapes exact (first run)`,
    met: `${yes(c.allCounted)} / CPU ${yes(c.totalCpuSeconds.ratio <= totalGoal && c.connectCpuSeconds.ratio <= connectGoal)} / RSS ${yes(c.rssMiB.ratio <= rssGoal)}`
  }
}

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
  const b3Insight: number[] = []
  for (let i = 0; i < P.b3Runs; i++) b3Insight.push(await b3Child(10_000, 'insight'))
  const b3InsightPerPeer = median(b3Insight)

  log(`B4 ${P.b4Peers} real peers held ${P.b4HoldMs / 1000} s: plain node and tracker alternating, ${P.b4Runs} runs each`)
  const b4 = await compareB4(P.b4Peers, P.b4HoldMs, P.b4Runs, { log })
  // 5,000 peers: paced at 40 dials/s. On 2 vCPUs the swarm's processes and the subject do not
  // fit (the plain node stalled near 3,000 peers at 200 and at 40 dials/s: its listen queue
  // full, handshakes refused and retried). A failure is reported in its row, not thrown, so
  // the rest of the run still lands.
  let b4Big: B4Comparison | undefined
  let b4BigError: string | undefined
  if (b4At5000) {
    try { b4Big = await compareB4(5000, P.b4HoldMs, P.b4Runs, { log, dialRate: 40, connectTimeoutMs: 900_000 }) } catch (err) { b4BigError = (err as Error).message; log(`B4 at 5,000 peers failed: ${b4BigError}`) }
  }
  log('B6 node + @libp2p/prometheus-metrics')
  const prom = await hold('prom', P.b4Peers, P.b4HoldMs, `bench-b4-${P.b4Peers}`)

  log(`B5 ${P.b5Sessions} sessions of churn`)
  const b5: ChurnResult = await churn(P.b5Sessions, P.b5Peers, 'bench-b5')

  log(`B8 restart of the built CLI with ${P.b8Peers} peers known only from earlier sessions, with and without --storage.path`)
  const b8Result = await b8(P.b8Peers, P.b8Runs, P.b8LimitMs)

  log(`B9 one poll of a watched node's API at 200 and 2,000 peers, ${P.b9Polls} polls each`)
  const b9Results = []
  for (const kind of ['beacon-api', 'kubo-rpc'] as const) {
    for (const peers of [200, 2000]) b9Results.push(await b9(kind, peers, P.b9Polls))
  }

  const tracker = b4.tracker[0] as HoldResult
  const b2At10k = b2Results.find(r => r.peers === 10_000) as B2Result
  const b2bRatio = b2bResult.oursP50Ms / b2bResult.promClientP50Ms
  const yes = (ok: boolean): string => ok ? 'yes' : '**no**'

  const rows: Row[] = [
    { id: 'B1', what: 'connection events/s through PeerTracker + TrackerCollector (10k connected, churn, a scrape per 100k events)', goal: '>= 1,000,000/s on one core', measured: `${fmt(b1.direct)}/s direct; ${fmt(b1.adapter)}/s through attachTracker with libp2p-shaped events`, met: yes(b1.direct >= 1_000_000) },
    ...b2Results.map(r => ({ id: 'B2', what: `/metrics over HTTP, ${fmt(r.peers)} peers, cap 500, process metrics on`, goal: r.peers === 10_000 ? 'p50 <= 5 ms; size bounded' : 'size bounded', measured: `p50 ${fmt(r.p50Ms, 2)} ms, ${fmt(r.bytes / 1024, 1)} KiB`, met: r.peers === 10_000 ? yes(r.p50Ms <= 5) : yes(r.bytes < 2 * (b2Results[0]?.bytes ?? 0)) })),
    { id: 'B2b', what: `/metrics over HTTP, all ${fmt(b2bResult.peers)} peers exported, vs prom-client Gauge (same series, same express stack)`, goal: '<= 1.3x prom-client', measured: `${fmt(b2bResult.oursP50Ms, 2)} ms vs ${fmt(b2bResult.promClientP50Ms, 2)} ms = ${fmt(b2bRatio, 2)}x (render only: ${fmt(b2bResult.oursRenderMs, 2)} vs ${fmt(b2bResult.promClientRenderMs, 2)} ms; ${fmt(b2bResult.oursBytes / 1024)} vs ${fmt(b2bResult.promClientBytes / 1024)} KiB)`, met: yes(b2bRatio <= 1.3) },
    { id: 'B3', what: 'heap per tracked peer at 100k synthetic peers (incl. the peer ID and address strings kept)', goal: '<= 1 KiB/peer', measured: `${fmt(b3)} bytes/peer`, met: yes(b3 <= 1024) },
    { id: 'B3i', what: 'heap per connected peer with peer insight and history at their defaults (10k peers, each identified: agent + 6 protocols, one RTT sample)', goal: 'reported', measured: `${fmt(b3InsightPerPeer)} bytes/peer (tracker + insight); fixed: the 1 MiB seen-peers Bloom filter`, met: 'reported' },
    ...[b4, ...(b4Big === undefined ? [] : [b4Big])].map(c => ({ id: 'B3p', what: `whole-process RSS per connected peer at ${fmt(c.peers)} real peers (tracker minus plain node, median RSS over the hold)`, goal: 'reported', measured: `${fmt((c.rssMiB.tracker.median - c.rssMiB.plain.median) * 2 ** 20 / c.peers / 1024, 1)} KiB/peer over the plain node; the tracker's process ${fmt(c.rssMiB.tracker.median * 2 ** 20 / c.peers / 1024, 1)} KiB/peer all in`, met: 'reported' })),
    b4Row(b4, 1.05, 1.05, 1.10, yes),
    ...(b4Big === undefined ? [] : [b4Row(b4Big, 1.03, 1.03, 1.05, yes)]),
    ...(b4BigError === undefined ? [] : [{ id: 'B4', what: '5,000 real peers (swarm in 10 other processes), plain node and tracker alternating', goal: 'all 5,000 held, counted exactly at every scrape; CPU <= 1.03x; RSS <= 1.05x', measured: `not measured: ${b4BigError}`, met: '**no**' }]),
    { id: 'B5', what: `accuracy under churn: ${fmt(b5.sessionsTarget)} sessions (${P.b5Peers} peers, 2 shard processes)`, goal: 'totals == ground truth; invariant at every scrape', measured: `${fmt(b5.sessionsOpened)} opened / ${fmt(b5.sessionsClosed)} closed by the peers; tracker ${fmt(b5.trackerConnects)} / ${fmt(b5.trackerDisconnects)}; ${b5.violations} violations in ${b5.scrapes} scrapes; ${fmt(b5.seconds)} s (${fmt(b5.sessionsOpened / b5.seconds)} sessions/s)`, met: yes(b5.exact && b5.violations === 0) },
    { id: 'B6', what: `anchor: the same ${fmt(prom.peers)} peers held by a js-libp2p node with @libp2p/prometheus-metrics`, goal: 'report beside ours', measured: `its /metrics p50 ${fmt(prom.metricsP50Ms, 2)} ms, ${fmt(prom.metricsBytes / 1024, 1)} KiB; ours ${fmt(tracker.metricsP50Ms, 2)} ms, ${fmt(tracker.metricsBytes / 1024, 1)} KiB (${fmt(tracker.metricsP50Ms / prom.metricsP50Ms, 2)}x time); its RSS ${fmt(prom.rssMiB)} MiB, CPU ${fmt(prom.holdCpuCores * 100, 1)}%`, met: 'reported' }
  ]

  rows.push(b8Row(b8Result))
  rows.push(...b9Rows(b9Results))
  const table = ['| # | what | goal | measured | met |', '|---|---|---|---|---|', ...rows.map(r => `| ${r.id} | ${r.what} | ${r.goal} | ${r.measured} | ${r.met} |`)].join('\n')
  process.stdout.write(`\n${table}\n`)
  const doc = report(started, m, table, { b1, b2Results, b2bResult, b3, b3Runs, b3Insight, b4, b4Big, b4BigError, prom, b5, b8: b8Result, b9: b9Results })
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

- **B1**: \`bench/b1-events.ts\`. 10,000 connected synthetic peers; each step closes the oldest connection and opens a new one (two events), calling the real \`PeerTracker\`; \`TrackerCollector\` renders a scrape every 100,000 events. Median of ${P.b1Runs} runs of ${P.b1Ms} ms. The second figure sends the same events as \`CustomEvent\`s through \`attachTracker\` (src/service/libp2p-events.ts), as libp2p delivers them; the difference is EventTarget dispatch and the adapter's label mapping.
- **B2**: \`bench/b2-metrics-http.ts\`. The project's express app (src/http/server.ts) with the tracker's scraper (default cap 500, process metrics on), sequential keep-alive GETs without Accept-Encoding from the same process; p50 of ${P.b2Requests} requests after a warm-up, median of ${P.b2Runs} runs. The body stays ~100 KiB from 1k to 50k peers: the per-peer family stops at the cap and the rest are fixed label sets.
- **B2b**: the same app with the cap set to every peer (process metrics off) against prom-client 15 (a \`Registry\` with one \`Gauge{peer_id}\` holding the same 10,000 series, \`registry.metrics()\`), served by the same express stack, alternating run by run (median of ${P.b2bRuns}). Render-only times (no HTTP) are given beside.
- **B3**: \`bench/b3-heap-child.ts\` in its own process with \`--expose-gc\`: heapUsed after opening 100,000 connections from distinct peers minus before, after forced GCs; includes the peer ID (52 chars), remote address and connection id strings the tracker keeps. Median of ${P.b3Runs} processes. *B3i*: the same with PeerInsight at its defaults observing the account (history of 10,000 peers x 10 sessions), at 10,000 peers, each identified (an agent string and 6 protocols decoded per peer) and given an RTT sample; the fixed part (the 1 MiB seen-peers Bloom filter, outside the V8 heap) is created before the baseline. *B3p*: B4's median RSS over the hold, tracker minus plain node, per connected peer.
- **B4**: \`bench/b4-compare.ts\` + \`bench/b4-real-peers.ts\` + \`bench/node-child.ts\`. The subject is its own process; the swarm's ${P.b4Peers} long-lived peers dial it from ${Math.max(1, Math.ceil(P.b4Peers / 500))} shard process(es) at 200 dials/s. *plain* is \`createTrackerNode\` (src/p2p/node.ts: the same TCP, Noise, yamux + mplex, identify, ping and connection manager settings as the tracker's node) with nothing attached; *tracker* is \`startTracker\` (src/app.ts: that node with the peerTracker service, HTTP, process metrics), scraped every 5 s during the hold. The subjects alternate (plain, tracker, then tracker, plain, ...), ${P.b4Runs} runs each; each figure is the median over the runs with its range (min-max), each ratio tracker median / plain median. The bench raises two inbound limits explicitly for both subjects, because the whole swarm dials from 127.0.0.1: \`--p2p.inbound-connection-threshold=100000\` (libp2p's default accepts 5 connections per second per IP) and \`--p2p.max-incoming-pending-connections=200\`; the swarm is paced at 200 dials/s under them. CPU from /proc (utime+stime): *connect* from the first dial until every peer reports its connection open, *hold* over the hold window, *connect + hold* from the first dial to the end of the hold (including 3 s for identify to settle). RSS is the median of 1 s samples over the hold. \`-- --b4-5000\` adds the same comparison at 5,000 peers (10 swarm processes, paced at 40 dials/s; on 2 vCPUs it does not connect, see \"The tracker's cost on a quiet machine\"). \`tsx bench/b4-compare.ts --peers N --runs R --hold-s S --dial-rate D\` runs B4 alone; \`tsx bench/b4-profile.ts\` profiles the subjects (see "Where the tracker's cost goes").
- **B5**: \`bench/b5-churn.ts\`. The tracker (\`startTracker\`) in the bench process, the swarm (${P.b5Peers} peers: 10% listeners dialled by the tracker as bootstrap peers, 20% flappers, 5% long-lived, heavy-tailed churners, time scale 0.025) in 2 shard processes; /metrics scraped every second; the run ends when the peers have opened ${fmt(P.b5Sessions)} sessions, then every peer hangs up.
- **B8**: \`bench/b8-restart.ts\`. ${P.b8Peers} listening js-libp2p peers on 127.0.0.1 dial the built CLI (identity kept with \`--p2p.identity-file\`, no bootstrap peers, DHT off); once all are counted the tracker is stopped with SIGTERM and started again, ${P.b8Runs} time(s) with \`--storage.path\` and as many without; the time runs from the new process's spawn (Node start-up included) until \`libp2p_tracker_connected_peers\` reaches 90 % of them, scraped every 100 ms, within ${P.b8LimitMs / 1000} s. Without the store the tracker knows no peer to dial and these peers do not dial it again (docs/storage.md).
- **B9**: \`bench/b9-poll.ts\`. A stand-in of the watched node's API (\`bench/b9-poll-server.ts\`, in its own process so rendering its JSON is not counted): Lodestar's \`/eth/v1/lodestar/peers\` or Kubo's \`swarm/peers\` with identify (a tenth of the peers with two connections), 1 % of the peers replaced every 100 ms. The \`PollingTracker\` (src/sources) polls it back to back, ${P.b9Polls} times after 5 warm-up polls: identity, then the peers, diffed into the account. ms per poll is the median wall time (the stand-in's rendering included), bytes the two answers, CPU this process's user + system time per poll; the share of a core is that CPU over the default 5 s interval. \`tsx bench/b9-poll.ts [polls]\` runs it alone.
- **B6**: the B4 setup with a third subject: the same libp2p node with \`metrics: prometheusMetrics()\` and prom-client's global registry served over plain node:http. It exports connection counts by direction and protocol internals, but no unique-peer gauge, no session durations and no per-peer series; ours answers those. p50 of 20 GETs after the hold, both asked for \`Accept-Encoding: identity\` (ours would gzip otherwise, as Prometheus asks it to; the anchor never compresses). Ours includes the prom-client process metrics, as shipped.

### Raw figures

\`\`\`json
${JSON.stringify(r, null, 2)}
\`\`\`
`
}

await main()
