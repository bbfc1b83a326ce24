#!/usr/bin/env node
// The shims must load before libp2p: keep this the first import.
import '../runtime/node-shims.js'
import { Command, CommanderError } from 'commander'
import { startConfiguredTracker } from '../app.js'
import { DEFAULTS } from '../config/config.js'
import { ConfigError } from '../config/config-error.js'
import { attributeToEnvironment, buildConfig } from '../config/parse.js'
import { createLogger } from '../log.js'
import { ReliabilityCounters } from '../tracker/reliability-counters.js'
import { NAME, VERSION } from '../version.js'
import { addDemoCommand } from './demo-command.js'
import { reportFatal } from './fatal-error.js'
import { addTrackerFlags, flagsFromEnvironment, rawConfigOf } from './flags.js'
import { addStorageCommand } from './storage-command.js'
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

/** A fault in the tracker (not the user's input): one line on stderr, the stack in the log, exit 1. */
function failFatally (err: unknown, what: string, log: Logger | undefined): never {
  reportFatal(err, what, { name: NAME, stderr: process.stderr, log })
  process.exit(EXIT.fault)
}

async function runTracker (command: Command): Promise<void> {
  // Errors about a value that came from an environment variable name the variable.
  const fromEnvironment = flagsFromEnvironment(command)
  const config = buildConfig(rawConfigOf(command), { fromEnvironment })
  const log = createLogger(config.log)
  const reliability = new ReliabilityCounters()
  installFaultHandlers(log, reliability)
  let running: { stop: () => Promise<void>, startup?: Promise<void> }
  try {
    running = await startConfiguredTracker(config, log, { reliability })
  } catch (err) {
    // A port in use or a corrupt identity file is the user's to fix (exit 2); anything else is a fault.
    if (err instanceof ConfigError) throw attributeToEnvironment(err, fromEnvironment)
    failFatally(err, 'start-up failed', log)
  }
  // A polling source finishes starting once the watched node answers: a store of another node is refused then.
  running.startup?.catch((err: unknown) => {
    const stopped = running.stop().catch(() => {})
    if (err instanceof ConfigError) void stopped.then(() => { fail(attributeToEnvironment(err, fromEnvironment).message, EXIT.usage) })
    else failFatally(err, 'start-up failed', log)
  })

  let signals = 0
  const shutdown = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      log.warn({ signal }, 'second signal: exiting without waiting')
      process.exit(EXIT.fault)
    }
    log.info({ signal }, 'shutting down')
    setTimeout(() => {
      failFatally(new Error(`not stopped after ${SHUTDOWN_TIMEOUT_MS} ms`), 'shutdown took too long', log)
    }, SHUTDOWN_TIMEOUT_MS).unref()
    running.stop().then(
      () => { process.exit(EXIT.ok) },
      (err: unknown) => { failFatally(err, 'error while shutting down', log) }
    )
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}

/**
 * libp2p's stream machinery can reject a promise nobody awaits (a peer resetting a stream):
 * log it and keep serving. An exception that escapes to the top is a bug: one line on stderr,
 * the stack in the log, exit 1, so a supervisor restarts the process.
 */
function installFaultHandlers (log: Logger, reliability: ReliabilityCounters): void {
  process.on('unhandledRejection', (reason) => {
    reliability.internalErrors.count('unhandled_rejection')
    log.error({ err: reason }, 'unhandled promise rejection (kept running)')
  })
  process.on('uncaughtException', (err) => { failFatally(err, 'uncaught exception', log) })
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
  addStorageCommand(program)
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
    // Before the configured logger exists: the stack goes to a JSON log record on stdout.
    failFatally(err, 'fatal error', createLogger({ level: DEFAULTS['log.level'], format: DEFAULTS['log.format'] }))
  }
}

await main()
