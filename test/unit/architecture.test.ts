/**
 * The import graph of src/, read with TypeScript's own preProcessFile: no import cycle
 * anywhere in src/ (type-only imports included), the pure tracker (src/tracker) imports
 * nothing from the rest of src/, and the pure parts (src/tracker, src/insight) no package and
 * no `node:` module (type-only and dynamic imports included: "no libp2p, no I/O") and use no
 * timer, process, network or module-loading global ("no timers"); insight reaches only the
 * tracker. src/ never imports test/ or bench/, and the swarm and demo
 * tooling (src/swarm) stays apart from the tracker: within src/ only src/cli/ imports it,
 * through src/swarm/index.ts, and it reaches nothing of src/service, src/metrics, src/http
 * or src/web-security, directly or through other files.
 * The two packages: the library's half of src/ (what src/index.ts reaches) imports nothing of the
 * CLI's, each package.json lists exactly the packages its half imports, and the library's
 * `files` pack exactly its half.
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

/** Every module a source text imports or re-exports (static, type-only and dynamic), as written. */
function specifiersOf (text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map(f => f.fileName)
}

/** Relative imports and re-exports of one file, resolved to paths under the repository (`.js` -> `.ts`). */
function importsOf (file: string): string[] {
  return specifiersOf(readFileSync(file, 'utf8'))
    .filter(name => name.startsWith('.'))
    .map(name => resolve(dirname(file), name).replace(/\.js$/, '.ts'))
}

/** Package and `node:` imports of one file (everything not relative), as written. */
const externalImportsOf = (text: string): string[] => specifiersOf(text).filter(name => !name.startsWith('.'))

