/**
 * Every relative link in README.md and docs/ points at a file that exists, and every
 * #anchor at a heading of that file (GitHub's heading slugs). The same for the pointers in
 * the comments of the files users copy (docker-compose.yml, prometheus.yml, rules/*.yml, the
 * Dockerfile, deploy/**, alertmanager/): a repository path (`docs/x.md`, `test/...`,
 * `prometheus/targets/README.md`) exists, its `#anchor` is a heading there, and a section
 * named after it (`docs/x.md, "Section"`) is a heading of that file; a bare "the README" with
 * no section is refused, as README sections have moved to docs/ before.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { readFile, readdir } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

async function markdownFiles (): Promise<string[]> {
  const docs = (await readdir(join(ROOT, 'docs'), { recursive: true }))
    .filter(f => f.endsWith('.md'))
    .map(f => join(ROOT, 'docs', f))
  return [join(ROOT, 'README.md'), ...docs]
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors (markdown: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  let inFence = false
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence
    if (inFence) continue
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (heading === null) continue
    const text = (heading[1] ?? '')
      .replace(/`([^`]*)`/g, '$1')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
    const base = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    anchors.add(n === 0 ? base : `${base}-${n}`)
  }
  // Explicit <a id="..."> / name anchors count too.
  for (const m of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1] as string)
  return anchors
}

/** [text](target) links outside code fences and inline code, with their line numbers. */
function links (markdown: string): Array<{ target: string, line: number }> {
  const found: Array<{ target: string, line: number }> = []
  let inFence = false
  markdown.split('\n').forEach((line, i) => {
    if (/^\s*(```|~~~)/.test(line)) { inFence = !inFence; return }
    if (inFence) return
    const text = line.replace(/`[^`]*`/g, '')
    for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) found.push({ target: m[1] as string, line: i + 1 })
  })
  return found
}

describe('links in README.md and docs/', () => {
  it('resolve: every relative file exists and every anchor is a heading there', async () => {
    const broken: string[] = []
    let checked = 0
    const anchorCache = new Map<string, Set<string>>()
    const anchorsOf = async (file: string): Promise<Set<string>> => {
      let anchors = anchorCache.get(file)
      if (anchors === undefined) {
        anchors = headingAnchors(await readFile(file, 'utf8'))
        anchorCache.set(file, anchors)
      }
      return anchors
    }
    for (const file of await markdownFiles()) {
      const markdown = await readFile(file, 'utf8')
      for (const { target, line } of links(markdown)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // http:, https:, mailto:
        checked++
        const [path = '', anchor] = target.split('#')
        const where = `${relative(ROOT, file)}:${line} -> ${target}`
        const targetFile = path === '' ? file : resolve(dirname(file), decodeURIComponent(path))
        if (!existsSync(targetFile)) { broken.push(`${where} (no such file)`); continue }
        if (anchor !== undefined && anchor !== '' && targetFile.endsWith('.md') && !(await anchorsOf(targetFile)).has(anchor)) {
          broken.push(`${where} (no such heading)`)
        }
      }
    }
    expect(checked).toBeGreaterThan(10)
    expect(broken).toEqual([])
  })

  it('point at README sections by link, never as a bare "the README" (its sections moved to docs/ before)', async () => {
    const vague: string[] = []
    for (const file of await markdownFiles()) {
      if (file.endsWith('README.md')) continue
      const markdown = await readFile(file, 'utf8')
      markdown.split('\n').forEach((line, i) => {
        const text = line.replace(/`[^`]*`/g, '').replace(/\[[^\]]*\]\([^)]*\)/g, '')
        if (/\bREADME\b(?!\.md)/.test(text)) vague.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`)
      })
    }
    expect(vague).toEqual([])
  })

  it('computes GitHub anchors the way GitHub does', () => {
    const anchors = headingAnchors('# A `flag` & co.\n## Runbook: LibP2PTrackerNoPeers\n## Twice\n## Twice\n```\n# not a heading\n```\n')
    expect([...anchors]).toEqual(['a-flag--co', 'runbook-libp2ptrackernopeers', 'twice', 'twice-1'])
  })
})

// ---- pointers in config-file comments ------------------------------------------------------

/** The files users copy whose comments point into the repository. */
function configFiles (): string[] {
  const walk = (dir: string): string[] => readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap(e => {
    const path = join(dir, e.name)
    return e.isDirectory() ? walk(path) : [path]
  })
  return [
    'docker-compose.yml', 'prometheus.yml', 'Dockerfile',
    ...walk('rules').filter(f => /\.ya?ml$/.test(f)),
    ...walk('alertmanager'),
    ...walk('deploy')
  ].filter(f => !f.endsWith('.ts')) // deploy/kubernetes/generate.ts is code, checked by the TypeScript compiler
}

