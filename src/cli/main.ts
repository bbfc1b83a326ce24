#!/usr/bin/env node
// The shims must load before libp2p: keep this the first import.
import '../runtime/node-shims.js'
import { Command, CommanderError } from 'commander'
import { startTracker } from '../app.js'
import { ConfigError, buildConfig } from '../config.js'
import { createLogger } from '../log.js'
import { ReliabilityCounters } from '../tracker/reliability-counters.js'
import { NAME, VERSION } from '../version.js'
import { addDemoCommand } from './demo-command.js'
import { addTrackerFlags, rawConfigOf } from './flags.js'
import { addSwarmCommand } from './swarm-command.js'
import type { Logger } from '../log.js'

/** Exit codes: 0 done, 1 a fault in the tracker, 2 bad input (flags, environment, files). */
export const EXIT = { ok: 0, fault: 1, usage: 2 } as const

/** How long shutdown may take before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 10_000

function fail (message: string, code: number): never {
  process.stderr.write(`${NAME}: ${message}\n`)
  process.exit(code)
}

async function runTracker (command: Command): Promise<void> {
  const config = buildConfig(rawConfigOf(command))
  const log = createLogger(config.log)
  const reliability = new ReliabilityCounters()
  installFaultHandlers(log, reliability)
  const running = await startTracker(config, log, { reliability })

  let signals = 0
  const shutdown = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      log.warn({ signal }, 'second signal: exiting without waiting')
      process.exit(EXIT.fault)
    }
    log.info({ signal }, 'shutting down')
    setTimeout(() => {
      log.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown took too long; exiting')
      process.exit(EXIT.fault)
    }, SHUTDOWN_TIMEOUT_MS).unref()
    running.stop().then(
      () => { process.exit(EXIT.ok) },
      (err: unknown) => {
        log.error({ err }, 'error while shutting down')
        process.exit(EXIT.fault)
      }
    )
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}

/**
 * libp2p's stream machinery can reject a promise nobody awaits (a peer resetting a stream):
 * log it and keep serving. An exception that escapes to the top is a bug: log it and exit,
 * so a supervisor restarts the process.
 */
function installFaultHandlers (log: Logger, reliability: ReliabilityCounters): void {
  process.on('unhandledRejection', (reason) => {
    reliability.internalErrors.count('unhandled_rejection')
    log.error({ err: reason }, 'unhandled promise rejection (kept running)')
  })
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception; exiting')
    process.exit(EXIT.fault)
  })
}

export function buildProgram (): Command {
  const program = new Command()
    .name(NAME)
    .description('Runs a libp2p node, keeps an exact account of the peers it is connected to, and exports it to Prometheus.')
    .version(VERSION, '--version', 'print the version and exit')
    .helpOption('-h, --help', 'print this help and exit')
    .allowExcessArguments(false)
    .showSuggestionAfterError(true)
  addTrackerFlags(program)
  program.action(async (_options, command: Command) => { await runTracker(command) })
  addSwarmCommand(program)
  addDemoCommand(program)
  return program
}

async function main (): Promise<void> {
  const program = buildProgram()
  let usageError = ''
  program.exitOverride().configureOutput({ writeErr: (text) => { usageError += text } })
  try {
    await program.parseAsync(process.argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) process.exit(EXIT.ok) // --help, --version
      const line = (usageError.trim().split('\n')[0] ?? err.message).replace(/^error: /, '')
      fail(`${line} (see --help)`, EXIT.usage)
    }
    if (err instanceof ConfigError) fail(err.message, EXIT.usage)
    process.stderr.write(`${NAME}: fatal: ${(err as Error)?.stack ?? String(err)}\n`)
    process.exit(EXIT.fault)
  }
}

await main()