/** Globals that start timers, touch the process, the network or the file system, or load modules. */
const IMPURE_GLOBALS = new Set(['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'process', 'fetch', 'require', 'WebSocket', 'XMLHttpRequest', 'Worker', 'globalThis'])

/** Uses of IMPURE_GLOBALS in a source text (not property names like `x.process`), as "name:line". */
function impureGlobalsIn (text: string): string[] {
  const source = ts.createSourceFile('file.ts', text, ts.ScriptTarget.Latest, true)
  const found: string[] = []
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && IMPURE_GLOBALS.has(node.text)) {
      const parent = node.parent
      const isPropertyName = (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
        ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent) || ts.isMethodDeclaration(parent) || ts.isPropertySignature(parent)) && parent.name === node)
      if (!isPropertyName) found.push(`${node.text}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
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

/** A test of a path: the file is in `src/<dir>/`. */
const under = (...dirs: string[]) => (file: string): boolean => dirs.some(dir => file.startsWith(`${join(SRC, dir)}/`))

/** The imports of files matching `from` that lead to files matching `to`, as "file -> import". */
function crossings (edges: Map<string, string[]>, from: (file: string) => boolean, to: (file: string) => boolean): string[] {
  return [...edges].flatMap(([file, imports]) => from(file)
    ? imports.filter(to).map(i => `${rel(file)} -> ${rel(i)}`)
    : [])
}

/**
 * The files matching `to` that files matching `from` reach, directly or through other files
 * of the graph, each as its shortest import chain "a -> b -> c" (a breadth-first walk from
 * all of `from` at once, which stops at the files matching `to`).
 */
function reaches (edges: Map<string, string[]>, from: (file: string) => boolean, to: (file: string) => boolean): string[] {
  const cameFrom = new Map<string, string | undefined>()
  const queue = [...edges.keys()].filter(from).sort()
  for (const start of queue) cameFrom.set(start, undefined)
  const found: string[] = []
  for (let i = 0; i < queue.length; i++) {
    const file = queue[i] as string
    if (to(file)) {
      const chain: string[] = []
      for (let at: string | undefined = file; at !== undefined; at = cameFrom.get(at)) chain.unshift(rel(at))
      found.push(chain.join(' -> '))
      continue
    }
    for (const next of [...(edges.get(file) ?? [])].sort()) {
      if (cameFrom.has(next)) continue
      cameFrom.set(next, file)
      queue.push(next)
    }
  }
  return found
}

/** The folders of the tracker proper that the swarm may not reach. */
const TRACKER_DIRS = ['service', 'metrics', 'http', 'web-security']

/** The swarm and demo tooling: who may import it, how, and what it may not reach. */
const SWARM = {
  files: under('swarm'),
  entry: join(SRC, 'swarm', 'index.ts'),
  importers: under('cli', 'swarm'),
  tracker: under(...TRACKER_DIRS)
}

/** Where the swarm and the tracker meet, as "file -> import" or an import chain; none in a sound graph. */
function swarmBoundaryProblems (edges: Map<string, string[]>): { importedBy: string[], notThroughEntry: string[], reachesTracker: string[] } {
  return {
    importedBy: crossings(edges, file => !SWARM.importers(file), SWARM.files),
    notThroughEntry: crossings(edges, file => !SWARM.files(file), file => SWARM.files(file) && file !== SWARM.entry),
    reachesTracker: reaches(edges, SWARM.files, SWARM.tracker)
  }
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
    const tracker = under('tracker')
    expect(crossings(graph, tracker, i => !tracker(i))).toEqual([])
  })

  it('keeps the tracker and insight pure: no package, no node: module, no timer, process or network global', () => {
    const pure = [...graph.keys()].filter(under('tracker', 'insight'))
    expect(pure.filter(under('tracker')).length).toBeGreaterThan(3)
    expect(pure.filter(under('insight')).length).toBeGreaterThan(3)
    const problems = pure.flatMap(file => {
      const text = readFileSync(file, 'utf8')
      return [...externalImportsOf(text).map(i => `${rel(file)} imports ${i}`), ...impureGlobalsIn(text).map(g => `${rel(file)} uses ${g}`)]
    })
    expect(problems).toEqual([])
    // insight builds on the tracker and nothing else of src/ but the defaults (pure, imports nothing: below)
    expect(crossings(graph, under('insight'), i => !under('tracker', 'insight')(i) && i !== join(SRC, 'defaults.ts'))).toEqual([])
  })

  it('sees package, node: and type-only imports and impure globals (negative control)', () => {
    const text = [
      "import { readFile } from 'node:fs/promises'",
      "import type { Connection } from '@libp2p/interface'",
      "export { x } from 'libp2p'",
      "import { clock } from './clock.js'",
      'const later = async () => await import(\'node:net\')',
      'setTimeout(() => {}, 1)',
      'const o = { process: 1 }; o.process = 2; const setInterval = 3',
      'process.exit(1)'
    ].join('\n')
    expect(externalImportsOf(text).sort()).toEqual(['@libp2p/interface', 'libp2p', 'node:fs/promises', 'node:net'])
    expect(impureGlobalsIn(text)).toEqual(['setTimeout:6', 'setInterval:7', 'process:8'])
  })

  it('never imports test/ or bench/ from src/', () => {
    expect(crossings(graph, () => true, i => !i.startsWith(`${SRC}/`))).toEqual([])
  })

  it('keeps the swarm and demo tooling apart from the tracker', () => {
    // The rule holds on the real graph, which has a swarm the CLI imports.
    expect(swarmBoundaryProblems(graph)).toEqual({ importedBy: [], notThroughEntry: [], reachesTracker: [] })
    expect(crossings(graph, under('cli'), SWARM.files).length).toBeGreaterThan(0)
    expect([...graph.keys()].filter(SWARM.files).length).toBeGreaterThan(5)
    // Every folder the rule guards exists (a renamed folder would leave the rule guarding nothing).
    for (const dir of TRACKER_DIRS) expect([...graph.keys()].filter(under(dir)).length, dir).toBeGreaterThan(0)
    // src/swarm/index.ts says so.
    const header = /^\/\*\*[\s\S]*?\*\//.exec(readFileSync(SWARM.entry, 'utf8'))?.[0] ?? ''
    for (const phrase of ['src/cli/', 'src/service', 'src/metrics', 'src/http', 'src/web-security', 'test/unit/architecture.test.ts']) {
      expect(header, phrase).toContain(phrase)
    }
  })

  it('keeps the service and the library contract off the HTTP server: src/service/, src/peer-tracker.ts and src/index.ts reach nothing of src/http/', () => {
    const library = (file: string): boolean => under('service')(file) || [join(SRC, 'peer-tracker.ts'), join(SRC, 'index.ts')].includes(file)
    expect(graph.get(join(SRC, 'index.ts'))).toContain(join(SRC, 'peer-tracker.ts'))
    expect(reaches(graph, library, under('http'))).toEqual([])
  })

  it('finds a service file that imports src/http/, directly or through another file (negative control)', () => {
    const file = (path: string): string => join(SRC, path)
    const synthetic = new Map([
      [file('service/tracker-state.ts'), [file('insight/peer-views.ts'), file('http/api.ts')]],
      [file('service/peer-tracker-service.ts'), [file('metrics/definitions.ts')]],
      [file('metrics/definitions.ts'), [file('http/html.ts')]],
      [file('insight/peer-views.ts'), []],
      [file('http/api.ts'), []],
      [file('http/html.ts'), []]
    ])
    expect(reaches(synthetic, under('service'), under('http')).sort()).toEqual([
      'src/service/peer-tracker-service.ts -> src/metrics/definitions.ts -> src/http/html.ts',
      'src/service/tracker-state.ts -> src/http/api.ts'
    ])
  })

  it('keeps src/defaults.ts, the one definition of each default, free of imports', () => {
    expect(graph.get(join(SRC, 'defaults.ts'))).toEqual([])
  })

  it('finds every way the swarm and the tracker could meet (negative control)', () => {
    const file = (path: string): string => join(SRC, path)
    const synthetic = new Map([
      // allowed: the CLI through the entry point, the swarm's own files, the config
      [file('cli/demo-command.ts'), [file('swarm/index.ts')]],
      [file('swarm/index.ts'), [file('swarm/plan.ts'), file('swarm/options.ts')]],
      [file('swarm/plan.ts'), [file('swarm/prng.ts')]],
      [file('swarm/prng.ts'), []],
      // the tracker's service imports the swarm
      [file('service/peer-tracker-service.ts'), [file('swarm/index.ts')]],
      // the CLI goes around the entry point
      [file('cli/swarm-command.ts'), [file('swarm/plan.ts')]],
      // the swarm reaches the metrics and the web security through the config, and the HTTP server directly
      [file('swarm/options.ts'), [file('config/values.ts'), file('http/server.ts')]],
      [file('config/values.ts'), [file('config/config-error.ts'), file('web-security/web-config.ts')]],
      [file('config/config-error.ts'), [file('metrics/definitions.ts')]],
      [file('metrics/definitions.ts'), []],
      [file('web-security/web-config.ts'), []],
      [file('http/server.ts'), []]
    ])
    expect(swarmBoundaryProblems(synthetic)).toEqual({
      importedBy: ['src/service/peer-tracker-service.ts -> src/swarm/index.ts'],
      notThroughEntry: ['src/cli/swarm-command.ts -> src/swarm/plan.ts'],
      reachesTracker: [
        'src/swarm/options.ts -> src/http/server.ts',
        'src/swarm/options.ts -> src/config/values.ts -> src/web-security/web-config.ts',
        'src/swarm/options.ts -> src/config/values.ts -> src/config/config-error.ts -> src/metrics/definitions.ts'
      ]
    })
    // Without the bad edges, nothing is found.
    synthetic.delete(file('service/peer-tracker-service.ts'))
    synthetic.set(file('cli/swarm-command.ts'), [file('swarm/index.ts')])
    synthetic.set(file('swarm/options.ts'), [file('config/values.ts')])
    synthetic.set(file('config/values.ts'), [file('config/config-error.ts')])
    synthetic.set(file('config/config-error.ts'), [])
    expect(swarmBoundaryProblems(synthetic)).toEqual({ importedBy: [], notThroughEntry: [], reachesTracker: [] })
  })
})

/**
 * The two halves (docs/architecture.md): the library is the repository's root package
 * (libp2p-peer-tracker), the CLI is packages/cli (libp2p-peer-tracker-cli), compiled from all of
 * src/. The library's half is these folders and top-level files; everything else in src/ is the CLI's.
 */
const LIBRARY_DIRS = ['service', 'tracker', 'insight', 'metrics', 'runtime']
const LIBRARY_FILES = ['index.ts', 'peer-tracker.ts', 'defaults.ts', 'errors.ts', 'version.ts'].map(f => join(SRC, f))
const library = (file: string): boolean => under(...LIBRARY_DIRS)(file) || LIBRARY_FILES.includes(file)

interface Manifest { version: string, files?: string[], dependencies?: Record<string, string>, peerDependencies?: Record<string, string> }
const manifest = (path: string): Manifest => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as Manifest
const libraryPackage = manifest('package.json')
const cliPackage = manifest('packages/cli/package.json')

/** The npm packages (not `node:` modules) that these files import at run time (type-only imports need no install), by package name. */
function packagesImportedBy (files: string[]): string[] {
  const names = files.flatMap(file => {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
    const found: string[] = []
    const visit = (node: ts.Node): void => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined) {
        const typeOnly = ts.isImportDeclaration(node) ? node.importClause?.isTypeOnly === true : node.isTypeOnly
        if (!typeOnly) found.push((node.moduleSpecifier as ts.StringLiteral).text)
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && ts.isStringLiteral(node.arguments[0] as ts.Node)) {
        found.push((node.arguments[0] as ts.StringLiteral).text) // await import('@chainsafe/libp2p-quic')
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
    return found
  }).filter(name => !name.startsWith('.') && !name.startsWith('node:'))
  return [...new Set(names.map(name => name.split('/').slice(0, name.startsWith('@') ? 2 : 1).join('/')))].sort()
}

/** Whether a path of the package matches one of its `files` entries ("dist/x.*" or a folder "dist/service"). */
const packedBy = (patterns: string[]) => (path: string): boolean => patterns.some(p => p.endsWith('.*') ? path.startsWith(p.slice(0, -1)) : path === p || path.startsWith(`${p}/`))

describe('the two packages', () => {
  it('keeps the library half to itself: src/index.ts reaches only library files, and they import nothing of the CLI half', () => {
    const reached = reaches(graph, file => file === join(SRC, 'index.ts'), file => !library(file))
    expect(reached).toEqual([])
    expect(crossings(graph, library, i => !library(i))).toEqual([])
    for (const dir of LIBRARY_DIRS) expect([...graph.keys()].filter(under(dir)).length, dir).toBeGreaterThan(0)
    for (const file of LIBRARY_FILES) expect(graph.has(file), rel(file)).toBe(true)
  })

  it('gives the library exactly the dependencies its half imports, with libp2p as a peer', () => {
    const imported = packagesImportedBy([...graph.keys()].filter(library))
    expect(Object.keys(libraryPackage.peerDependencies ?? {})).toEqual(['libp2p'])
    expect([...Object.keys(libraryPackage.dependencies ?? {}), 'libp2p'].sort()).toEqual(imported)
    expect(Object.keys(libraryPackage.dependencies ?? {}).sort()).toEqual(['@libp2p/interface', 'prom-client'])
  })

  it('gives the CLI exactly the dependencies src/ imports (and uplot, whose files the peer view serves)', () => {
    const imported = packagesImportedBy([...graph.keys()])
    expect(Object.keys(cliPackage.dependencies ?? {}).sort()).toEqual([...imported, 'uplot'].sort())
    // src/http/peer-view/routes.ts reads uplot's files with require.resolve.
    expect(readFileSync(join(SRC, 'http/peer-view/routes.ts'), 'utf8')).toContain("require.resolve(`uplot/dist/")
    // One version for both, and the same ranges for what both need.
    expect(cliPackage.version).toBe(libraryPackage.version)
    const libraryRanges = { ...libraryPackage.dependencies, ...libraryPackage.peerDependencies }
    for (const [name, range] of Object.entries(libraryRanges)) expect(cliPackage.dependencies?.[name], name).toBe(range)
  })

  it('declares every package the repository\'s other code imports (npm\'s hoisting would hide one that is not)', () => {
    const root = manifest('package.json') as Manifest & { devDependencies: Record<string, string> }
    // The examples import the library by its own name (a package may import itself).
    const declared = new Set(['libp2p-peer-tracker', ...Object.keys({ ...root.dependencies, ...root.peerDependencies, ...root.devDependencies, ...cliPackage.dependencies })])
    const code = (dir: string): string[] => readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
      .filter(e => e.isFile() && /\.(ts|mjs)$/.test(e.name) && !e.parentPath.includes('node_modules'))
      .map(e => join(e.parentPath, e.name))
    const files = ['test', 'bench', 'grafana', 'deploy', 'docs', 'examples'].flatMap(code)
    expect(files.length).toBeGreaterThan(100)
    const undeclared = files.flatMap(file => specifiersOf(readFileSync(file, 'utf8'))
      .filter(name => !name.startsWith('.') && !name.startsWith('node:'))
      .map(name => name.split('/').slice(0, name.startsWith('@') ? 2 : 1).join('/'))
      .filter(name => !declared.has(name))
      .map(name => `${rel(file)} imports ${name}`))
    expect(undeclared).toEqual([])
  })

  it('packs exactly the library half into the library package', () => {
    const packed = packedBy(libraryPackage.files ?? [])
    const distOf = (file: string): string => `dist/${relative(SRC, file).replace(/\.ts$/, '.js')}`
    const files = [...graph.keys()]
    expect(files.filter(library).filter(f => !packed(distOf(f))).map(rel)).toEqual([])
    expect(files.filter(f => !library(f)).filter(f => packed(distOf(f))).map(rel)).toEqual([])
    expect(packed('dist/index.d.ts') && packed('dist/service/peer-tracker-service.js') && !packed('dist/cli/main.js')).toBe(true)
  })
})
