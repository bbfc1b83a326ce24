/**
 * Top self-time items of a V8 .cpuprofile (what `node --cpu-prof` and the inspector's
 * Profiler write): `tsx bench/profile-summary.ts FILE.cpuprofile [N]`. Self time is summed per
 * function (name + file + line), and per package/area, as a share of all samples.
 */
import { readFileSync } from 'node:fs'

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, hitCount?: number, children?: number[] }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

export interface SelfItem { name: string, ms: number, share: number }

/** Where a script belongs: a package under node_modules, this project's src/, node internals. */
export function areaOf (url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)'
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (nm !== null) return nm[1] as string
  if (url.startsWith('node:')) return 'node:' + (url.slice(5).split('/')[0] ?? '')
  const src = /\/(src|bench)\/(.*)$/.exec(url)
  if (src !== null) return `${src[1] ?? ''}/${(src[2] ?? '').split('/')[0] ?? ''}`
  return url
}

/** A frame of this project's src/ (not a package, not the bench). */
function isProject (url: string): boolean {
  return !url.includes('node_modules') && /\/src\//.test(url)
}

/**
 * The wrappers watchLocalClose puts on each connection's close() and abort(): their callees
 * are libp2p's own close work, which the plain node does as well, so a sample under them
 * (and under no other project frame) is not counted as the tracker's.
 */
const PASS_THROUGH = new Set(['connection.close', 'connection.abort'])

export interface ProjectShare {
  /** Self time in the project's frames. */
  selfMs: number
  /** Samples with a project frame on the stack (the tracker's code and what it calls). */
  inclusiveMs: number
}

export function summarize (profile: Profile): { totalMs: number, idleMs: number, byFunction: SelfItem[], byArea: SelfItem[], project: ProjectShare } {
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const project: ProjectShare = { selfMs: 0, inclusiveMs: 0 }
  const selfUs = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  const fn = new Map<string, number>()
  const area = new Map<string, number>()
  let total = 0
  for (const [id, us] of selfUs) {
    const node = byId.get(id)
    if (node === undefined) continue
    const { functionName, url, lineNumber } = node.callFrame
    const file = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench)\//, '$1/')
    const key = `${functionName === '' ? '(anonymous)' : functionName} ${file}${url === '' ? '' : ':' + String(lineNumber + 1)}`
    fn.set(key, (fn.get(key) ?? 0) + us)
    const a = areaOf(url, functionName)
    area.set(a, (area.get(a) ?? 0) + us)
    total += us
    if (isProject(url)) project.selfMs += us / 1000
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)?.callFrame
      if (frame !== undefined && isProject(frame.url) && !PASS_THROUGH.has(frame.functionName)) { project.inclusiveMs += us / 1000; break }
    }
  }
  const list = (m: Map<string, number>): SelfItem[] => [...m].map(([name, us]) => ({ name, ms: us / 1000, share: us / total })).sort((a, b) => b.ms - a.ms)
  return { totalMs: total / 1000, idleMs: (area.get('(idle)') ?? 0) / 1000, byFunction: list(fn), byArea: list(area), project }
}

if (process.argv[1]?.endsWith('profile-summary.ts') === true) {
  const n = Number(process.argv[3] ?? 15)
  for (const file of process.argv.slice(2).filter(a => a.endsWith('.cpuprofile'))) {
    const s = summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile)
    const busy = s.totalMs - s.idleMs
    process.stdout.write(`\n${file}: ${(s.totalMs / 1000).toFixed(2)} s sampled, ${(busy / 1000).toFixed(2)} s not idle; ` +
      `the project's src/: ${(s.project.selfMs / 1000).toFixed(2)} s self (${(100 * s.project.selfMs / busy).toFixed(1)}% of not idle), ` +
      `${(s.project.inclusiveMs / 1000).toFixed(2)} s with its frames on the stack (${(100 * s.project.inclusiveMs / busy).toFixed(1)}%)\n  by area:\n`)
    for (const i of s.byArea.slice(0, n)) process.stdout.write(`    ${(i.share * 100).toFixed(1).padStart(5)}%  ${i.ms.toFixed(0).padStart(7)} ms  ${i.name}\n`)
    process.stdout.write('  by function (self):\n')
    for (const i of s.byFunction.slice(0, n)) process.stdout.write(`    ${(i.share * 100).toFixed(1).padStart(5)}%  ${i.ms.toFixed(0).padStart(7)} ms  ${i.name}\n`)
  }
}
