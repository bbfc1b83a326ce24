/**
 * Where time under matching frames comes from: `tsx bench/profile-callers.ts FILE.cpuprofile "<frame text>" [N]`
 * sums self time of samples with a frame whose "name file:line" contains the text, by that
 * frame and its 3 callers (e.g. " src/" for this project's code, "getConnections" for libp2p's).
 */
import { readFileSync } from 'node:fs'

/** What a .cpuprofile holds (V8's Profiler.Profile), as far as this script reads it. */
interface ProfileNode { id: number, children?: number[], callFrame: { functionName: string, url: string, lineNumber: number } }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

const p = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as Profile
const target = process.argv[3] as string
const byId = new Map<number, ProfileNode>(p.nodes.map(n => [n.id, n]))
const parent = new Map<number, number>()
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const self = new Map<number, number>()
p.samples.forEach((id: number, i: number) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)))
const name = (n: ProfileNode): string => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(src|bench)\//, '$1/')}:${n.callFrame.lineNumber + 1}`
// time under frames matching target, by the chain of callers (3 levels)
const agg = new Map<string, number>()
let underTarget = 0
for (const [id, us] of self) {
  let cur: number | undefined = id
  const chain: ProfileNode[] = []
  while (cur !== undefined) { chain.push(byId.get(cur) as ProfileNode); cur = parent.get(cur) }
  const idx = chain.findIndex(n => name(n).includes(target))
  if (idx === -1) continue
  underTarget += us
  const callers = chain.slice(idx, idx + 4).map(name).join(' <- ')
  agg.set(callers, (agg.get(callers) ?? 0) + us)
}
console.log(`inclusive under ${target}: ${(underTarget / 1000).toFixed(0)} ms`)
for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[4] ?? 12))) console.log(`${(v / 1000).toFixed(0).padStart(7)} ms  ${k}`)
