/**
 * The alert rules under real scrape conditions, in Prometheus' own rule engine
 * (`promtool test rules`, Debian's 2.42), and again with Prometheus 3's left-open windows
 * (support/window-semantics.ts): a tracker scraped every 15 s for hours with about 1.5 %
 * of the scrapes failing (staleness markers), restarts, a crash loop, noise, sudden and
 * slow losses. support/scrape-scenarios.ts writes the long input series; each scenario
 * checks the exact set of firing alerts at every evaluation of the windows it names.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PATHS, TOOLS } from '../support/stack/paths.js'
import type { RuleFile } from '../support/stack/rule-scaling.js'
import { runTool } from '../support/process.js'
import { scenarioTest, seededRandom, type Scenario } from '../support/stack/scrape-scenarios.js'
import { leftOpenRuleFile, leftOpenRuleTestFile, type RuleTestFile } from '../support/stack/window-semantics.js'
import { readYaml, toYaml } from '../support/stack/yaml.js'

let scratch: string
let ruleFiles: { closed: string[], leftOpen: string[] }

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'libp2p-tracker-alert-scenarios-'))
  const closed = ['records.yml', 'alerts.yml'].map((f) => join(PATHS.rulesDir, f))
  const leftOpen: string[] = []
  for (const file of closed) {
    const copy = join(scratch, `left-open-${leftOpen.length}.yml`)
    await writeFile(copy, toYaml(leftOpenRuleFile(await readYaml(file) as RuleFile)))
    leftOpen.push(copy)
  }
  ruleFiles = { closed, leftOpen }
})

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

const FAILED = 0.015
/** Steady around `level`: a slow swing of +-2 and +-1 of noise at every scrape. */
const around = (level: number, minute: number, random: () => number): number =>
  Math.max(0, level + Math.round(2 * Math.sin(minute / 7) + (random() * 2 - 1)))
/** A node finding its peers after (re)start: 0 for a minute, then up to `level` within 5 minutes. */
const rampTo = (level: number, uptime: number): number => Math.min(level, Math.floor(Math.max(0, uptime - 1) * level / 4))

const NOTHING: string[] = []
const DROP = 'LibP2PTrackerPeerCountDrop/warning'

const scenarios: Scenario[] = [
  {
    name: 'steady peers with ~1.5 % failed scrapes: nothing fires',
    minutes: 180,
    failedScrapeRatio: FAILED,
    seed: 1,
    peers: (m, _u, r) => around(40, m, r),
    expect: [{ from: 0, to: 180, firing: NOTHING }]
  },
  {
    name: 'a drop 40 -> 10 with ~1.5 % failed scrapes fires within 20 minutes and stays firing for an hour and more',
    minutes: 180,
    failedScrapeRatio: FAILED,
    seed: 2,
    peers: (m, _u, r) => (m < 60 ? around(40, m, r) : around(10, m, r)),
    expect: [
      { from: 0, to: 60, firing: NOTHING },
      { from: 80, to: 170, firing: [DROP] }
    ]
  },
  {
    name: 'a sustained 40 -> 16 loss (60 %) still fires an hour later',
    minutes: 180,
    failedScrapeRatio: FAILED,
    seed: 3,
    peers: (m, _u, r) => (m < 60 ? around(40, m, r) : around(16, m, r)),
    expect: [
      { from: 0, to: 60, firing: NOTHING },
      { from: 80, to: 170, firing: [DROP] }
    ]
  },
  {
    name: 'a drop to 0 with one failed scrape in the middle never resolves; warnings turn critical',
    minutes: 180,
    failedScrapeRatio: 0,
    seed: 4,
    failAt: [100],
    peers: (m, _u, r) => (m < 60 ? around(40, m, r) : 0),
    expect: [
      { from: 0, to: 60, firing: NOTHING },
      { from: 66, to: 74, firing: [DROP, 'LibP2PTrackerNoPeers/warning'] },
      { from: 77, to: 119, firing: [DROP, 'LibP2PTrackerNoPeers/warning', 'LibP2PTrackerNoPeers/critical', 'LibP2PTrackerPeersBelowFloor/warning'] },
      {
        from: 122,
        to: 175,
        firing: [DROP, 'LibP2PTrackerNoPeers/warning', 'LibP2PTrackerNoPeers/critical', 'LibP2PTrackerPeersBelowFloor/warning', 'LibP2PTrackerPeersBelowFloor/critical']
      }
    ]
  },
  {
    name: 'a drop 40 -> 2 with ~1.5 % failed scrapes: below the floor, warning then critical',
    minutes: 150,
    failedScrapeRatio: FAILED,
    seed: 5,
    peers: (m, _u, r) => (m < 30 ? around(40, m, r) : 2),
    expect: [
      { from: 0, to: 30, firing: NOTHING },
      { from: 50, to: 88, firing: [DROP, 'LibP2PTrackerPeersBelowFloor/warning'] },
      { from: 93, to: 148, firing: [DROP, 'LibP2PTrackerPeersBelowFloor/warning', 'LibP2PTrackerPeersBelowFloor/critical'] }
    ]
  },
  {
    name: 'a slow decline 60 -> 15 over 3 hours with ~1.5 % failed scrapes stays silent',
    minutes: 190,
    failedScrapeRatio: FAILED,
    seed: 6,
    peers: (m, _u, r) => around(60 - 0.25 * Math.min(m, 180), m, r),
    expect: [{ from: 0, to: 190, firing: NOTHING }]
  },
  {
    name: 'start-up: a new target (no earlier samples) whose peers arrive over the first minutes stays silent',
    minutes: 90,
    failedScrapeRatio: FAILED,
    seed: 7,
    peers: (m, u, r) => Math.min(rampTo(40, u), around(40, m, r)),
    expect: [{ from: 0, to: 90, firing: NOTHING }]
  },
  {
    name: 'a restart (new start time, counters reset, a failed scrape) stays silent',
    minutes: 150,
    failedScrapeRatio: FAILED,
    seed: 8,
    failAt: [60],
    restartsAt: [60],
    peers: (m, u, r) => (m < 60 ? around(40, m, r) : Math.min(rampTo(40, u), around(40, m, r))),
    expect: [{ from: 0, to: 150, firing: NOTHING }]
  },
  {
    name: 'noise: large swings and a one-scrape dip to 15 stay silent',
    minutes: 150,
    failedScrapeRatio: FAILED,
    seed: 9,
    peers: (m, _u, r) => (m === 70 ? 15 : Math.max(0, 40 + Math.round(6 * Math.sin(m / 3) + (r() * 6 - 3)))),
    expect: [{ from: 0, to: 150, firing: NOTHING }]
  },
  {
    name: 'a crash loop (a restart every 4 minutes) fires LibP2PTrackerCrashLooping within 30 minutes, and only that',
    minutes: 150,
    failedScrapeRatio: FAILED,
    seed: 10,
    // Restarts from 30m to 110m, each with a failed scrape while the process comes back.
    failAt: Array.from({ length: 21 }, (_, i) => 30 + 4 * i),
    restartsAt: Array.from({ length: 21 }, (_, i) => 30 + 4 * i),
    peers: (m, u, r) => (m < 30 ? around(40, m, r) : Math.min(rampTo(40, u), around(40, m, r))),
    expect: [
      { from: 0, to: 30, firing: NOTHING },
      { from: 60, to: 110, firing: ['LibP2PTrackerCrashLooping/critical'] },
      // 15 minutes after the last restart the loop is over; the start-up guard of the last
      // process keeps the peer alerts quiet.
      { from: 130, to: 150, firing: NOTHING }
    ]
  }
]

