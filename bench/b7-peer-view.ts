/**
 * B7: what the peer view costs the tracker per request at 5,000 connected peers. The real
 * express app (src/http/server.ts with the peer view's router) over real HTTP, a pure
 * PeerAccount + PeerInsight holding synthetic peers (identified, with RTT samples), and a full
 * hour of history (720 samples). Sequential keep-alive GETs without Accept-Encoding; p50 and
 * p95 of N requests after a warm-up, per endpoint; the page's refresh (overview + new history
 * samples + one table page) beside /api/v1/peers with every peer, which the page never asks for.
 *
 *   npx tsx bench/b7-peer-view.ts [--quick]   (also run by `npm run bench`)
 */
import '../src/runtime/node-shims.js'
import { Agent, request } from 'node:http'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { insightPeersView } from '../src/insight/peer-views.js'
import { PeerCountHistory } from '../src/http/peer-view/peer-count-history.js'
import { peerViewRouter } from '../src/http/peer-view/routes.js'
import { createHttpApp, listen } from '../src/http/server.js'
import { PeerInsight } from '../src/insight/peer-insight.js'
import { createLogger } from '../src/log.js'
import { PeerAccount } from '../src/tracker/peer-account.js'
import { writeSection } from './benchmarks-file.js'
import { fmt, machine, median, percentile } from './stats.js'
import type { Machine } from './stats.js'
import { syntheticConnection } from './synthetic.js'
import type { Server } from 'node:http'

const AGENTS = ['kubo/0.29.0/3f0947b', 'go-libp2p/0.36.1', 'lighthouse/v5.3.0-5c63d0a/x86_64-linux', 'js-libp2p/2.2.3 UserAgent=v20.19.0', 'rust-libp2p/0.54.1', 'lodestar/v1.22.0/4b6c7d4']
const PROTOCOLS = ['/ipfs/id/1.0.0', '/ipfs/ping/1.0.0', '/ipfs/kad/1.0.0', '/meshsub/1.1.0', '/ipfs/bitswap/1.2.0']

export interface EndpointCost { path: string, what: string, p50Ms: number, p95Ms: number, bytes: number }
export interface B7Result { peers: number, requests: number, endpoints: EndpointCost[], refreshP50Ms: number, refreshBytes: number }

/** A tracker with `peers` identified peers (one RTT sample each) and an hour of history. */
function setUp (peers: number): { tracker: PeerAccount, insight: PeerInsight, history: PeerCountHistory } {
  let t = Date.now() - peers * 10 - 3_600_000
  const insight = new PeerInsight()
  const tracker = new PeerAccount({ now: () => t }, [], insight)
  for (let i = 0; i < peers; i++) {
    const session = tracker.connectionOpened(syntheticConnection(i))
    tracker.peerIdentified(syntheticConnection(i).peerId, AGENTS[i % AGENTS.length], PROTOCOLS)
    if (session !== undefined) insight.rttSampled(session, 5 + (i % 300))
    t += 10
  }
  const history = new PeerCountHistory({ capacity: 720, intervalMs: 5000, clock: { now: () => t } })
  for (let i = 0; i < 720; i++) {
    history.record({ peers: tracker.connectedPeers, opened: i * 3, closed: i * 3 })
    t += 5000
  }
  t = Date.now()
  return { tracker, insight, history }
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 })

