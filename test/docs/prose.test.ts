/**
 * Numbers the pages state in prose, read from the page and compared with the constant in the
 * code that makes them true: change one without the other and this fails.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { readYaml } from '../support/stack/yaml.js'
import { AGENT_SCAN_CHARS } from '../../src/insight/agent-family.js'
import { MAX_TRACKED_VERSIONS } from '../../src/insight/agent-versions.js'
import { PRUNE_GRACE_MS } from '../../src/insight/close-reasons.js'
import { DEFAULT_INSIGHT_OPTIONS } from '../../src/insight/peer-insight.js'
import { MAX_PEERS_LIMIT, PEER_SORTS } from '../../src/insight/peer-views.js'
import { DEFAULT_HISTORY_CAPACITY, DEFAULT_SAMPLE_INTERVAL_MS } from '../../src/http/peer-view/peer-count-history.js'
import { DEFAULT_TABLE_LIMIT } from '../../src/http/peer-view/views.js'
import { IP_VERSIONS } from '../../src/insight/address-family.js'
import { CLOSE_REASONS as CLOSE_REASON_VALUES } from '../../src/insight/close-reasons.js'
import { DIAL_ERROR_REASONS, DIAL_OUTCOMES } from '../../src/insight/dial-errors.js'
import { AGENT_FAMILIES } from '../../src/insight/agent-family.js'
import { RTT_BUCKETS_SECONDS } from '../../src/insight/peer-insight.js'
import { PROTOCOL_CLASSES } from '../../src/insight/protocols.js'
import { INSIGHT_METRICS } from '../../src/metrics/definitions.js'
import { STABLE_AGES } from '../../src/metrics/insight-collector.js'
import { DIRECTIONS, ENCRYPTIONS, MUXERS, TRANSPORTS } from '../../src/tracker/connection-labels.js'
import { SEEN_FILTER_BITS, SEEN_FILTER_HASHES } from '../../src/insight/seen-peers.js'
import { DEFAULT_PEER_EVENT_LOG_MAX_PER_WINDOW, DEFAULT_PEER_EVENT_LOG_WINDOW_MS } from '../../src/service/peer-event-log.js'
import { DEFAULT_SWEEP_BATCH, MAX_SWEEP_INTERVAL_MS } from '../../src/service/peer-store-sweeper.js'
import { DEFAULT_MAX_BODY_BYTES } from '../../src/sources/http-source.js'
import { MAX_ENTRIES } from '../../src/sources/response-shape.js'
import { SEEN_CHUNK_WORDS, maxPeerBytes } from '../../src/storage/history-codec.js'
import { DEFAULT_REDIAL_OPTIONS } from '../../src/storage/redial-planner.js'
import { MAX_AGENT_LENGTH, MAX_PROTOCOLS, MAX_PROTOCOL_LENGTH } from '../../src/tracker/sanitize.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** A page with its prose on one line (wrapped lines joined), so a sentence matches whole. */
const page = (path: string): string => readFileSync(join(ROOT, path), 'utf8').replace(/\s*\n\s*/g, ' ')
const num = (s: string | undefined): number => Number((s ?? 'NaN').replace(/,/g, ''))

/** The numbers a pattern captures on a page; fails when the sentence is gone. */
function stated (path: string, pattern: RegExp): number[] {
  const m = page(path).match(pattern)
  expect(m, `${path} no longer says ${String(pattern)}`).not.toBeNull()
  return (m as RegExpMatchArray).slice(1).map(num)
}