describe('alert rules under real scrape conditions (15 s scrapes, promtool)', () => {
  it('draws about 1.5 % failed scrapes', () => {
    const random = seededRandom(2)
    const draws = Array.from({ length: 100_000 }, () => random() < FAILED).filter(Boolean).length
    expect(draws / 100_000).toBeGreaterThan(0.013)
    expect(draws / 100_000).toBeLessThan(0.017)
  })

  it.each(scenarios.map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
    const index = scenarios.indexOf(scenario)
    const dir = join(scratch, `scenario-${index}`)
    await mkdir(dir, { recursive: true })
    const closed = scenarioTest(scenario, ruleFiles.closed)
    if (scenario.failedScrapeRatio > 0) {
      const ratio = closed.failedScrapes / closed.scrapes
      expect(ratio, `${closed.failedScrapes} of ${closed.scrapes} scrapes failed`).toBeGreaterThan(0.008)
      expect(ratio, `${closed.failedScrapes} of ${closed.scrapes} scrapes failed`).toBeLessThan(0.03)
    }
    const files = {
      '2.42 windows': closed.testFile,
      '3.x windows': leftOpenRuleTestFile(closed.testFile as RuleTestFile, ruleFiles.leftOpen)
    }
    const results = await Promise.all(Object.entries(files).map(async ([semantics, test]) => {
      const file = join(dir, `${semantics.replace(/\W+/g, '-')}.test.yml`)
      await writeFile(file, toYaml(test))
      return { semantics, result: await runTool(TOOLS.promtool, ['test', 'rules', file], { timeoutMs: 110_000 }) }
    }))
    for (const { semantics, result } of results) {
      expect(result.code, `${semantics}:\n${result.output.slice(0, 4000)}`).toBe(0)
      expect(result.output).toContain('SUCCESS')
    }
  }, 120_000)
})

describe('the scenarios tell failed-scrape-proof rules from instant ones (negative control)', () => {
  it('fails the drop-to-0 scenario when the gauges are read as instant values, as before', async () => {
    // The rules as they were: `x` instead of last_over_time(x[3m]), `x offset N` instead of
    // last_over_time(x[N] offset N). One failed scrape then resolves the firing alerts.
    const instant = (expr: string): string => expr
      .replace(/last_over_time\((\w+)\[(\w+)\] offset (\w+)\)/g, '$1 offset $3')
      .replace(/last_over_time\((\w+)\[3m\]\)/g, '$1')
    const dir = join(scratch, 'instant')
    await mkdir(dir, { recursive: true })
    const files: string[] = []
    for (const name of ['records.yml', 'alerts.yml']) {
      const file = await readYaml(join(PATHS.rulesDir, name)) as RuleFile
      const rewritten: RuleFile = { groups: file.groups.map((g) => ({ ...g, rules: g.rules.map((r) => ({ ...r, expr: instant(r.expr) })) })) }
      expect(JSON.stringify(rewritten), name).not.toContain('last_over_time(libp2p_tracker_connected_peers')
      files.push(join(dir, name))
      await writeFile(join(dir, name), toYaml(rewritten))
    }
    const scenario = scenarios.find((s) => s.name.startsWith('a drop to 0 with one failed scrape'))
    if (scenario === undefined) throw new Error('no drop-to-0 scenario')
    const file = join(dir, 'drop-to-0.test.yml')
    await writeFile(file, toYaml(scenarioTest(scenario, files).testFile))
    const result = await runTool(TOOLS.promtool, ['test', 'rules', file], { timeoutMs: 110_000 })
    expect(result.code).not.toBe(0)
    expect(result.output).toContain('FAILED')
    // The failed scrape at 100m resolves the firing alerts at once, and again when the
    // start-up guard's offset side reads the same hole 10 minutes later.
    expect(result.output).toMatch(/time: 1h40m,/)
    expect(result.output).toMatch(/time: 1h50m/)
  }, 120_000)
})