/** The comment text of a config file (YAML, Dockerfile, systemd unit, env file), with line numbers: `#` to the end of the line. */
function comments (text: string): Array<{ text: string, line: number }> {
  return text.split('\n').flatMap((line, i) => {
    const m = /(?:^|\s)#\s?(.*)$/.exec(line)
    return m === null ? [] : [{ text: m[1] as string, line: i + 1 }]
  })
}

const TOP_DIRS = ['docs', 'test', 'rules', 'grafana', 'deploy', 'prometheus', 'alertmanager', 'src', 'bench', 'examples']

/** Problems with the pointers of one comment text, as "what (why)". */
function pointerProblems (text: string, fromDir: string, anchorsOf: (file: string) => Set<string>): string[] {
  const problems: string[] = []
  const path = new RegExp(`(?<![\\w/.:-])((?:${TOP_DIRS.join('|')})/[\\w./-]*[\\w-]|README\\.md|[\\w-]+\\.md)(#[\\w-]+)?(?:,\\s*"([^"]+)")?`, 'g')
  for (const m of text.matchAll(path)) {
    const [, target = '', anchor, section] = m
    const file = [join(ROOT, target), resolve(fromDir, target)].find(f => existsSync(f))
    if (file === undefined) { problems.push(`${target} (no such file)`); continue }
    if (anchor !== undefined && !anchorsOf(file).has(anchor.slice(1))) problems.push(`${target}${anchor} (no such heading)`)
    if (section !== undefined && ![...anchorsOf(file)].some(a => a.startsWith(headingAnchors(`# ${section}`).values().next().value as string))) {
      problems.push(`${target}, "${section}" (no such heading)`)
    }
  }
  // "the README" / "README," with no path: which README, which section?
  for (const m of text.matchAll(/(?<![\w/.-])README(?!\.md)\b/g)) problems.push(`"${text.slice(Math.max(0, (m.index ?? 0) - 4), (m.index ?? 0) + 20).trim()}" (a README section without a path: point at docs/x.md#section)`)
  return problems
}

describe('pointers in the comments of the config files users copy', () => {
  const cache = new Map<string, Set<string>>()
  const anchorsOf = (file: string): Set<string> => {
    let anchors = cache.get(file)
    if (anchors === undefined) {
      anchors = file.endsWith('.md') ? headingAnchors(readFileSync(file, 'utf8')) : new Set()
      cache.set(file, anchors)
    }
    return anchors
  }

  it('resolve: every repository path exists, every anchor and named section is a heading there', () => {
    const files = configFiles()
    expect(files).toEqual(expect.arrayContaining(['docker-compose.yml', 'prometheus.yml', 'Dockerfile', 'rules/alerts.yml', 'alertmanager/alertmanager.yml', 'deploy/systemd/libp2p-peer-tracker.service']))
    const broken: string[] = []
    let checked = 0
    for (const file of files) {
      for (const { text, line } of comments(readFileSync(join(ROOT, file), 'utf8'))) {
        if (/(?<![\w/.:-])((?:docs|test|rules|grafana|deploy|prometheus|alertmanager|src|bench|examples)\/|[\w-]+\.md)/.test(text)) checked++
        for (const problem of pointerProblems(text, dirname(join(ROOT, file)), anchorsOf)) broken.push(`${file}:${line}: ${problem}`)
      }
    }
    expect(checked).toBeGreaterThan(10)
    expect(broken).toEqual([])
  })

  it('finds a missing file, a missing anchor or section, and a README pointer without a path (negative control)', () => {
    const problems = (text: string): string[] => pointerProblems(text, ROOT, anchorsOf)
    expect(problems('see docs/monitoring.md#long-term-storage-remote_write and test/stack/compose.test.ts')).toEqual([])
    expect(problems('see docs/monitoring.md, "Long-term storage"')).toEqual([])
    expect(problems('see docs/no-such-page.md')).toEqual(['docs/no-such-page.md (no such file)'])
    expect(problems('see docs/monitoring.md#no-such-heading')).toEqual(['docs/monitoring.md#no-such-heading (no such heading)'])
    expect(problems('see docs/monitoring.md, "No such section"')).toEqual(['docs/monitoring.md, "No such section" (no such heading)'])
    expect(problems('See the README, "Long-term storage".')).toHaveLength(1)
    expect(problems('(see its README.md)')).toEqual([]) // a path: at the root or beside the file
  })
})