describe('numbers in the prose of docs/storage.md', () => {
  it('the per-peer bound is maxPeerBytes: its formula and its value with the defaults', () => {
    const [fixed, perSession, perStart] = stated('docs/storage.md', /([\d,]+) \+ (\d+) × K \+ (\d+) × F bytes/)
    expect(fixed).toBe(maxPeerBytes(0, 0))
    expect(perSession).toBe(maxPeerBytes(1, 0) - maxPeerBytes(0, 0))
    expect(perStart).toBe(maxPeerBytes(0, 1) - maxPeerBytes(0, 0))
    const [k, f, bytes] = stated('docs/storage.md', /K = (\d+), F = (\d+)\) that is at most ([\d,]+) bytes a peer/)
    expect(bytes).toBe(maxPeerBytes(k as number, f as number))
  })

  it('the redial after a restart: dials a second, at once, first backoff, attempts', () => {
    const [perSecond, atOnce] = stated('docs/storage.md', /at most (\d+) dials a second, (\d+) at once/)
    expect(perSecond).toBe(DEFAULT_REDIAL_OPTIONS.dialsPerSecond)
    expect(atOnce).toBe(DEFAULT_REDIAL_OPTIONS.maxInFlight)
    const [first, second, third, attempts] = stated('docs/storage.md', /retried after (\d+) s, (\d+) s, (\d+) s \(±20 %\) and given up after (\d+) failed attempts/)
    expect(first).toBe(DEFAULT_REDIAL_OPTIONS.minBackoffMs / 1000)
    expect([second, third]).toEqual([first as number * 2, first as number * 4])
    expect(attempts).toBe(DEFAULT_REDIAL_OPTIONS.maxAttempts)
  })

  it('the Bloom filter: 1 MiB in 256-byte chunks, 4,096 of them', () => {
    const [mib, chunkBytes] = stated('docs/storage.md', /Bloom filter of peers seen \((\d+) MiB, in (\d+)-byte chunks/)
    expect(SEEN_FILTER_BITS / 8).toBe((mib as number) * 1024 * 1024)
    expect(SEEN_CHUNK_WORDS * 4).toBe(chunkBytes)
    const [chunks] = stated('docs/storage.md', /1 MiB of bits in ([\d,]+) chunks/)
    expect(chunks).toBe(SEEN_FILTER_BITS / 8 / (SEEN_CHUNK_WORDS * 4))
  })
})

describe('numbers in the prose of docs/security.md, docs/limits.md and docs/sources.md', () => {
  it('the caps on identify strings', () => {
    const [agent, protocols, protocolLength] = stated('docs/security.md', /keeps at most (\d+) characters of agent string and (\d+) protocol ids of at most (\d+) characters/)
    expect([agent, protocols, protocolLength]).toEqual([MAX_AGENT_LENGTH, MAX_PROTOCOLS, MAX_PROTOCOL_LENGTH])
  })

  it('the peer store sweep: every 10 min, a pause every 256 records', () => {
    const [minutes, batch] = stated('docs/security.md', /reads the whole store every (\d+) min .*?pausing for the event loop every (\d+) records/)
    expect(minutes).toBe(MAX_SWEEP_INTERVAL_MS / 60_000)
    expect(batch).toBe(DEFAULT_SWEEP_BATCH)
  })

  it('the seen-peers estimate stays under 1 % false positives up to the number docs/limits.md gives', () => {
    const [percent, peers] = stated('docs/limits.md', /under (\d+)% false positives up to about ([\d,]+) distinct peers/)
    const falsePositive = (n: number): number => (1 - Math.exp(-SEEN_FILTER_HASHES * n / SEEN_FILTER_BITS)) ** SEEN_FILTER_HASHES
    expect(falsePositive(peers as number)).toBeLessThan((percent as number) / 100)
    expect(falsePositive((peers as number) * 1.1)).toBeGreaterThan((percent as number) / 100 * 0.9) // "about": not a far lower number
  })

  it('a polling source gives up on a body over 32 MiB and more than 100,000 entries', () => {
    for (const [path, pattern] of [
      ['docs/limits.md', /a body over (\d+) MiB, more than ([\d,]+) entries/],
      ['docs/sources.md', /a body over (\d+) MiB \(.*?\) or a list of over ([\d,]+) entries/]
    ] as const) {
      const [mib, entries] = stated(path, pattern)
      expect(DEFAULT_MAX_BODY_BYTES, path).toBe((mib as number) * 1024 * 1024)
      expect(MAX_ENTRIES, path).toBe(entries)
    }
    const [mib] = stated('docs/metrics.md', /`too_large` \(a body over (\d+) MiB\)/)
    expect(DEFAULT_MAX_BODY_BYTES).toBe((mib as number) * 1024 * 1024)
  })
})

