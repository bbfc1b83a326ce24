/**
 * B4 as a comparison: the plain node and the tracker hold the same N real peers, alternating
 * (plain, tracker, then tracker, plain, ...: drift in the machine's load hits both alike),
 * `runs` times each. Reported per subject as the median with its range (min-max); ratios are
 * tracker median / plain median. `tsx bench/b4-compare.ts [--peers 1000] [--runs 3] [--hold-s 60] [--dial-rate 200]`
 * prints the summary as JSON.
 */
import '../src/runtime/node-shims.js'
import { hold } from './b4-real-peers.js'
import { median } from './stats.js'
import type { HoldOptions, HoldResult } from './b4-real-peers.js'

export interface Spread { median: number, min: number, max: number }
export interface Compared { plain: Spread, tracker: Spread, ratio: number }

export interface B4Comparison {
  peers: number
  runs: number
  holdMs: number
  dialRate: number
  plain: HoldResult[]
  tracker: HoldResult[]
  connectCpuSeconds: Compared
  holdCpuCores: Compared
  /** connect + settle + hold. */
  totalCpuSeconds: Compared
  rssMiB: Compared
  connectSeconds: Compared
  /** Every tracker run held all N at the end and counted exactly N at every scrape. */
  allCounted: boolean
}

export function spread (values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) }
}

function compared (plain: HoldResult[], tracker: HoldResult[], pick: (r: HoldResult) => number): Compared {
  const p = spread(plain.map(pick))
  const t = spread(tracker.map(pick))
  return { plain: p, tracker: t, ratio: t.median / p.median }
}

export function summarizeB4 (peers: number, holdMs: number, dialRate: number, plain: HoldResult[], tracker: HoldResult[]): B4Comparison {
  return {
    peers,
    runs: Math.min(plain.length, tracker.length),
    holdMs,
    dialRate,
    plain,
    tracker,
    connectCpuSeconds: compared(plain, tracker, r => r.connectCpuSeconds),
    holdCpuCores: compared(plain, tracker, r => r.holdCpuCores),
    totalCpuSeconds: compared(plain, tracker, r => r.totalCpuSeconds),
    rssMiB: compared(plain, tracker, r => r.rssMiB),
    connectSeconds: compared(plain, tracker, r => r.connectSeconds),
    allCounted: tracker.every(r => r.heldAtEnd === peers && r.exactScrapes === r.scrapes && r.scrapes > 0)
  }
}

export async function compareB4 (peers: number, holdMs: number, runs: number, options: HoldOptions & { log?: (text: string) => void } = {}): Promise<B4Comparison> {
  const results: { plain: HoldResult[], tracker: HoldResult[] } = { plain: [], tracker: [] }
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? (['plain', 'tracker'] as const) : (['tracker', 'plain'] as const)
    for (const subject of order) {
      options.log?.(`  B4 ${peers} peers, run ${i + 1}/${runs}: ${subject}`)
      results[subject].push(await hold(subject, peers, holdMs, `bench-b4-${peers}`, options))
    }
  }
  return summarizeB4(peers, holdMs, options.dialRate ?? 200, results.plain, results.tracker)
}

if (process.argv[1]?.endsWith('b4-compare.ts') === true) {
  const args = process.argv.slice(2)
  const opt = (name: string, fallback: number): number => { const i = args.indexOf(name); return i === -1 ? fallback : Number(args[i + 1]) }
  const peers = opt('--peers', 1000)
  // --quic-ratio R (0-1, Node 22+): that share of the swarm's peers dial over QUIC, the rest TCP;
  // the subjects listen on both. Read by bench/node-child.ts and src/swarm/peer-runner.ts.
  const quicRatio = opt('--quic-ratio', 0)
  if (quicRatio > 0) process.env.B4_QUIC_RATIO = String(quicRatio)
  const c = await compareB4(peers, opt('--hold-s', 60) * 1000, opt('--runs', 3), {
    dialRate: opt('--dial-rate', 200),
    connectTimeoutMs: opt('--connect-timeout-s', Math.max(120, peers / 10)) * 1000,
    log: (t) => { process.stderr.write(`${t}\n`) }
  })
  process.stdout.write(JSON.stringify(c, null, 2) + '\n')
  process.exit(0)
}
