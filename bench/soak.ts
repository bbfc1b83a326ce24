/**
 * Soak: `npm run soak -- --minutes N [--peers P] [--scrapers C] [--identity-pool K]
 *   [--heap-bound MiB/h] [--sample-interval S] [--tracker-flag=--FLAG=VALUE ...]`
 * (--tracker-flag passes one flag to the tracker, e.g. --tracker-flag=--p2p.peer-store-max-age=2m;
 * repeat for several).
 *
 * Runs bench/soak-run.ts for N minutes: the built CLI under churn from P real libp2p peers
 * (identities from a fixed pool of K, default 2P, so libp2p's peer store and the tracker's
 * history settle; K = 0: a new identity at each switch) and C autocannon connections
 * scraping /metrics. Every S seconds (default 5) it forces a full GC in the tracker through
 * its inspector and reads the heap, then checks one scrape for
 * connects - disconnects == connected.
 *
 * Reports scrape latency percentiles, errors, the invariant, the post-GC heap over time and
 * its least-squares slope over the second half, the tracker's per-peer state, and RSS; writes
 * the "Soak" section of BENCHMARKS.md (between <!-- soak:start --> and <!-- soak:end -->).
 * Exit code 1 if a scrape failed, the invariant broke, peers were left counted after churn,
 * an internal error was counted, or the post-GC heap grew faster than the bound.
 */
import { writeSection } from './benchmarks-file.js'
import { invariantViolations, retainedMiB, retainedSlope, runSoak, secondHalf } from './soak-run.js'
import { fmt, machine } from './stats.js'
import type { SoakResult } from './soak-run.js'

/**
 * The leak bound on post-GC retained memory (V8 heap used + external), in MiB per hour. At
 * the soak's default churn (~10 sessions/s, ~36,000 an hour) and scrape rate (hundreds per
 * second), 5 MiB/h is ~150 bytes retained per session, or a few bytes per scrape: one leaked
 * record per session (a Map entry keyed by a peer ID string is more than that) or a leaked
 * string per scrape exceeds it. A 10-minute run resolves it: the slope's standard error over
 * its second half is about 1 MiB/h.
 */
const DEFAULT_HEAP_BOUND_MIB_PER_HOUR = 5
/**
 * Post-GC memory rises for the first two minutes or so while V8 compiles and caches fill
 * (by ~5 MiB here), then flattens: the slope is judged only when the second half starts
 * after that.
 */
const WARM_UP_S = 120

interface SoakArgs { minutes: number, peers: number, scrapers: number, identityPool: number | undefined, heapBound: number, sampleIntervalS: number, trackerFlags: string[] }

class UsageError extends Error {}

function parseSoakArgs (argv: readonly string[]): SoakArgs {
  const args: SoakArgs = { minutes: 1, peers: 20, scrapers: 4, identityPool: undefined, heapBound: DEFAULT_HEAP_BOUND_MIB_PER_HOUR, sampleIntervalS: 5, trackerFlags: [] }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const eq = arg.indexOf('=')
    const key = eq < 0 ? arg : arg.slice(0, eq)
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1)
    if (key === '--tracker-flag') {
      if (value === undefined || !value.startsWith('--')) throw new UsageError(`--tracker-flag: "${value ?? ''}" is not a tracker flag (for example --tracker-flag=--p2p.peer-store-max-age=2m)`)
      args.trackerFlags.push(value)
      continue
    }
    const n = Number(value)
    const zeroAllowed = key === '--identity-pool'
    if (value === undefined || value === '' || !Number.isFinite(n) || n < 0 || (n === 0 && !zeroAllowed)) {
      throw new UsageError(`${key}: "${value ?? ''}" is not a ${zeroAllowed ? 'number >= 0' : 'positive number'}`)
    }
    if (key === '--minutes') args.minutes = n
    else if (key === '--peers') args.peers = Math.round(n)
    else if (key === '--scrapers') args.scrapers = Math.round(n)
    else if (key === '--identity-pool') args.identityPool = Math.round(n)
    else if (key === '--heap-bound') args.heapBound = n
    else if (key === '--sample-interval') args.sampleIntervalS = n
    else throw new UsageError(`unknown option ${key} (known: --minutes, --peers, --scrapers, --identity-pool, --heap-bound, --sample-interval, --tracker-flag)`)
  }
  const pool = args.identityPool
  if (pool !== undefined && pool !== 0 && pool < args.peers) throw new UsageError(`--identity-pool: ${pool} is fewer than --peers ${args.peers} (or 0 for a new identity at every switch)`)
  return args
}

type HeapVerdict = 'within' | 'exceeds' | 'not judged'

interface SoakReport { text: string, failures: string[] }

const MIB = 2 ** 20
const mib = (n: number | undefined): string => n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(1)