describe('numbers in the prose of docs/metrics.md', () => {
  it('agents: the first 128 characters, 32 tracked versions, the top 5 exported', () => {
    const [chars, tracked] = stated('docs/metrics.md', /from the first (\d+) characters\. Each family tracks at most (\d+) distinct versions/)
    expect([chars, tracked]).toEqual([AGENT_SCAN_CHARS, MAX_TRACKED_VERSIONS])
    const [top] = stated('docs/metrics.md', /Per family the (\d+) versions with the most connected peers are exported/)
    expect(top).toBe(DEFAULT_INSIGHT_OPTIONS.topVersions)
  })

  it('a local close waits up to 2 s for a prune (also docs/limits.md)', () => {
    expect(stated('docs/metrics.md', /a local close waits up to (\d+) s for a prune/)).toEqual([PRUNE_GRACE_MS / 1000])
    expect(stated('docs/limits.md', /counted up to (\d+) s after the close/)).toEqual([PRUNE_GRACE_MS / 1000])
  })

  it('the Bloom filter: 2^23 bits, 7 hashes', () => {
    const [base, exponent, hashes] = stated('docs/metrics.md', /\((\d+)\^(\d+) bits, (\d+) hashes/)
    expect((base as number) ** (exponent as number)).toBe(SEEN_FILTER_BITS)
    expect(hashes).toBe(SEEN_FILTER_HASHES)
  })
})

describe('versions the pages say were tested', () => {
  const locked = (name: string): string => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> }
    return lock.packages[`node_modules/${name}`]?.version ?? 'not in package-lock.json'
  }
  /** A version a page writes (major.minor or full) is the locked one's prefix. */
  const matches = (written: string | undefined, actual: string): boolean => written !== undefined && (actual === written || actual.startsWith(`${written}.`))

  it('README.md: libp2p, Helia, prom-client and @grafana/schema are the locked versions; Lodestar the one the install script pins', () => {
    const readme = page('README.md')
    for (const [pattern, name] of [
      [/libp2p (\d[\d.]*);/, 'libp2p'],
      [/Helia (\d[\d.]*) on Node/, 'helia'],
      [/prom-client (\d[\d.]*);/, 'prom-client'],
      [/`@grafana\/schema` (\d[\d.]*)/, '@grafana/schema']
    ] as const) {
      const written = readme.match(pattern)?.[1]
      expect(matches(written, locked(name)), `README.md says ${name} ${String(written)}, the lock has ${locked(name)}`).toBe(true)
    }
    const pinned = readFileSync(join(ROOT, 'test/support/lodestar/install.sh'), 'utf8').match(/^VERSION=(\S+)$/m)?.[1]
    for (const path of ['README.md', 'docs/sources.md', 'docs/limits.md', 'docs/development.md']) {
      const written = [...page(path).matchAll(/Lodestar \(?(\d+\.\d+\.\d+)/g)].map(m => m[1])
      expect(written.length, path).toBeGreaterThan(0)
      expect(new Set(written), path).toEqual(new Set([pinned]))
    }
  })

  it('docs/limits.md: the QUIC transport is the locked version', () => {
    const written = page('docs/limits.md').match(/`@chainsafe\/libp2p-quic` (\d[\d.]*)/)?.[1]
    expect(matches(written, locked('@chainsafe/libp2p-quic'))).toBe(true)
  })

  it('README.md: the compose file pins Prometheus 3.x and Alertmanager 0.33; the image runs Node 24', () => {
    const readme = page('README.md')
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')
    const [, prometheusMajor, alertmanager] = readme.match(/the compose file pins Prometheus (\d+)\.x and Alertmanager (\d+\.\d+)/) ?? []
    expect(compose).toMatch(new RegExp(`image: prom/prometheus:v${String(prometheusMajor)}\\.`))
    expect(compose).toMatch(new RegExp(`image: prom/alertmanager:v${String(alertmanager).replace('.', '\\.')}\\.`))
    const [, nodeMajor] = readme.match(/Node (\d+) is the Docker\s+image's/) ?? []
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${String(nodeMajor)}\\.`, 'm'))
  })
})

describe('numbers in the prose of docs/logs.md and docs/http-api.md', () => {
  it('connect and disconnect lines: the first 20 in a window of 10 s at info', () => {
    const [lines, seconds] = stated('docs/logs.md', /the first (\d+) in a window of (\d+) s are logged at info/)
    expect(lines).toBe(DEFAULT_PEER_EVENT_LOG_MAX_PER_WINDOW)
    expect(seconds).toBe(DEFAULT_PEER_EVENT_LOG_WINDOW_MS / 1000)
  })

  it('/api/v1/peers: the sorts and the limit\'s range', () => {
    const text = page('docs/http-api.md')
    const sorts = text.match(/`sort` is (.*?); `limit`/)?.[1] ?? ''
    expect([...sorts.matchAll(/`(\w+)` \(/g)].map(m => m[1]).sort()).toEqual([...PEER_SORTS].sort())
    const [low, high] = stated('docs/http-api.md', /`limit` is (\d+)-(\d+)\./)
    expect([low, high]).toEqual([1, MAX_PEERS_LIMIT])
    expect(text).toContain(`{"error":"limit: must be a whole number from 1 to ${MAX_PEERS_LIMIT}"}`)
  })
})

describe('numbers in the prose of docs/peer-view.md', () => {
  it('the last hour: a sample every 5 s, 720 of them (23 KiB); the table 50 rows a page', () => {
    const [seconds, samples] = stated('docs/peer-view.md', /the count sampled every (\d+) s, kept in memory \((\d+) samples/)
    expect(seconds).toBe(DEFAULT_SAMPLE_INTERVAL_MS / 1000)
    expect(samples).toBe(DEFAULT_HISTORY_CAPACITY)
    expect((seconds as number) * (samples as number)).toBe(3600) // "last hour"
    const [capacity, columns, kib] = stated('docs/peer-view.md', /The history costs (\d+) × (\d+) numbers \((\d+) KiB\)/)
    expect(capacity).toBe(DEFAULT_HISTORY_CAPACITY)
    expect(kib).toBe(Math.round((capacity as number) * (columns as number) * 8 / 1024))
    expect(stated('docs/peer-view.md', /page through (\d+) at a time/)).toEqual([DEFAULT_TABLE_LIMIT])
  })
})

describe('numbers in the prose of docs/monitoring.md', () => {
  const file = (path: string): string => readFileSync(join(ROOT, path), 'utf8')

  it('Grafana loads dashboard changes within 30 s; the demo target appears within 30 s; Prometheus keeps 30 days', () => {
    const [grafana] = stated('docs/monitoring.md', /Grafana loads changes within (\d+) s/)
    expect(file('grafana/provisioning/dashboards/provider.yml')).toMatch(new RegExp(`^\\s*updateIntervalSeconds: ${String(grafana)}$`, 'm'))
    const [demo] = stated('docs/monitoring.md', /`tracker-demo:9089`, appears within (\d+) s/)
    expect(file('prometheus.yml')).toMatch(new RegExp(`- files: \\["prometheus/demo-targets/\\*\\.yml"\\]\\s*\\n\\s*refresh_interval: ${String(demo)}s`))
    const [days, flagDays] = stated('docs/monitoring.md', /Prometheus keeps (\d+) days here \(`--storage\.tsdb\.retention\.time=(\d+)d`\)/)
    expect(flagDays).toBe(days)
    expect(file('docker-compose.yml')).toContain(`--storage.tsdb.retention.time=${String(days)}d`)
  })

  it('the image\'s health check counts 200, 401 and 429 as healthy', () => {
    expect(page('docs/monitoring.md')).toMatch(/counts 200, 401 and 429 as healthy/)
    const healthcheck = file('Dockerfile').split('HEALTHCHECK')[1] ?? ''
    expect(healthcheck).toMatch(/r\.ok \|\| r\.status === 401 \|\| r\.status === 429 \? 0 : 1/)
  })
})

describe('figures in docs/fleet.md', () => {
  it('the resources quoted from B4 on a quiet machine are that table\'s figures', () => {
    const bench = readFileSync(join(ROOT, 'BENCHMARKS.md'), 'utf8')
    const quiet = bench.slice(bench.indexOf('## The tracker\'s cost on a quiet machine'), bench.indexOf('## Where the tracker\'s cost goes'))
    const row = (measure: string): string => quiet.split('\n').find(l => l.startsWith(`| ${measure} |`))?.split('|')[2]?.trim() ?? `no row "${measure}"`
    const [hold, holdMax, connect, connectMax, rss, rssMax] = page('docs/fleet.md')
      .match(/([\d.]+)% of a core while holding them \(at most ([\d.]+)%\), ([\d.]+) s of CPU to connect them \(at most ([\d.]+) s\), (\d+) MiB resident \(at most (\d+)\)/)?.slice(1) ?? []
    /** "median (min-max)" in the table: the page's median and maximum. */
    const medianAndMax = (cell: string): string[] => cell.match(/^([\d.]+) \([\d.]+-([\d.]+)\)/)?.slice(1) ?? [cell]
    expect(medianAndMax(row('CPU hold'))).toEqual([hold, holdMax])
    expect(medianAndMax(row('CPU connect'))).toEqual([connect, connectMax])
    expect(medianAndMax(row('RSS, median over the hold'))).toEqual([rss, rssMax])
  })
})

describe('docs/alerts.md: each runbook\'s "for N minutes (severity)"', () => {
  it('is a rule of that name in rules/alerts.yml with that for: and that severity', async () => {
    const file = await readYaml(join(ROOT, 'rules/alerts.yml')) as { groups: Array<{ rules: Array<{ alert?: string, for?: string, labels?: { severity?: string } }> }> }
    const rules = file.groups.flatMap(g => g.rules).filter(r => r.alert !== undefined)
    const text = readFileSync(join(ROOT, 'docs/alerts.md'), 'utf8')
    const sections = text.split(/\n(?=## )/).filter(s => s.startsWith('## LibP2PTracker'))
    expect(sections.length).toBe(new Set(rules.map(r => r.alert)).size)
    let checked = 0
    for (const section of sections) {
      const name = section.slice(3, section.indexOf('\n')).trim()
      const means = (section.match(/\*\*Means:\*\*([\s\S]*?)\n\n/)?.[1] ?? '').replace(/\s+/g, ' ')
        .replace(/running for (\d+|an) (minute|hour)s?/g, 'running') // the start-up guard, not the rule's for:
      const ofName = rules.filter(r => r.alert === name).map(r => `${r.for ?? '0s'} ${r.labels?.severity ?? ''}`)
      // The last "for N minutes" before a "(severity" is the alert's own for:.
      for (const m of means.matchAll(/for (\d+) (minute|hour)s?(?:(?!for \d)[^()])*\((critical|warning|info)/g)) {
        const stated = `${m[1] as string}${m[2] === 'hour' ? 'h' : 'm'} ${m[3] as string}`
        expect(ofName, `${name}: docs/alerts.md says ${stated}`).toContain(stated)
        checked++
      }
    }
    expect(checked).toBeGreaterThanOrEqual(20)
  })
})

describe('the peer store\'s size per record', () => {
  it('docs/limits.md and docs/security.md quote the Soak section of BENCHMARKS.md', () => {
    const bench = readFileSync(join(ROOT, 'BENCHMARKS.md'), 'utf8').replace(/\s*\n\s*/g, ' ')
    const measured = num(bench.match(/keeps a record for every peer ID it has seen \(about ([\d.]+) KiB each/)?.[1])
    expect(stated('docs/security.md', /by about ([\d.]+) KiB per new peer ID/)).toEqual([measured])
    expect(stated('docs/limits.md', /holds about ([\d.]+) KiB per peer ID/)).toEqual([Math.round(measured)])
  })
})

type Fourteen = [number, number, number, number, number, number, number, number, number, number, number, number, number, number]

describe('docs/metrics.md: the series bound of peer insight', () => {
  it('counts each table as the code has it, and the sum is under the bound it states', () => {
    const [families, top, otherPlus, extra, protocols, ipVersions, outcomes, reasons, closes, rttFamilies, rttLines, stable, singles, bound] =
      stated('docs/metrics.md', /Series bound: (\d+) families × \((\d+) \+ (\d+)\) \+ (\d+) agent series, (\d+) protocol, (\d+) ip_version, (\d+) \+ (\d+) dial, (\d+) close, (\d+) × (\d+) RTT histogram lines, (\d+) stable, (\d+) single gauges and counters: under (\d+) lines/) as Fourteen
    expect(families).toBe(AGENT_FAMILIES.length - 2) // unknown and other have no versions
    expect(top).toBe(DEFAULT_INSIGHT_OPTIONS.topVersions)
    expect([otherPlus, extra]).toEqual([1, 2])
    expect([protocols, ipVersions, outcomes, reasons, closes]).toEqual([PROTOCOL_CLASSES.length, IP_VERSIONS.length, DIAL_OUTCOMES.length, DIAL_ERROR_REASONS.length, CLOSE_REASON_VALUES.length])
    expect([rttFamilies, rttLines]).toEqual([AGENT_FAMILIES.length, RTT_BUCKETS_SECONDS.length + 1 + 2]) // buckets, +Inf, _sum, _count
    expect(stable).toBe(STABLE_AGES.length)
    expect(singles).toBe(Object.keys(INSIGHT_METRICS).length - 8) // the eight above have labels
    const total = families * (top + otherPlus) + extra + protocols + ipVersions + outcomes + reasons + closes + rttFamilies * rttLines + stable + singles
    expect(total).toBeLessThan(bound)
  })
})

describe('docs/metrics.md: the label values it lists', () => {
  /** The words of a prose list: links made text, parenthesised asides dropped, backticks gone. */
  const listed = (text: string): string[] => {
    let plain = text.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    while (/\([^()]*\)/.test(plain)) plain = plain.replace(/\s*\([^()]*\)/g, '')
    return plain.replace(/`/g, '').split(/,\s*|\s+or\s+/).map(w => w.trim()).filter(w => w !== '')
  }
  const metrics = page('docs/metrics.md')
  const between = (start: string, end: string): string => {
    const from = metrics.indexOf(start)
    expect(from, start).toBeGreaterThanOrEqual(0)
    return metrics.slice(from + start.length, metrics.indexOf(end, from + start.length))
  }

  it('direction, transport, encryption and muxer are the tables of src/tracker/connection-labels.ts', () => {
    expect(listed(between('`direction` is ', ';'))).toEqual([...DIRECTIONS])
    expect(listed(between('`transport` one of ', ';'))).toEqual([...TRANSPORTS])
    expect([...listed(between('`encryption` one of ', ';')), 'unknown'].sort()).toEqual([...ENCRYPTIONS].sort())
    expect(between('`muxer` one of ', '.')).toContain('(both `unknown` with a')
    expect([...listed(between('`muxer` one of ', '.')), 'unknown'].sort()).toEqual([...MUXERS].sort())
  })

  it('agent families, protocol classes, dial error reasons and close reasons are the code\'s', () => {
    expect(listed(between('`agent` is one of ', ';'))).toEqual([...AGENT_FAMILIES])
    expect([...listed(between('at least one protocol of each class: ', ';')), 'other']).toEqual([...PROTOCOL_CLASSES])
    expect(listed(between('Failed dials by class: ', '. |'))).toEqual([...DIAL_ERROR_REASONS])
    expect(listed(between('Closed connections by cause: ', '. |'))).toEqual([...CLOSE_REASON_VALUES])
  })
})
