/**
 * The tracker's log lines ("peer connected", "peer disconnected", errors it survived) go to a
 * pino-like logger: the CLI passes its pino logger; a library user gets libp2p's own debug
 * logger (enable with DEBUG=libp2p:peer-tracker*) unless they pass theirs.
 */
import type { ComponentLogger } from '@libp2p/interface'

type LogMethod = (fields: Record<string, unknown>, message: string) => void

/** What the tracker calls on a logger; pino's Logger has it. */
export interface TrackerLogger {
  debug: LogMethod
  info: LogMethod
  warn: LogMethod
  error: LogMethod
}

/** A TrackerLogger writing to libp2p's logger for `component`: info and debug to its log, warn and error to its error log. */
export function libp2pLogger (logger: ComponentLogger, component = 'libp2p:peer-tracker'): TrackerLogger {
  const log = logger.forComponent(component)
  const write = (to: (formatter: string, ...args: unknown[]) => void): LogMethod => (fields, message) => { to('%s %o', message, fields) }
  return { debug: write(log.trace), info: write(log), warn: write(log.error), error: write(log.error) }
}
