/**
 * The value ranges docs/configuration.md gives the --tracker.* and --storage.* flags ("More on
 * each flag": "(2-1000)", "(1s-7d)", "(at least 100ms)", "0 turns it off", "0 for none") are
 * the ones buildConfig enforces: each bound is accepted, one step past it is refused with an
 * error naming the flag. The ranges are read from the page, so a page and a parser that part
 * ways fail here; a flag whose row names no range must take every whole number from 0.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/config/config-error.js'
import { buildConfig } from '../../src/config/parse.js'
import type { RawConfig } from '../../src/config/parse.js'

const PAGE = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8')
const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

interface FlagRow { flag: string, kind: 'N' | 'DURATION', meaning: string }

/** The hand-written table's rows of --tracker.* and --storage.* flags that take a number or a duration. */
function rows (): FlagRow[] {
  return [...PAGE.matchAll(/^\| `--((?:tracker|storage)\.[\w-]+)=(N|K|DURATION)` \| [^|]+ \| (.+) \|$/gm)]
    .map(m => ({ flag: m[1] as string, kind: m[2] === 'DURATION' ? 'DURATION' : 'N', meaning: m[3] as string }))
}

const toMs = (text: string): number => {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text)
  if (m === null) throw new Error(`not a duration: ${text}`)
  return Number(m[1]) * (UNITS_MS[m[2] as string] as number)
}

/** The bounds the row states: [min, max] in the flag's own unit (ms for durations); whether 0 is documented as "off". */
function documentedRange (row: FlagRow): { min: number, max: number | undefined, zeroIsOff: boolean } {
  const zeroIsOff = /(^|\W)`?0`? (turns|for none|for no)/.test(row.meaning)
  const value = (text: string): number => row.kind === 'N' ? Number(text) : toMs(text)
  const range = /\((\w+)-(\w+)\)/.exec(row.meaning)
  if (range !== null) return { min: value(range[1] as string), max: value(range[2] as string), zeroIsOff }
  const atLeast = /\(at least (\w+)\)/.exec(row.meaning)
  if (atLeast !== null) return { min: value(atLeast[1] as string), max: undefined, zeroIsOff }
  return { min: 0, max: undefined, zeroIsOff }
}

function build (flag: string, value: string): unknown {
  const raw: RawConfig = { [flag]: value } as unknown as RawConfig
  return buildConfig(raw)
}

const text = (row: FlagRow, n: number): string => row.kind === 'N' ? String(n) : `${n}ms`

describe('the documented ranges of --tracker.* and --storage.* flags', () => {
  it('reads every such flag from the page, with the ranges it states', () => {
    const found = Object.fromEntries(rows().map(r => [r.flag, documentedRange(r)]))
    expect(found).toEqual({
      'tracker.max-peer-series': { min: 0, max: undefined, zeroIsOff: true },
      'tracker.report-interval': { min: 0, max: undefined, zeroIsOff: true },
      'tracker.report-peers': { min: 0, max: undefined, zeroIsOff: false },
      'tracker.flapping-sessions': { min: 2, max: 1000, zeroIsOff: false },
      'tracker.flapping-window': { min: 1000, max: 7 * 86_400_000, zeroIsOff: false },
      'tracker.history-peers': { min: 1, max: 10_000_000, zeroIsOff: false },
      'tracker.history-sessions': { min: 1, max: 1000, zeroIsOff: false },
      'tracker.rtt-sample-interval': { min: 100, max: undefined, zeroIsOff: true },
      'storage.flush-interval': { min: 100, max: 600_000, zeroIsOff: false }
    })
  })

  for (const row of rows()) {
    const { min, max, zeroIsOff } = documentedRange(row)
    const accepted = [...new Set([text(row, min), ...(max === undefined ? [] : [text(row, max)]), ...(zeroIsOff ? ['0'] : [])])]
    it(`--${row.flag}: accepts ${accepted.join(', ')}; refuses one step beyond each bound`, () => {
      expect(() => build(row.flag, text(row, min))).not.toThrow()
      if (max !== undefined) expect(() => build(row.flag, text(row, max))).not.toThrow()
      if (zeroIsOff) expect(() => build(row.flag, '0')).not.toThrow()
      const refused = (value: string): void => {
        let error: unknown
        try { build(row.flag, value) } catch (err) { error = err }
        expect(error, `--${row.flag}=${value}`).toBeInstanceOf(ConfigError)
        expect((error as Error).message).toMatch(new RegExp(`^--${row.flag.replace('.', '\\.')}: `))
      }
      if (min > 0 && !(zeroIsOff && min - 1 === 0)) refused(text(row, min - 1))
      if (min > 0 && !zeroIsOff && row.kind === 'DURATION') refused('0')
      if (min === 0) refused('-1')
      if (max !== undefined) refused(text(row, max + 1))
    })
  }
})
