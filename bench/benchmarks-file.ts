/**
 * BENCHMARKS.md has one section per writer (`npm run bench`, `npm run soak`), each between
 * `<!-- NAME:start -->` and `<!-- NAME:end -->`. A writer replaces only its own section, so a
 * bench run keeps the last soak result and the other way round.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const FILE = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url))

/** The file with `name`'s section set to `body`: replaced in place, or added at the end. */
export function withSection (current: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const section = `${start}\n${body.trim()}\n${end}`
  const from = current.indexOf(start)
  const to = current.indexOf(end, from)
  if (from !== -1 && to !== -1) return current.slice(0, from) + section + current.slice(to + end.length)
  return `${current.trimEnd()}\n\n${section}\n`
}

export function writeSection (name: string, body: string): void {
  const current = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '# Benchmarks\n'
  writeFileSync(FILE, withSection(current, name, body))
}
