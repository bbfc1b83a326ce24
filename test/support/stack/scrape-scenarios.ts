/**
 * Realistic input for `promtool test rules`: one tracker scraped every 15 s (the
 * prometheus.yml interval) for hours, with failed scrapes as Prometheus records them (`up`
 * 0 and a staleness marker for every series of the target), restarts (a new start time,
 * counters back to 0), a peer-store sweep every 10 minutes and a little churn. Series that
 * long are unreadable in YAML, so the tests describe a scenario in a few lines and this
 * module writes the promtool test file.
 *
 * Expectations are checked at every rule evaluation (15 s) of the windows they name, as
 * the exact set of firing alerts, read from the ALERTS series Prometheus writes: a check
 * fails if a listed alert is missing (it resolved, even for one evaluation) or another
 * alert fires.
 */

export const SCRAPE_INTERVAL_S = 15
export const JOB = 'libp2p-peer-tracker'
export const INSTANCE = 'tracker:9089'

/** A deterministic random number generator (mulberry32), so a scenario is the same on every run. */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

export interface Expectation {
  /** First and last minute (inclusive) of the window checked at every evaluation. */
  from: number
  to: number
  /** The alerts firing there, as "AlertName/severity"; [] for none. The Watchdog is left out. */
  firing: string[]
}

export interface Scenario {
  name: string
  minutes: number
  /** Share of scrapes that fail at random (seeded); 0 for none. */
  failedScrapeRatio: number
  seed: number
  /** Scrapes that fail on purpose, in minutes (the scrape at that time). */
  failAt?: number[]
  /** Minutes at which the tracker restarts (the scrape at that time sees the new process). */
  restartsAt?: number[]
  /**
   * Connected peers at a scrape: `minute` since the start of the scenario, `uptime` minutes
   * since the process started, `random` the scenario's generator for noise.
   */
  peers: (minute: number, uptime: number, random: () => number) => number
  expect: Expectation[]
}

/** A value, or a staleness marker (a failed scrape). */
type Sample = number | 'stale'

interface SeriesBuilder { series: string, values: Sample[] }

export interface GeneratedScenario {
  /** A promtool test file (JSON, which promtool reads as YAML). */
  testFile: object
  /** Scrapes that failed at random (failedScrapeRatio), of all scrapes. */
  failedScrapes: number
  scrapes: number
}

function selector (name: string, extra: Record<string, string> = {}): string {
  const labels = { job: JOB, instance: INSTANCE, ...extra }
  return `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(', ')}}`
}

/** Builds the promtool test of a scenario, loading `ruleFiles` (absolute paths). */
export function scenarioTest (scenario: Scenario, ruleFiles: string[]): GeneratedScenario {
  const random = seededRandom(scenario.seed)
  const scrapes = scenario.minutes * 60 / SCRAPE_INTERVAL_S + 1
  const failAt = new Set((scenario.failAt ?? []).map((m) => m * 60 / SCRAPE_INTERVAL_S))
  const restarts = (scenario.restartsAt ?? []).map((m) => m * 60 / SCRAPE_INTERVAL_S)

  const up: SeriesBuilder = { series: selector('up'), values: [] }
  const start: SeriesBuilder = { series: selector('libp2p_tracker_start_time_seconds'), values: [] }
  const peers: SeriesBuilder = { series: selector('libp2p_tracker_connected_peers'), values: [] }
  const connects: SeriesBuilder = { series: selector('libp2p_tracker_peer_connects_total', { direction: 'inbound' }), values: [] }
  const disconnects: SeriesBuilder = { series: selector('libp2p_tracker_peer_disconnects_total', { direction: 'inbound' }), values: [] }
  const sweep: SeriesBuilder = { series: selector('libp2p_tracker_peer_store_last_sweep_timestamp_seconds'), values: [] }
  const errors: SeriesBuilder = { series: selector('libp2p_tracker_internal_errors_total', { component: 'libp2p_event' }), values: [] }
  const flapping: SeriesBuilder = { series: selector('libp2p_tracker_flapping_peers'), values: [] }
  const tracker = [start, peers, connects, disconnects, sweep, errors, flapping]

  let failed = 0
  let startedAt = 0 // scrape index of the process start
  let left = 0 // peers that left since the process started (disconnects)
  let previous: number | undefined
  for (let i = 0; i < scrapes; i++) {
    const minute = i * SCRAPE_INTERVAL_S / 60
    // The random draw happens for every scrape, so that changing one scenario setting does
    // not move every later failure.
    const failsAtRandom = random() < scenario.failedScrapeRatio
    if (restarts.includes(i)) {
      startedAt = i
      left = 0
      previous = undefined
    }
    const uptime = (i - startedAt) * SCRAPE_INTERVAL_S / 60
    const count = scenario.peers(minute, uptime, random)
    // Churn: one peer a minute leaves and another comes, plus every peer lost since the last scrape.
    if (previous !== undefined) left += 0.25 + Math.max(0, previous - count)
    previous = count
    if (failsAtRandom) failed++
    if (failAt.has(i) || failsAtRandom) {
      up.values.push(0)
      for (const s of tracker) s.values.push('stale')
      continue
    }
    const startSeconds = startedAt * SCRAPE_INTERVAL_S + 1
    up.values.push(1)
    start.values.push(startSeconds)
    peers.values.push(count)
    connects.values.push(count + left)
    disconnects.values.push(left)
    // Swept right after start, then every 10 minutes.
    sweep.values.push(startSeconds + Math.floor((i - startedAt) * SCRAPE_INTERVAL_S / 600) * 600)
    errors.values.push(0)
    flapping.values.push(0)
  }

  const checks = scenario.expect.flatMap((e) => {
    const times: number[] = []
    for (let s = e.from * 60; s <= e.to * 60; s += SCRAPE_INTERVAL_S) times.push(s)
    return times.map((seconds) => ({
      expr: 'ALERTS{alertstate="firing", alertname!="LibP2PTrackerWatchdog"}',
      eval_time: `${seconds}s`,
      exp_samples: e.firing.map((entry) => {
        const [alertname, severity] = entry.split('/')
        return {
          labels: `ALERTS{alertname="${alertname ?? ''}", alertstate="firing", instance="${INSTANCE}", job="${JOB}", severity="${severity ?? ''}"}`,
          value: 1
        }
      })
    }))
  })

  const format = (values: Sample[]): string => values.map((v) => String(v)).join(' ')
  return {
    failedScrapes: failed,
    scrapes,
    testFile: {
      rule_files: ruleFiles,
      evaluation_interval: `${SCRAPE_INTERVAL_S}s`,
      group_eval_order: ['libp2p-peer-tracker-records', 'libp2p-peer-tracker-alerts', 'libp2p-peer-tracker-pipeline'],
      tests: [{
        interval: `${SCRAPE_INTERVAL_S}s`,
        input_series: [up, ...tracker].map((s) => ({ series: s.series, values: format(s.values) })),
        promql_expr_test: checks
      }]
    }
  }
}
