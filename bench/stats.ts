/** Small statistics and machine facts for the benchmark report. */
import { cpus, loadavg, totalmem } from 'node:os'
import { readFileSync } from 'node:fs'

export function median (values: readonly number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

export function percentile (values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN
}

export interface Machine {
  cores: number
  cpu: string
  memoryGiB: number
  node: string
  platform: string
  /** 1-minute load average when the run started: other work on a shared machine shows here. */
  loadAverage: number
}

export function machine (): Machine {
  const list = cpus()
  return {
    cores: list.length,
    cpu: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100
  }
}

/** CPU time (user + system) of a process so far, in seconds, from /proc (Linux). */
export function cpuSeconds (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // Fields after the command: state is [0]; utime [11], stime [12] in clock ticks (100 Hz on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Resident set size of a process, in bytes, from /proc (Linux). */
export function rssBytes (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status)
  return match === null ? NaN : Number(match[1]) * 1024
}

export function fmt (n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n)
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}
