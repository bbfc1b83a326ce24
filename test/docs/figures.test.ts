/**
 * Figures in docs/ that come from a benchmark are the ones BENCHMARKS.md holds, and say which
 * run they come from (the run's id, B1..B8, in the same paragraph or table row):
 * - docs/benchmarks.md's summary table: every number of a row's "measured" column is in
 *   BENCHMARKS.md;
 * - FIGURES: the figures quoted in prose, each read from its page and from BENCHMARKS.md and
 *   compared at the precision the page writes it.
 * When a bench run changes BENCHMARKS.md, this fails until the pages follow.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')
const BENCH = read('BENCHMARKS.md')
const num = (text: string): number => Number(text.replace(/,/g, ''))

/** The paragraph (blank-line separated block) or table row of `text` holding `index`. */
function blockAt (text: string, index: number): string {
  const start = text.lastIndexOf('\n\n', index)
  const end = text.indexOf('\n\n', index)
  return text.slice(start < 0 ? 0 : start, end < 0 ? undefined : end)
}

/** A capture of `re` in `text`; fails the test with `what` when absent. */
function capture (text: string, re: RegExp, what: string): { value: string, index: number } {
  const m = re.exec(text)
  if (m === null) throw new Error(`${what}: ${String(re)} not found`)
  return { value: m[1] as string, index: m.index }
}

/** The cells of BENCHMARKS.md's table row whose first cell is `first`, in the section after `heading`. */
function benchRow (heading: string, first: string): string[] {
  const section = BENCH.slice(BENCH.indexOf(heading))
  const row = section.split('\n').find(l => l.startsWith(`| ${first} |`))
  if (row === undefined) throw new Error(`BENCHMARKS.md: no row ${first} after ${heading}`)
  return row.split('|').slice(1, -1).map(c => c.trim())
}

interface Figure {
  page: string
  /** The figure on the page: one capture group, a number. */
  onPage: RegExp
  /** The run it comes from, named in the same paragraph. */
  run: string
  /** The same figure from BENCHMARKS.md, unrounded. */
  inBenchmarks: () => number
}

const B7 = '## Peer view (B7)'
const latest = '## Latest run'

export const FIGURES: Figure[] = [
  { page: 'docs/peer-view.md', run: 'B7', onPage: /took ([\d.]+) ms of the tracker's time/, inBenchmarks: () => num(capture(benchRow(B7, 'B7')[3] ?? '', /([\d.]+) ms \(sum of the p50s\)/, 'B7').value) },
  { page: 'docs/peer-view.md', run: 'B7', onPage: /is about ([\d.]+) KiB whatever the number of peers/, inBenchmarks: () => num(capture(benchRow(B7, 'B7')[3] ?? '', /([\d.]+) KiB every 5 s/, 'B7').value) },
  {
    page: 'docs/peer-view.md',
    run: 'B7',
    onPage: /peer ID\) took (?:about )?([\d.]+) ms/,
    inBenchmarks: () => Math.max(num(benchRow(B7, '`/api/v1/peer-table?sort=agent&filter=kubo`')[2] ?? ''), num(benchRow(B7, '`/api/v1/peer-table?sort=peerId&offset=4950`')[2] ?? ''))
  },
  { page: 'docs/peer-view.md', run: 'B7', onPage: /`\/api\/v1\/peers` with every peer is ([\d.]+) MiB/, inBenchmarks: () => num(benchRow(B7, '`/api/v1/peers`')[4] ?? '') / 1024 },
  { page: 'docs/metrics.md', run: 'B3i', onPage: /about ([\d,]+) bytes per connected peer with peer insight/, inBenchmarks: () => num(capture(benchRow(latest, 'B3i')[3] ?? '', /([\d,]+) bytes\/peer/, 'B3i').value) },
  { page: 'docs/metrics.md', run: 'B3', onPage: /of which the tracker's account is ([\d,]+) bytes/, inBenchmarks: () => num(capture(benchRow(latest, 'B3')[3] ?? '', /([\d,]+) bytes\/peer/, 'B3').value) }
]

/** True when `written` is `exact` rounded to the decimals `written` shows. */
function roundsTo (exact: number, written: string): boolean {
  const decimals = written.includes('.') ? (written.split('.')[1] as string).length : 0
  return Math.abs(exact - num(written)) <= 0.5 * 10 ** -decimals + 1e-9
}

describe('figures in docs/ and BENCHMARKS.md', () => {
  for (const f of FIGURES) {
    it(`${f.page}: ${String(f.onPage)} is ${f.run}'s figure in BENCHMARKS.md`, () => {
      const page = read(f.page)
      const { value, index } = capture(page, f.onPage, f.page)
      expect(blockAt(page, index), 'the paragraph names its run').toMatch(new RegExp(`\\b${f.run}\\b`))
      const exact = f.inBenchmarks()
      expect(roundsTo(exact, value), `${f.page} says ${value}; BENCHMARKS.md says ${exact}`).toBe(true)
    })
  }

  it('docs/benchmarks.md: every number of the summary table is in BENCHMARKS.md', () => {
    const bench = BENCH.replace(/(\d),(\d)/g, '$1$2')
    const rows = read('docs/benchmarks.md').split('\n').filter(l => /^\| (B\w+|soak) \|/.test(l))
    expect(rows.length).toBeGreaterThanOrEqual(9)
    const missing = rows.flatMap(row => {
      const [id = '', , , measured = ''] = row.split('|').slice(1).map(c => c.trim())
      return [...measured.replace(/\[[^\]]*\]\([^)]*\)/g, '').matchAll(/\d[\d,]*(?:\.\d+)?/g)]
        .map(m => m[0].replace(/,/g, ''))
        .filter(n => !new RegExp(`(?<![\\d.])${n.replace('.', '\\.')}(?![\\d])`).test(bench))
        .map(n => `${id}: ${n}`)
    })
    expect(missing).toEqual([])
  })

  it('compares at the precision written (negative control)', () => {
    expect(roundsTo(2.16, '2.2')).toBe(true)
    expect(roundsTo(2.16, '2.4')).toBe(false)
    expect(roundsTo(3404.3 / 1024, '3.3')).toBe(true)
    expect(roundsTo(1870, '1,870')).toBe(true)
    expect(roundsTo(1870, '150')).toBe(false)
  })
})
