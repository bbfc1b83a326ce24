/**
 * One definition of each default (src/defaults.ts): the CLI's --help, the service's init, peer
 * insight, docs/configuration.md and docs/library.md all say the same values. Changing one of
 * them anywhere but in src/defaults.ts fails here.
 */
import { readFile } from 'node:fs/promises'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { DOC_PATH, parseHelpOptions, readHelpTexts } from '../../docs/generate-configuration.js'
import { TRACKER_DEFAULTS } from '../../src/defaults.js'
import { DEFAULTS, flagDuration } from '../../src/config/config.js'
import { buildConfig } from '../../src/config/parse.js'
import { DEFAULT_INSIGHT_OPTIONS } from '../../src/insight/peer-insight.js'
import { PeerTrackerService } from '../../src/service/peer-tracker-service.js'
import { sweepIntervalMs } from '../../src/service/peer-store-sweeper.js'
import type { PeerTrackerComponents } from '../../src/peer-tracker.js'
import type { TrackerLogger } from '../../src/service/logger.js'

const LIBRARY_DOC = new URL('../../docs/library.md', import.meta.url)
const quiet: TrackerLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }

/** The CLI's flags that carry a shared default, with the default each must show. */
const FLAGS: ReadonlyArray<[flag: string, value: string]> = [
  ['--tracker.max-peer-series', String(TRACKER_DEFAULTS.maxPeerSeries)],
  ['--tracker.flapping-sessions', String(TRACKER_DEFAULTS.flappingSessions)],
  ['--tracker.flapping-window', flagDuration(TRACKER_DEFAULTS.flappingWindowMs)],
  ['--tracker.history-peers', String(TRACKER_DEFAULTS.historyPeers)],
  ['--tracker.history-sessions', String(TRACKER_DEFAULTS.historySessions)],
  ['--tracker.rtt-sample-interval', flagDuration(TRACKER_DEFAULTS.rttSampleIntervalMs)],
  ['--p2p.peer-store-max-age', flagDuration(TRACKER_DEFAULTS.peerStoreMaxAgeMs)]
]

/** How docs/library.md writes a value: 10,000; 10 s; 10 min; 6 h. */
function human (ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['min', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0) return `${ms / size} ${unit}`
  }
  return `${ms} ms`
}
const count = (n: number): string => n.toLocaleString('en-US')

function components (reads: { n: number }): PeerTrackerComponents {
  return {
    peerId: { toString: () => 'self' },
    events: new EventTarget(),
    connectionManager: { getConnections: () => { reads.n++; return [] }, openConnection: async () => { throw new Error('no dials here') } },
    peerStore: {},
    logger: {}
  } as unknown as PeerTrackerComponents
}

let help: string
let configurationDoc: string
let libraryDoc: string

beforeAll(async () => {
  help = (await readHelpTexts()).tracker // the built CLI (npm run build first)
  configurationDoc = await readFile(DOC_PATH, 'utf8')
  libraryDoc = await readFile(LIBRARY_DOC, 'utf8')
})

afterEach(() => { vi.useRealTimers() })

