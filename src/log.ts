/**
 * The process logger: pino, JSON lines by default or logfmt, on stdout.
 */
import { Writable } from 'node:stream'
import { pino } from 'pino'
import type { Config } from './config/config.js'
import type { Logger } from 'pino'

export type { Logger }

export function createLogger (config: Config['log'], destination: NodeJS.WritableStream = process.stdout): Logger {
  const stream = config.format === 'logfmt' ? new LogfmtStream(destination) : destination
  return pino({
    level: config.level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) }
  }, stream)
}

/** Turns pino's JSON lines into logfmt lines: `time=... level=info msg="peer connected" peerId=...`. */
class LogfmtStream extends Writable {
  private readonly out: NodeJS.WritableStream

  constructor (out: NodeJS.WritableStream) {
    super()
    this.out = out
  }

  override _write (chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    let text = ''
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line !== '') text += toLogfmt(JSON.parse(line) as Record<string, unknown>) + '\n'
    }
    this.out.write(text, done)
  }
}

export function toLogfmt (record: Record<string, unknown>): string {
  const parts: string[] = []
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue
    const text = typeof value === 'string' ? value : JSON.stringify(value)
    parts.push(`${key}=${/^[^\s"=\\]+$/.test(text) ? text : JSON.stringify(text)}`)
  }
  return parts.join(' ')
}
