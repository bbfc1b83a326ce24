/** Prometheus' own tools (Debian's prometheus package; .ci/run installs it). */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runTool } from './process.js'
import type { Exposition, Sample } from './exposition.js'

export async function promtool (args: string[], stdin?: string): Promise<{ code: number | null, output: string }> {
  const { code, output } = await runTool('promtool', args, { stdin: stdin ?? '', timeoutMs: Infinity })
  return { code, output }
}

/**
 * `promtool check metrics` on a text-format (0.0.4) exposition: its lint findings, one per
 * line. An exposition Prometheus' text parser cannot read throws.
 */
export async function lintFindings (text: string): Promise<string[]> {
  const { output } = await promtool(['check', 'metrics'], text)
  if (/error while linting|parsing error/i.test(output)) throw new Error(`promtool cannot parse the exposition: ${output.trim()}`)
  return output.split('\n').filter(line => line.trim() !== '')
}

/** The timestamp given to every sample for the backfill (seconds, as OpenMetrics writes them). */
const BACKFILL_TIMESTAMP_S = 1_700_000_000

/**
 * Reads an OpenMetrics 1.0 body with Prometheus' own OpenMetrics parser: promtool's backfill
 * (`tsdb create-blocks-from openmetrics`) parses it into a TSDB block, and `tsdb dump` reads
 * the samples back. The body is checked as served, except that the backfill needs a timestamp
 * on every sample, so one is appended to each sample line (the tracker writes none). Throws
 * with promtool's message when Prometheus cannot parse the body (a missing `# EOF` included).
 */
export async function parseOpenMetrics (body: string): Promise<Exposition> {
  const dir = await mkdtemp(join(tmpdir(), 'openmetrics-'))
  try {
    const input = join(dir, 'body.om')
    const blocks = join(dir, 'blocks')
    const stamped = body.split('\n').map(line => line === '' || line.startsWith('#') ? line : `${line} ${BACKFILL_TIMESTAMP_S}`).join('\n')
    await writeFile(input, stamped)
    const backfill = await promtool(['tsdb', 'create-blocks-from', 'openmetrics', input, blocks])
    if (backfill.code !== 0) throw new Error(`Prometheus' OpenMetrics parser refused the body: ${backfill.output.trim()}`)
    await mkdir(join(blocks, 'wal'), { recursive: true }) // tsdb dump opens the folder as a TSDB
    const dump = await promtool(['tsdb', 'dump', blocks])
    if (dump.code !== 0) throw new Error(`promtool tsdb dump failed: ${dump.output.trim()}`)
    const samples = dump.output.split('\n').filter(line => line !== '').map(dumpedSample)
    const types = new Map<string, string>()
    for (const [, name = '', type = ''] of body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(name, type)
    return { samples, types }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** One line of `promtool tsdb dump`: `{__name__="x_total", a="b"} 3 1700000000000`. */
function dumpedSample (line: string): Sample {
  const match = /^\{(.*)\} (\S+) (-?\d+)$/.exec(line)
  if (match === null) throw new Error(`cannot read promtool tsdb dump line: ${line}`)
  const labels: Record<string, string> = {}
  for (const [, name = '', quoted = ''] of (match[1] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)=("(?:[^"\\]|\\.)*")/g)) {
    labels[name] = JSON.parse(quoted) as string // Go's %q; the tracker's label values need no escapes JSON lacks
  }
  const { __name__: name, ...rest } = labels
  if (name === undefined) throw new Error(`no metric name in promtool tsdb dump line: ${line}`)
  const raw = match[2] ?? ''
  const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : raw === 'NaN' ? NaN : Number(raw)
  if (Number.isNaN(value) && raw !== 'NaN') throw new Error(`cannot read the value in: ${line}`)
  return { name, labels: rest, value }
}