describe('the one definition of each default (src/defaults.ts)', () => {
  it('writes flag durations in the largest unit', () => {
    expect([flagDuration(600_000), flagDuration(10_000), flagDuration(6 * 3_600_000), flagDuration(1500)]).toEqual(['10m', '10s', '6h', '1500ms'])
  })

  it('is what the CLI\'s --help shows and what an empty command line applies', () => {
    const options = new Map(parseHelpOptions(help).map(o => [o.flag, o.help]))
    for (const [flag, value] of FLAGS) {
      expect(options.get(flag), flag).toContain(`(default ${value})`)
      expect(DEFAULTS[flag.slice(2) as keyof typeof DEFAULTS], flag).toBe(value)
    }
    const config = buildConfig({})
    expect(config.tracker.maxPeerSeries).toBe(TRACKER_DEFAULTS.maxPeerSeries)
    expect(config.p2p.peerStoreMaxAgeMs).toBe(TRACKER_DEFAULTS.peerStoreMaxAgeMs)
  })

  it('is what docs/configuration.md shows, in the generated table and in the table of values', () => {
    for (const [flag, value] of FLAGS) {
      const row = configurationDoc.split('\n').find(l => l.startsWith(`| \`${flag}=<`))
      expect(row, flag).toContain(`(default ${value})`)
      const valueRow = configurationDoc.split('\n').find(l => l.startsWith(`| \`${flag}=`) && !l.startsWith(`| \`${flag}=<`))
      if (valueRow !== undefined) expect(valueRow.split('|')[2]?.trim(), flag).toMatch(new RegExp(`^\`${value}\``))
    }
  })

  it('is what docs/library.md\'s table of init options says', () => {
    const cell = (option: string): string | undefined => libraryDoc.split('\n').find(l => l.startsWith(`| \`${option}\``))?.split('|')[2]?.trim()
    expect(cell('maxPeerSeries')).toBe(String(TRACKER_DEFAULTS.maxPeerSeries))
    expect(cell('rttSampleIntervalMs')).toBe(human(TRACKER_DEFAULTS.rttSampleIntervalMs))
    expect(cell('peerStoreSweepIntervalMs')).toBe(human(TRACKER_DEFAULTS.peerStoreSweepIntervalMs))
    expect(cell('flappingSessions`, `flappingWindowMs')).toBe(`${TRACKER_DEFAULTS.flappingSessions}, ${human(TRACKER_DEFAULTS.flappingWindowMs)}`)
    expect(cell('historyPeers`, `historySessions')).toBe(`${count(TRACKER_DEFAULTS.historyPeers)}, ${TRACKER_DEFAULTS.historySessions}`)
  })

  it('is what the service applies with an empty init, and peer insight with no options', () => {
    const service = new PeerTrackerService(components({ n: 0 }), { registry: false, logger: quiet })
    expect(service.settings).toEqual({
      maxPeerSeries: TRACKER_DEFAULTS.maxPeerSeries,
      flappingSessions: TRACKER_DEFAULTS.flappingSessions,
      flappingWindowMs: TRACKER_DEFAULTS.flappingWindowMs,
      historyPeers: TRACKER_DEFAULTS.historyPeers,
      historySessions: TRACKER_DEFAULTS.historySessions,
      rttSampleIntervalMs: TRACKER_DEFAULTS.rttSampleIntervalMs,
      peerStoreSweepIntervalMs: TRACKER_DEFAULTS.peerStoreSweepIntervalMs
    })
    expect(service.insight.options).toMatchObject({
      flappingSessions: TRACKER_DEFAULTS.flappingSessions,
      flappingWindowMs: TRACKER_DEFAULTS.flappingWindowMs,
      historyPeers: TRACKER_DEFAULTS.historyPeers,
      historySessions: TRACKER_DEFAULTS.historySessions
    })
    expect(DEFAULT_INSIGHT_OPTIONS).toMatchObject({ flappingSessions: TRACKER_DEFAULTS.flappingSessions, historyPeers: TRACKER_DEFAULTS.historyPeers })
    // the sweep interval is the one the sweeper derives from libp2p's default max age
    expect(TRACKER_DEFAULTS.peerStoreSweepIntervalMs).toBe(sweepIntervalMs(TRACKER_DEFAULTS.peerStoreMaxAgeMs))
  })

  it('samples RTTs at the default interval when the init gives none', async () => {
    vi.useFakeTimers()
    const reads = { n: 0 }
    const service = new PeerTrackerService(components(reads), { registry: false, observeDials: false, peerStoreSweepIntervalMs: 0, logger: quiet })
    await service.start()
    await service.afterStart()
    await vi.advanceTimersByTimeAsync(TRACKER_DEFAULTS.rttSampleIntervalMs - 1)
    expect(reads.n).toBe(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(reads.n).toBe(1)
    await service.beforeStop()
    await service.afterStop()
  })
})