function soakReport (args: SoakArgs, result: SoakResult): SoakReport {
  const { samples, load, final } = result
  const violations = invariantViolations(samples)
  const fit = retainedSlope(samples)
  const window = secondHalf(samples)
  const windowStart = window[0]?.atS ?? Infinity
  const hours = (samples.at(-1)?.atS ?? 0) / 3600
  const sessionsPerHour = hours > 0 ? result.sessions / hours : NaN
  const judged = windowStart >= WARM_UP_S && Number.isFinite(fit.slope)
  const verdict: HeapVerdict = !judged ? 'not judged' : fit.slope > args.heapBound ? 'exceeds' : 'within'
  const resolved = Number.isFinite(fit.standardError) && 2 * fit.standardError <= args.heapBound

  const failures: string[] = []
  if (load.errors + load.timeouts + load.non2xx > 0) failures.push(`scrape errors ${load.errors}, timeouts ${load.timeouts}, non-2xx ${load.non2xx}`)
  if (violations.length > 0) failures.push(`${violations.length} sampled scrapes failed or broke the invariant (${violations.map(v => v.error ?? `at ${Math.round(v.atS)} s: ${v.balance} != ${v.connected}`).slice(0, 3).join('; ')})`)
  if (final.connected !== 0 || final.balance !== 0) failures.push(`after churn: connected ${final.connected}, connects - disconnects ${final.balance}`)
  if (final.internalErrors !== 0) failures.push(`libp2p_tracker_internal_errors_total ${final.internalErrors}`)
  if (result.trackerExit.code !== 0) failures.push(`the tracker exited with ${result.trackerExit.code ?? result.trackerExit.signal ?? '?'} on SIGTERM`)
  if (verdict === 'exceeds') failures.push(`post-GC memory slope ${fit.slope.toFixed(1)} MiB/h exceeds the bound ${args.heapBound} MiB/h`)

  const pool = result.options.identityPool
  const identities = pool === 0
    ? `a new identity at every switch (${result.identitiesUsed} peer IDs)`
    : `a pool of ${pool} identities reused first in, first out (${result.identitiesUsed} peer IDs used)`
  const heapLine = verdict === 'not judged'
    ? `not judged: the second half starts at ${Number.isFinite(windowStart) ? Math.round(windowStart) : '-'} s, before the end of warm-up (${WARM_UP_S} s); run at least ${(2 * WARM_UP_S) / 60} minutes`
    : `${verdict === 'within' ? 'within' : '**exceeds**'} the bound of ${args.heapBound} MiB/hour${resolved ? '' : ` (this run resolves only ±${(2 * fit.standardError).toFixed(1)} MiB/hour: run longer)`}`
  const every = samples.filter((_, i) => i % Math.max(1, Math.floor(samples.length / 12)) === 0)
  const m = machine()
  const lines = [
    `Command: \`npm run soak -- --minutes ${args.minutes} --peers ${args.peers} --scrapers ${args.scrapers}${pool === 2 * args.peers ? '' : ` --identity-pool ${pool}`}${args.heapBound === DEFAULT_HEAP_BOUND_MIB_PER_HOUR ? '' : ` --heap-bound ${args.heapBound}`}${args.sampleIntervalS === 5 ? '' : ` --sample-interval ${args.sampleIntervalS}`}${args.trackerFlags.map(f => ` --tracker-flag=${f}`).join('')}\` on ${m.cores} cores (${m.cpu}), Node ${m.node}, ${new Date().toISOString().slice(0, 10)}; 1-minute load average at the end ${m.loadAverage}.`,
    '',
    `Churn: ${result.options.peers} real libp2p peers (TCP, Noise, yamux) dialling the built CLI, ${result.sessions} sessions (${fmt(sessionsPerHour)}/hour), ${result.churnErrors} failed dials; ${identities}. ${result.options.scrapers} autocannon connections scraping /metrics (gzip) without pause. Every ${result.options.sampleIntervalMs / 1000} s the soak forces a full GC in the tracker through its inspector (\`--inspect=127.0.0.1:0\`, DevTools Protocol HeapProfiler.collectGarbage, then process.memoryUsage() through Runtime.evaluate; the lower of two readings) and checks one scrape.`,
    '',
    '| measure | value |',
    '|---|---|',
    `| scrapes served | ${load.requests} (${Math.round(load.perSecond)}/s) |`,
    `| scrape latency p50 / p90 / p99 / max | ${load.latencyMs.p50} / ${load.latencyMs.p90} / ${load.latencyMs.p99} / ${load.latencyMs.max} ms (the forced GCs pause the tracker too) |`,
    `| scrape errors / timeouts / non-2xx | ${load.errors} / ${load.timeouts} / ${load.non2xx} |`,
    `| invariant connects - disconnects == connected | held at ${samples.length - violations.length} of ${samples.length} sampled scrapes |`,
    `| after churn stopped | connected ${final.connected}, connects - disconnects ${final.balance} |`,
    `| libp2p_tracker_internal_errors_total | ${final.internalErrors} |`,
    `| post-GC V8 heap used first / at ${Number.isFinite(windowStart) ? Math.round(windowStart) : '-'} s / last / max sample | ${mib(samples[0]?.heapMiB)} / ${mib(window[0]?.heapMiB)} / ${mib(samples.at(-1)?.heapMiB)} / ${mib(Math.max(...samples.map(s => s.heapMiB).filter(Number.isFinite)))} MiB |`,
    `| post-GC external memory (Buffers) first / last sample | ${mib(samples[0]?.externalMiB)} / ${mib(samples.at(-1)?.externalMiB)} MiB |`,
    `| post-GC heap + external after churn stopped (no peer connected) | ${mib(final.heapMiB)} + ${mib(final.externalMiB)} MiB |`,
    `| post-GC heap + external: slope over the second half (least squares ± 2 standard errors, ${fit.points} samples) | ${Number.isFinite(fit.slope) ? `${fit.slope.toFixed(1)} ± ${(2 * fit.standardError).toFixed(1)} MiB/hour (${fmt(fit.slope * MIB / sessionsPerHour)} bytes per session)` : 'n/a'} |`,
    `| leak bound on that slope | ${heapLine} |`,
    `| tracker's per-peer history (libp2p_tracker_remembered_peers) / distinct peers seen | ${final.rememberedPeers} / ${final.peersSeen} at the end |`,
    `| libp2p's peer store (libp2p_tracker_peer_store_peers, at the tracker's last sweep) / peer IDs the churn used | ${final.peerStorePeers} / ${result.identitiesUsed} at the end |`,
    `| RSS first / last / max sample | ${mib(samples[0]?.rssMiB)} / ${mib(samples.at(-1)?.rssMiB)} / ${mib(Math.max(...samples.map(s => s.rssMiB)))} MiB |`,
    `| result | ${failures.length === 0 ? 'pass' : `**fail**: ${failures.join('; ')}`} |`,
    '',
    `Post-GC heap + external over time (s: MiB): ${every.map(s => `${Math.round(s.atS)}: ${mib(retainedMiB(s))}`).join(', ')}.`,
    '',
    `RSS over time (s: MiB): ${every.map(s => `${Math.round(s.atS)}: ${mib(s.rssMiB)}`).join(', ')}.`,
    '',
    'Each memory sample follows a full GC, so it counts only what is reachable (external memory included: Buffer contents live outside the V8 heap); heap-used samples without one follow the GC sawtooth and cannot tell a leak from garbage not yet collected. RSS is shown but not judged: V8 and the allocator keep freed pages, so RSS follows the peak working set, not what is retained.',
    'libp2p\'s peer store (in memory) keeps a record for every peer ID it has seen (about 6.7 KiB each, measured for records written as identify writes them: protocols, agent and protocol versions) until --p2p.peer-store-max-age (6 h) after its last update; the tracker sweeps it every 10 minutes (half the max age if shorter) so expired records are deleted. The tracker\'s per-peer history keeps up to --tracker.history-peers (10,000) peers. Churn that brings new peer IDs therefore grows memory until the max age has passed, the history is full and --tracker.flapping-window (10 min) has passed; the soak\'s churn reuses a fixed pool of identities by default so that its steady state is flat within minutes (`--identity-pool 0` gives every switch a new identity, ~4,000 new IDs an hour: memory then grows for 6 h at the default max age; `--tracker-flag=--p2p.peer-store-max-age=2m --tracker-flag=--tracker.history-peers=100 --tracker-flag=--tracker.flapping-window=1m` bounds all three within minutes).'
  ]
  return { text: lines.join('\n'), failures }
}

