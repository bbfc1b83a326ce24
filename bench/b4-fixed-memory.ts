/**
 * Fixed memory of B4's subjects at 0 peers: `tsx bench/b4-fixed-memory.ts [--runs 3] [--heap-prof DIR]`.
 * Each subject (bench/node-child.ts: plain node, tracker) starts with --expose-gc, holds no
 * peer, idles 10 s (its CPU read from /proc), and reports process.memoryUsage() after full GCs; subjects alternate, median of the
 * runs. With --heap-prof, the last run of each subject also writes a V8 sampling heap profile
 * (node --heap-prof: live allocations at exit, by allocating function), summarised by package.
 */
import '../src/runtime/node-shims.js'
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { areaOf } from './profile-summary.js'
import { cpuSeconds, median } from './stats.js'

const CHILD = fileURLToPath(new URL('./node-child.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface FixedMemory { rss: number, heapUsed: number, external: number, arrayBuffers: number, idleCpuPercent: number }

/** How long each subject idles (0 peers) for its CPU to be read. */
const IDLE_MS = 10_000

async function measure (subject: 'plain' | 'tracker', heapProfDir?: string): Promise<FixedMemory> {
  const flags = ['--expose-gc', ...(heapProfDir === undefined ? [] : ['--heap-prof', `--heap-prof-dir=${heapProfDir}`, `--heap-prof-name=${subject}.heapprofile`])]
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', CHILD, subject, '0'], { cwd: ROOT, env: { ...process.env, B4_FIXED_MEMORY: '1' }, stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })
  const next = async (): Promise<string> => await new Promise((resolve, reject) => {
    lines.once('line', resolve)
    child.once('exit', code => { reject(new Error(`${subject} exited with ${String(code)}`)) })
  })
  await next() // listening
  // Let start-up work (the first peer store sweep, timers) run once before measuring.
  await new Promise(resolve => setTimeout(resolve, 2000))
  const cpu0 = cpuSeconds(child.pid as number)
  const t0 = performance.now()
  await new Promise(resolve => setTimeout(resolve, IDLE_MS))
  const idleCpuPercent = 100 * (cpuSeconds(child.pid as number) - cpu0) / ((performance.now() - t0) / 1000)
  child.kill('SIGUSR2')
  const { memory } = JSON.parse(await next()) as { memory: Omit<FixedMemory, 'idleCpuPercent'> }
  child.kill('SIGTERM')
  await new Promise(resolve => { if (child.exitCode !== null) resolve(null); else child.once('exit', resolve) })
  return { ...memory, idleCpuPercent }
}

interface HeapNode { callFrame: { functionName: string, url: string }, selfSize: number, children: HeapNode[] }

/** Live bytes in a .heapprofile by package/area of the allocating function. */
export function heapByArea (file: string): Array<{ area: string, bytes: number }> {
  const head = (JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode }).head
  const areas = new Map<string, number>()
  const walk = (n: HeapNode): void => {
    if (n.selfSize > 0) {
      const a = areaOf(n.callFrame.url, n.callFrame.functionName)
      areas.set(a, (areas.get(a) ?? 0) + n.selfSize)
    }
    for (const c of n.children) walk(c)
  }
  walk(head)
  return [...areas].map(([area, bytes]) => ({ area, bytes })).sort((a, b) => b.bytes - a.bytes)
}

if (process.argv[1]?.endsWith('b4-fixed-memory.ts') === true) {
  const args = process.argv.slice(2)
  const runs = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3
  const heapDir = args.includes('--heap-prof') ? args[args.indexOf('--heap-prof') + 1] : undefined
  const results: Record<'plain' | 'tracker', FixedMemory[]> = { plain: [], tracker: [] }
  for (let i = 0; i < runs; i++) {
    for (const subject of ['plain', 'tracker'] as const) results[subject].push(await measure(subject, i === runs - 1 ? heapDir : undefined))
  }
  const mib = (n: number): string => (n / 2 ** 20).toFixed(1)
  for (const subject of ['plain', 'tracker'] as const) {
    const r = results[subject]
    const m = (k: keyof FixedMemory): string => `${mib(median(r.map(x => x[k])))} (${mib(Math.min(...r.map(x => x[k])))}-${mib(Math.max(...r.map(x => x[k])))})`
    const cpu = r.map(x => x.idleCpuPercent)
    process.stdout.write(`${subject}: rss ${m('rss')} MiB, heapUsed ${m('heapUsed')}, external ${m('external')}, arrayBuffers ${m('arrayBuffers')}; idle CPU ${median(cpu).toFixed(2)}% of a core (${Math.min(...cpu).toFixed(2)}-${Math.max(...cpu).toFixed(2)})\n`)
  }
  if (heapDir !== undefined) {
    for (const f of readdirSync(heapDir).filter(f => f.endsWith('.heapprofile'))) {
      process.stdout.write(`\n${f} (live sampled allocations at exit, by allocating package):\n`)
      for (const { area, bytes } of heapByArea(`${heapDir}/${f}`).slice(0, 15)) process.stdout.write(`  ${(bytes / 1024).toFixed(0).padStart(7)} KiB  ${area}\n`)
    }
  }
  process.exit(0)
}
