/**
 * The list of promises in docs/development.md ("Promises and their tests"): one table, each
 * row a promise and the tests that fail if it breaks (`file` › the start of a test's name),
 * or `softened` / `not ours`. This test fails when README.md or a page of docs/ names a flag
 * (`--x.y`), a metric (`libp2p_tracker_*`), an endpoint (`/api/...`, `/-/...`) or an exit code
 * that no row mentions, and when a row names a test file or a test that does not exist.
 * New pages of docs/ are read as they appear.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { INTERNAL_ERROR_COMPONENTS } from '../../src/tracker/reliability-counters.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8')
const LIST_PAGE = 'docs/development.md'
const LIST_HEADING = '## Promises and their tests'

/** README.md and every page of docs/. */
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter(f => f.endsWith('.md')).sort().map(f => `docs/${f}`)]

interface Row { promise: string, checkedBy: string, line: number }

/** The rows of the list's table. */
export function listRows (page: string): Row[] {
  const start = page.indexOf(`\n${LIST_HEADING}\n`)
  if (start < 0) throw new Error(`${LIST_PAGE}: no "${LIST_HEADING}" section`)
  const firstLine = page.slice(0, start).split('\n').length + 1
  const section = page.slice(start + 1).split(/\n(?=## )/)[0] as string
  return section.split('\n').flatMap((line, i) => {
    if (!line.startsWith('| ') || /^\|\s*-/.test(line) || line.startsWith('| promise |')) return []
    const cells = line.slice(1, -1).split(/(?<!\\)\|/).map(c => c.trim())
    return [{ promise: cells.slice(0, -1).join(' | '), checkedBy: cells.at(-1) ?? '', line: firstLine + i }]
  })
}

/** The flags, metrics, endpoints and exit codes a text names, normalised. */
export function namedThings (text: string): string[] {
  const found = new Set<string>()
  for (const m of text.matchAll(/(?<![\w-])--[a-z0-9-]+\.[a-zA-Z0-9.-]*[a-zA-Z0-9]/g)) found.add(m[0])
  for (const m of text.matchAll(/\blibp2p_tracker_[a-z0-9_]*[a-z0-9]/g)) found.add(m[0].replace(/_(bucket|count|sum|created)$/, ''))
  for (const m of text.matchAll(/(?<![\w.])\/(?:api|-)\/[A-Za-z0-9_{}/.-]*[A-Za-z0-9_}]/g)) found.add(m[0].replace(/\{[^}]*\}/g, '{peerId}'))
  for (const m of text.matchAll(/\bexit(?:s|ing)?(?: with)?(?: code| status)? ([0-9])\b/gi)) found.add(`exit code ${m[1] as string}`)
  return [...found].sort()
}

/** Whether the list's promises mention `thing` (a counter with or without `_total`). */
function mentioned (thing: string, listText: string): boolean {
  const escaped = (s: string): RegExp => new RegExp(`(?<![\\w-])${s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?![\\w-])`)
  const forms = thing.startsWith('libp2p_tracker_') ? [thing, `${thing}_total`, thing.replace(/_total$/, '')] : [thing]
  return forms.some(f => escaped(f).test(listText))
}