async function main (): Promise<void> {
  let args: SoakArgs
  try {
    args = parseSoakArgs(process.argv.slice(2).filter(a => a !== '--'))
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`soak: ${err.message}\n`)
    process.exitCode = 2
    return
  }
  const started = Date.now()
  const result = await runSoak({
    durationMs: args.minutes * 60_000,
    peers: args.peers,
    scrapers: args.scrapers,
    identityPool: args.identityPool ?? 2 * args.peers,
    sampleIntervalMs: args.sampleIntervalS * 1000,
    trackerFlags: args.trackerFlags,
    onSample: s => {
      process.stderr.write(`soak ${Math.round((Date.now() - started) / 1000)} s: post-GC heap ${mib(s.heapMiB)} MiB, external ${mib(s.externalMiB)} MiB, RSS ${mib(s.rssMiB)} MiB, connected ${s.connected}, peer store ${s.peerStorePeers}, remembered ${s.rememberedPeers}${s.error === undefined ? '' : `, ${s.error}`}\n`)
    }
  })
  if (result.trackerStderr !== '') process.stderr.write(`tracker stderr:\n${result.trackerStderr}\n`)
  const report = soakReport(args, result)
  process.stdout.write(`${report.text}\n`)
  writeSection('soak', `## Soak\n\n${report.text}`)
  process.exitCode = report.failures.length === 0 ? 0 : 1
}

await main()