async function timedGet (port: number, path: string): Promise<{ ms: number, bytes: number, status: number }> {
  const start = performance.now()
  return await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, res => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => { bytes += chunk.length })
      res.on('end', () => { resolve({ ms: performance.now() - start, bytes, status: res.statusCode ?? 0 }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

async function cost (port: number, path: string, what: string, requests: number): Promise<EndpointCost> {
  for (let i = 0; i < Math.max(20, requests / 5); i++) await timedGet(port, path)
  const times: number[] = []
  let bytes = 0
  for (let i = 0; i < requests; i++) {
    const r = await timedGet(port, path)
    if (r.status !== 200) throw new Error(`${path} answered ${r.status}`)
    times.push(r.ms)
    bytes = r.bytes
  }
  return { path, what, p50Ms: median(times), p95Ms: percentile(times, 0.95), bytes }
}

export async function b7 (peers: number, requests: number): Promise<B7Result> {
  const { tracker, insight, history } = setUp(peers)
  const account = { tracker, insight, monitorRtts: () => () => undefined }
  const app = createHttpApp({
    telemetryPath: '/metrics',
    scraper: undefined as never,
    log: createLogger({ level: 'fatal', format: 'json' }),
    isReady: () => true,
    landing: () => ({ name: 'bench', version: 'bench', peerId: 'bench', telemetryPath: '/metrics' }),
    status: () => { throw new Error('not used') },
    peers: (query) => insightPeersView(tracker, insight, () => undefined, query),
    peerView: peerViewRouter({ account, history, peerApiEnabled: true, page: () => ({ name: 'bench', version: 'bench', peerId: 'bench', telemetryPath: '/metrics' }) })
  })
  const server: Server = await listen(app, '127.0.0.1', 0)
  const port = (server.address() as { port: number }).port
  const series = history.series()
  const lastButOne = series.t[series.t.length - 2] as number
  const endpoints: EndpointCost[] = []
  const measure = async (path: string, what: string, n = requests): Promise<EndpointCost> => {
    const c = await cost(port, path, what, n)
    endpoints.push(c)
    return c
  }
  const overview = await measure('/api/v1/overview', 'overview (counts, agent families, dial errors)')
  const newSamples = await measure(`/api/v1/history?since=${lastButOne}`, 'history, one new sample (what the page asks every refresh)')
  await measure('/api/v1/history', 'history, the whole hour (720 samples; the page\'s first load)')
  const table = await measure('/api/v1/peer-table', 'table page: 50 rows, sorted by session age (the default)')
  await measure('/api/v1/peer-table?sort=rtt', 'table page: 50 rows sorted by RTT')
  await measure('/api/v1/peer-table?sort=agent&filter=kubo', 'table page: filtered on "kubo" (1 in 6), sorted by agent')
  await measure('/api/v1/peer-table?sort=peerId&offset=4950', 'table page: the last 50 by peer ID')
  await measure('/api/v1/peers', 'reference: /api/v1/peers, every peer (the page never asks for it)', Math.max(10, Math.floor(requests / 5)))
  server.closeAllConnections()
  await new Promise(resolve => server.close(resolve))
  return {
    peers,
    requests,
    endpoints,
    refreshP50Ms: overview.p50Ms + newSamples.p50Ms + table.p50Ms,
    refreshBytes: overview.bytes + newSamples.bytes + table.bytes
  }
}

/** `m`: the machine as it was when the run started (its load average then). */
export function b7Section (r: B7Result, started: Date, quick: boolean, m: Machine = machine()): string {
  const rows = r.endpoints.map(e => `| \`${e.path}\` | ${e.what} | ${fmt(e.p50Ms, 2)} | ${fmt(e.p95Ms, 2)} | ${fmt(e.bytes / 1024, 1)} |`)
  return `## Peer view (B7)

Generated by bench/b7-peer-view.ts (\`npm run bench${quick ? ' -- --quick' : ''}\`, or alone: \`npx tsx bench/b7-peer-view.ts${quick ? ' --quick' : ''}\`) on ${started.toISOString().slice(0, 10)} (${m.cores} cores, ${m.cpu}, Node ${m.node}; 1-minute load average ${m.loadAverage} at the start, ${Math.round((loadavg()[0] ?? 0) * 100) / 100} at the end${Math.max(m.loadAverage, loadavg()[0] ?? 0) > m.cores ? `: above ${m.cores}, the bench shared the CPU with other work, which shows most in the p95s` : ''}).

| # | what | goal | measured | met |
|---|---|---|---|---|
| B7 | the peer view's refresh at ${fmt(r.peers)} connected peers: overview + new history samples + one table page of 50 | bounded size whatever the peer count; cheap per request | ${fmt(r.refreshP50Ms, 2)} ms (sum of the p50s), ${fmt(r.refreshBytes / 1024, 1)} KiB every 5 s; \`/api/v1/peers\` with every peer would be ${fmt((r.endpoints.at(-1)?.bytes ?? NaN) / 1024, 0)} KiB | ${r.refreshBytes < 64 * 1024 ? 'yes' : '**no**'} |

Per endpoint (${r.requests} sequential keep-alive GETs after a warm-up, no compression; the tracker's own express app, in process):

| path | what | p50 ms | p95 ms | KiB |
|---|---|---|---|---|
${rows.join('\n')}

How it is made: \`bench/b7-peer-view.ts\`. A pure \`PeerAccount\` + \`PeerInsight\` with ${fmt(r.peers)} synthetic peers (identified with one of 6 agents, 5 protocols, one RTT sample each) and a full hour of history (720 samples); the routes of src/http/peer-view/routes.ts mounted in src/http/server.ts. Each request computes its answer from the tracker's account: the overview is independent of the peer count; a table page sorts the (filtered) connected peers, O(n log n), and builds rows for its 50 only.`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick')
  const started = new Date()
  const m = machine()
  const result = await b7(5000, quick ? 50 : 200)
  const section = b7Section(result, started, quick, m)
  process.stdout.write(`${section}\n`)
  writeSection('peer-view', section)
  process.exit(0)
}