/** The titles of the tests in a file: it('...') and test('...'), unescaped. */
function testTitles (file: string): string[] {
  return [...read(file).matchAll(/\b(?:it|test)\((['"`])((?:\\.|(?!\1)[^\\])*)\1/g)].map(m => (m[2] as string).replace(/\\(.)/g, '$1'))
}

/** What is wrong with one "checked by" cell. */
function checkedByProblems (cell: string): string[] {
  if (cell === 'not ours' || cell.startsWith('softened')) return []
  const refs = cell.split(/;\s*/)
  return refs.flatMap(ref => {
    const m = /^`(test\/[^`]+\.test\.ts)` › (.+)$/.exec(ref.trim())
    if (m === null) return [`"${ref}" is not \`test/file.test.ts\` › test name`]
    const [, file = '', name = ''] = m
    if (!existsSync(join(ROOT, file))) return [`${file}: no such file`]
    const start = name.replace(/…$/, '').trim()
    return testTitles(file).some(t => t.startsWith(start)) ? [] : [`${file}: no test named "${start}…"`]
  })
}

describe('the list of promises in docs/development.md', () => {
  const rows = listRows(read(LIST_PAGE))
  const promises = rows.map(r => r.promise).join('\n')

  it('mentions every flag, metric, endpoint and exit code that README.md and docs/ name', () => {
    expect(rows.length).toBeGreaterThan(30)
    const missing = PAGES.flatMap(page => namedThings(read(page)).filter(t => !mentioned(t, promises)).map(t => `${page}: ${t}`))
    expect(missing).toEqual([])
  })

  it('names, for each promise, tests that exist (or says softened / not ours)', () => {
    const problems = rows.flatMap(r => checkedByProblems(r.checkedBy).map(p => `${LIST_PAGE}:${r.line}: ${p}`))
    expect(problems).toEqual([])
  })

  it('finds a new flag, metric, endpoint or exit code, and a test that does not exist (negative control)', () => {
    const page = 'Set `--web.brand-new=1`; watch `libp2p_tracker_brand_new_total` and `libp2p_tracker_peer_rtt_seconds_bucket`; GET `/api/v2/brand-new/{id}` or /-/quit; it exits with code 3.'
    expect(namedThings(page)).toEqual(['--web.brand-new', '/-/quit', '/api/v2/brand-new/{peerId}', 'exit code 3', 'libp2p_tracker_brand_new_total', 'libp2p_tracker_peer_rtt_seconds'])
    expect(namedThings(page).filter(t => !mentioned(t, promises))).toEqual(['--web.brand-new', '/-/quit', '/api/v2/brand-new/{peerId}', 'exit code 3', 'libp2p_tracker_brand_new_total'])
    expect(mentioned('libp2p_tracker_peer_connects', '`libp2p_tracker_peer_connects_total`')).toBe(true)
    expect(mentioned('--p2p.dht', '`--p2p.dht-address-filter`')).toBe(false)
    expect(checkedByProblems('`test/unit/ip-filter.test.ts` › lets deny win over an overlapping allow')).toEqual([])
    expect(checkedByProblems('`test/unit/ip-filter.test.ts` › no such test; `test/unit/nope.test.ts` › x; free text')).toEqual([
      'test/unit/ip-filter.test.ts: no test named "no such test…"', 'test/unit/nope.test.ts: no such file', '"free text" is not `test/file.test.ts` › test name'
    ])
  })
})

/** Every test file under test/, by path. */
function testFiles (): string[] {
  const walk = (dir: string): string[] => readdirSync(join(ROOT, dir), { withFileTypes: true })
    .flatMap(e => e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [])
  return walk('test')
}

/**
 * The test references of a page ("`test/x.test.ts` › a test's name …", also by file name
 * alone, and "; › another name" for the same file) that name no existing file or test.
 */
function brokenTestReferences (page: string, files: string[]): string[] {
  const broken: string[] = []
  page.split('\n').forEach((line, i) => {
    let file: string | undefined
    for (const m of line.matchAll(/`((?:test\/)?[\w/.-]+\.test\.ts)`|›\s*([^;|`›]+)/g)) {
      if (m[1] !== undefined) {
        const ref = m[1]
        file = files.find(f => f === ref || f.endsWith(`/${ref}`))
        if (file === undefined) broken.push(`${i + 1}: ${ref} (no such test file)`)
      } else if (file !== undefined) {
        const name = (m[2] as string).split('…')[0]?.trim().replace(/[.,]$/, '') ?? ''
        if (!testTitles(file).some(t => t.startsWith(name))) broken.push(`${i + 1}: ${file} › "${name}" (no such test)`)
      }
    }
  })
  return broken
}

describe('test references in README.md and docs/', () => {
  it('name test files and tests that exist', () => {
    const files = testFiles()
    const broken = PAGES.flatMap(page => brokenTestReferences(read(page), files).map(b => `${page}:${b}`))
    expect(broken).toEqual([])
  })

  it('finds a renamed test and a missing file (negative control)', () => {
    const files = testFiles()
    expect(brokenTestReferences('| x | `hostile-peers.test.ts` › refuses peers outside --p2p.allow-cidr …; › no such name |', files))
      .toEqual(['1: test/e2e/hostile-peers.test.ts › "no such name" (no such test)'])
    expect(brokenTestReferences('see `test/unit/gone.test.ts`', files)).toEqual(['1: test/unit/gone.test.ts (no such test file)'])
  })
})

/** Statements the pages make about the repository itself, checked against it. */
describe('statements about the repository', () => {
  it('README.md names every Debian package .ci/run installs for npm test (the command or the package)', () => {
    const needs = [...read('.ci/run').matchAll(/command -v (\S+) .*need_apt\+=\((\S+)\)/g)].map(m => ({ command: m[1] as string, pkg: m[2] as string }))
    expect(needs.length).toBeGreaterThan(5)
    const readme = read('README.md')
    const sentence = /`npm test` needs Debian's([\s\S]*?);/.exec(readme)?.[1] ?? ''
    expect(sentence).not.toBe('')
    const missing = needs.filter(n => !sentence.includes(`\`${n.command}\``) && !sentence.includes(`\`${n.pkg}\``)).map(n => n.pkg)
    expect([...new Set(missing)]).toEqual([])
  })

  it('every page that lists the internal-error components lists all of them', () => {
    const lists = PAGES.flatMap(page => read(page).split(/\n\s*\n/)
      .filter(p => p.includes('`libp2p_event`') && p.includes('`unhandled_rejection`'))
      .map(p => ({ page, missing: INTERNAL_ERROR_COMPONENTS.filter(c => !p.includes(`\`${c}\``)) })))
    expect(lists.length).toBeGreaterThanOrEqual(3) // metrics.md, monitoring.md, alerts.md, security.md
    expect(lists.filter(l => l.missing.length > 0)).toEqual([])
  })

  it('docs/fleet.md says how the fleet test starts VictoriaMetrics: the flags it names are the ones test/support/stack/fleet.ts passes', () => {
    const paragraph = /The test \(`startVictoriaMetrics`[\s\S]*?\n\n/.exec(read('docs/fleet.md'))?.[0] ?? ''
    const named = [...paragraph.matchAll(/`(-[\w.]+)(=[^`]*)?`/g)].map(m => m[1] as string)
    expect(named.length).toBeGreaterThanOrEqual(3)
    const started = [...read('test/support/stack/fleet.ts').matchAll(/[`']-([\w.]+)[=`']/g)].map(m => `-${m[1] as string}`)
    expect(named.filter(f => !started.includes(f))).toEqual([])
    // and the values it gives are the ones passed
    for (const m of paragraph.matchAll(/`(-[\w.]+=[^`]+)`/g)) expect(read('test/support/stack/fleet.ts')).toContain(m[1])
  })

  it('docs/development.md counts the test files to within 10 %', () => {
    const written = Number(/about (\d+) test files/.exec(read(LIST_PAGE))?.[1])
    const actual = testFiles().length
    expect(Math.abs(written - actual), `the page says ${written}, test/ has ${actual}`).toBeLessThanOrEqual(Math.ceil(actual * 0.1))
  })
})
