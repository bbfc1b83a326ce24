/**
 * The import graph of src/, read with TypeScript's own preProcessFile: no import cycle
 * anywhere in src/ (type-only imports included), the pure tracker (src/tracker) imports
 * nothing from the rest of src/, and src/ never imports test/ or bench/.
 * Run alone: npx vitest run test/unit/architecture.test.ts
 */
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const SRC = join(ROOT, 'src')

function sourceFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/** Relative imports and re-exports of one file, resolved to paths under the repository (`.js` -> `.ts`). */
function importsOf (file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
  return importedFiles
    .map(f => f.fileName)
    .filter(name => name.startsWith('.'))
    .map(name => resolve(dirname(file), name).replace(/\.js$/, '.ts'))
}

const rel = (path: string): string => relative(ROOT, path)
const graph = new Map(sourceFiles(SRC).map(file => [file, importsOf(file)]))

/** Every cycle, as the files on it (Tarjan's strongly connected components of more than one file, or a file importing itself). */
function cycles (edges: Map<string, string[]>): string[][] {
  let index = 0
  const indices = new Map<string, number>()
  const lowlinks = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (node: string): void => {
    indices.set(node, index)
    lowlinks.set(node, index)
    index++
    stack.push(node)
    onStack.add(node)
    for (const next of edges.get(node) ?? []) {
      if (!edges.has(next)) continue
      if (!indices.has(next)) {
        visit(next)
        lowlinks.set(node, Math.min(lowlinks.get(node) as number, lowlinks.get(next) as number))
      } else if (onStack.has(next)) {
        lowlinks.set(node, Math.min(lowlinks.get(node) as number, indices.get(next) as number))
      }
    }
    if (lowlinks.get(node) === indices.get(node)) {
      const component: string[] = []
      let member: string
      do {
        member = stack.pop() as string
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      if (component.length > 1 || (edges.get(node) ?? []).includes(node)) found.push(component.map(rel).sort())
    }
  }
  for (const node of edges.keys()) if (!indices.has(node)) visit(node)
  return found
}

describe('the architecture of src/', () => {
  it('reads every file of src/ and its imports', () => {
    expect(graph.size).toBeGreaterThan(50)
    expect(graph.get(join(SRC, 'app.ts'))).toContain(join(SRC, 'service/peer-tracker-service.ts'))
    // the checker finds a cycle when there is one
    expect(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c'].map(n => relative(ROOT, n)).sort()])
  })

  it('has no import cycle', () => {
    expect(cycles(graph)).toEqual([])
  })

  it('keeps the tracker pure: src/tracker imports nothing outside src/tracker', () => {
    const outside = [...graph].flatMap(([file, imports]) => file.startsWith(join(SRC, 'tracker/'))
      ? imports.filter(i => !i.startsWith(join(SRC, 'tracker/'))).map(i => `${rel(file)} -> ${rel(i)}`)
      : [])
    expect(outside).toEqual([])
  })

  it('never imports test/ or bench/ from src/', () => {
    const wrong = [...graph].flatMap(([file, imports]) => imports
      .filter(i => !i.startsWith(`${SRC}/`))
      .map(i => `${rel(file)} -> ${rel(i)}`))
    expect(wrong).toEqual([])
  })
})
