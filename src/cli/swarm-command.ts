/**
 * `libp2p-peer-tracker swarm`: runs N local libp2p peers that churn against a tracker and
 * prints their ground truth (sessions opened and closed as the peers saw them) when done.
 * Output is JSON lines on stdout, like the tracker's logs.
 */
import { writeFile } from 'node:fs/promises'
import { Command, Option } from 'commander'
import { PLAN_DEFAULTS, SWARM_DEFAULTS, parseSwarmOptions, parseTarget, plannedListenerAddrs, startSwarm, totalClosed, totalOpened } from '../swarm/index.js'
import { ConfigError } from '../config/config-error.js'
import type { GroundTruth, RawSwarmOptions } from '../swarm/index.js'

/** Shutdown may take this long (every peer hangs up and waits for its close) before exiting anyway. */
const STOP_TIMEOUT_MS = 30_000
const PROGRESS_INTERVAL_MS = 10_000

interface SwarmCommandOptions extends RawSwarmOptions {
  target?: string[]
  truthFile?: string
  printBootstrap?: boolean
}

function line (record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`)
}

/** The swarm's flags, shared with `demo` where they make sense there. */
export function swarmFlags (): Option[] {
  return [
    new Option('--seed <seed>', `seed of the schedule: the same seed gives the same peers, identities and sessions (default "${SWARM_DEFAULTS.seed}")`),
    new Option('--duration <duration>', 'how long to run, e.g. 90s, 10m; 0 runs until Ctrl-C (default 0)'),
    new Option('--dial-rate <n>', `dials per second across the swarm, to stay under the tracker's --p2p.inbound-connection-threshold; 0 unpaced (default ${SWARM_DEFAULTS.dialRate})`),
    new Option('--workers <n>', 'processes to spread the peers over; 0 runs them in this process (default auto: one per 500 peers beyond 500)'),
    new Option('--listen-ratio <r>', `fraction of peers that listen and wait for the tracker to dial them (default ${PLAN_DEFAULTS.listenRatio})`),
    new Option('--flap-ratio <r>', `fraction of peers that reconnect every few seconds (default ${PLAN_DEFAULTS.flapRatio})`),
    new Option('--long-lived-ratio <r>', `fraction of peers that stay for the whole run (default ${PLAN_DEFAULTS.longLivedRatio})`),
    new Option('--time-scale <f>', 'multiplies every session and gap length; 0.1 churns ten times faster (default 1)'),
    new Option('--min-session <duration>', `shortest session (default ${SWARM_DEFAULTS.minSession})`),
    new Option('--listen-port-base <port>', 'listener k listens on this port + k, so their addresses are known in advance; 0 lets the OS choose (default 0)')
  ]
}

export function addSwarmCommand (program: Command): Command {
  const command = new Command('swarm')
    .description('Runs N local libp2p peers on 127.0.0.1 that connect to a tracker and churn like a real network; prints their ground truth at the end.')
    .helpOption('-h, --help', 'print this help and exit')
    .allowExcessArguments(false)
    .addOption(new Option('--peers <n>', 'how many peers to run (required)'))
    .addOption(new Option('--target <multiaddr>', 'the tracker\'s multiaddr with /p2p/<peer-id>; repeat for several addresses of the same peer')
      .argParser<string[]>((value, previous) => [...(previous ?? []), value]))
  for (const option of swarmFlags()) command.addOption(option)
  command
    .addOption(new Option('--truth-file <path>', 'also write the full ground truth (every peer) as JSON to this file'))
    .addOption(new Option('--print-bootstrap', 'print the listening peers\' addresses as --p2p.bootstrap flags for the tracker and exit (needs --listen-port-base)'))
    .action(async (options: SwarmCommandOptions) => { await runSwarmCommand(options) })
  program.addCommand(command)
  return command
}

async function runSwarmCommand (options: SwarmCommandOptions): Promise<void> {
  const { swarm: swarmOptions, durationMs } = parseSwarmOptions(options)
  if (options.printBootstrap === true) {
    if (swarmOptions.listenPortBase === 0) throw new ConfigError('--print-bootstrap: needs --listen-port-base, so the addresses stay the same when the swarm runs')
    for (const addr of await plannedListenerAddrs(swarmOptions, swarmOptions.listenPortBase)) process.stdout.write(`--p2p.bootstrap=${addr}\n`)
    return
  }
  const target = parseTarget(options.target)
  const swarm = await startSwarm(swarmOptions)
  line({ level: 'info', msg: 'swarm started', peers: swarmOptions.peers, workers: swarmOptions.workers, seed: swarmOptions.seed, target })
  if (swarm.listeners.length > 0) {
    line({
      level: 'info',
      msg: 'listening peers: the tracker must dial these (its --p2p.bootstrap) for them to connect',
      listeners: swarm.listeners.map(l => l.addrs[0])
    })
  }
  swarm.run(target)

  const progress = setInterval(() => {
    void swarm.truth().then(t => { line({ level: 'info', msg: 'swarm progress', ...summary(t) }) })
  }, PROGRESS_INTERVAL_MS)

  await new Promise<void>(resolve => {
    const done = (): void => { resolve() }
    if (durationMs > 0) setTimeout(done, durationMs).unref()
    process.once('SIGINT', done)
    process.once('SIGTERM', done)
  })
  clearInterval(progress)
  line({ level: 'info', msg: 'stopping the swarm: every peer hangs up' })
  const force = setTimeout(() => {
    line({ level: 'error', msg: 'the swarm took too long to stop; exiting', timeoutMs: STOP_TIMEOUT_MS })
    process.exit(1)
  }, STOP_TIMEOUT_MS)
  force.unref()
  // A second Ctrl-C exits at once.
  process.once('SIGINT', () => process.exit(1))
  const truth = await swarm.stop()
  clearTimeout(force)
  if (options.truthFile !== undefined) await writeFile(options.truthFile, JSON.stringify(truth, null, 2) + '\n')
  line({ level: 'info', msg: 'ground truth', ...summary(truth) })
  process.exit(0)
}

/** The ground truth without the per-peer list. */
export function summary (t: GroundTruth): Record<string, unknown> {
  return {
    sessionsOpened: t.sessionsOpened,
    sessionsClosed: t.sessionsClosed,
    sessionsOpenedTotal: totalOpened(t),
    sessionsClosedTotal: totalClosed(t),
    connectedPeers: t.connectedPeers,
    connectionsOpened: t.connectionsOpened,
    connectionsClosed: t.connectionsClosed,
    connectionsByMuxer: t.connectionsByMuxer,
    dialFailures: t.dialFailures
  }
}
