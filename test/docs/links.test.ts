/**
 * Every relative link in README.md and docs/ points at a file that exists, and every
 * #anchor at a heading of that file (GitHub's heading slugs).
 */
import { existsSync } from 'node:fs'
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

  it('computes GitHub anchors the way GitHub does', () => {
    const anchors = headingAnchors('# A `flag` & co.\n## Runbook: LibP2PTrackerNoPeers\n## Twice\n## Twice\n```\n# not a heading\n```\n')
    expect([...anchors]).toEqual(['a-flag--co', 'runbook-libp2ptrackernopeers', 'twice', 'twice-1'])
  })
})
