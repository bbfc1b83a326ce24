/**
 * How a fatal error (a fault in the tracker, not a mistake in the user's input) is reported:
 * one line on stderr, for the operator and the supervisor that restarts the process, and the
 * whole error, stack included, as a field of one record in the structured log.
 */
import type { Logger } from '../log.js'

/** Longest error text put on the stderr line, in characters. */
const MAX_LINE_MESSAGE = 300

/** `TypeError: cannot read x`: the error's name and the first line of its message, capped, no controls. */
export function fatalSummary (err: unknown): string {
  const text = err instanceof Error
    ? `${err.name}: ${err.message}`
    : typeof err === 'string' ? err : safeString(err)
  const first = (text.split(/\r?\n/).find(line => line.trim() !== '') ?? '').trim()
  // eslint-disable-next-line no-control-regex
  const clean = first.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
  return clean.length > MAX_LINE_MESSAGE ? `${clean.slice(0, MAX_LINE_MESSAGE - 1)}…` : clean
}

export interface FatalReportTargets {
  /** The program's name, which starts the stderr line. */
  name: string
  stderr: { write: (text: string) => unknown }
  /** Gets the error with its stack as the `err` field; absent before the logger exists. */
  log?: Logger
}

/** Writes the one stderr line (and the log record with the stack); the caller exits with 1. */
export function reportFatal (err: unknown, what: string, targets: FatalReportTargets): void {
  try {
    targets.log?.fatal({ err }, `${what}; exiting`)
  } catch {
    // A failing logger must not hide the stderr line.
  }
  targets.stderr.write(`${targets.name}: fatal: ${what}: ${fatalSummary(err)}\n`)
}

function safeString (value: unknown): string {
  try {
    return String(value)
  } catch {
    return 'unprintable error'
  }
}
