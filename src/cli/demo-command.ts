/**
 * `libp2p-peer-tracker demo` (and `npm run demo`): the tracker and a local swarm of ~30 real
 * libp2p peers together in this process, offline: the swarm's listening peers are the
 * tracker's bootstrap peers, the rest dial in and churn. Prints where to look; Ctrl-C stops
 * the swarm (every peer hangs up, the tracker counts it), then the tracker, and exits 0.
 */
import { Command, Option } from 'commander'
import { startTracker } from '../app.js'
import { buildConfig } from '../config/parse.js'
import { createLogger } from '../log.js'
import { parseSwarmOptions, startSwarm, totalClosed, totalOpened } from '../swarm/index.js'
import { swarmFlags } from './swarm-command.js'
import type { RawSwarmOptions } from '../swarm/index.js'

const DEMO_PEERS = '30'
const DEMO_WEB_ADDRESS = '127.0.0.1:9089'
const STATUS_INTERVAL_MS = 15_000
const STOP_TIMEOUT_MS = 20_000

interface DemoOptions extends RawSwarmOptions {
  'web.listenAddress'?: string
  'log.level'?: string
}

export function addDemoCommand (program: Command): Command {
  const command = new Command('demo')
    .description('Runs the tracker and a swarm of ~30 local peers together, offline, and prints where to look. Ctrl-C stops both.\n' +
      `The tracker's --web.listen-address (here default "${DEMO_WEB_ADDRESS}") and --log.level (here default "warn") apply.`)
    .helpOption('-h, --help', 'print this help and exit')
    .allowExcessArguments(false)
    .addOption(new Option('--peers <n>', `peers in the swarm (default ${DEMO_PEERS})`))
  for (const option of swarmFlags()) {
    if (!['--workers', '--listen-port-base'].includes(option.long ?? '')) command.addOption(option)
  }
  // --web.listen-address and --log.level are the tracker's own flags, parsed by the program.
  command.action(async (_options: DemoOptions, cmd: Command) => { await runDemo(cmd.optsWithGlobals<DemoOptions>()) })
  program.addCommand(command)
  return command
}

async function runDemo (options: DemoOptions): Promise<void> {
  const { swarm: swarmOptions, durationMs } = parseSwarmOptions({ ...options, peers: options.peers ?? DEMO_PEERS, workers: '0', listenPortBase: '0', dialRate: options.dialRate ?? '20' })
  const config = buildConfig({
    'web.listen-address': options['web.listenAddress'] ?? DEMO_WEB_ADDRESS,
    'p2p.listen': ['/ip4/127.0.0.1/tcp/0'],
    'p2p.transports': 'tcp', // the swarm's peers speak TCP only
    'p2p.bootstrap': [],
    'p2p.dht': 'off',
    // One IP dials many times a second here; the default (5 per second) would refuse most.
    'p2p.inbound-connection-threshold': '1000',
    'p2p.max-incoming-pending-connections': '100',
    'p2p.max-connections': String(Math.max(300, swarmOptions.peers * 2)),
    'tracker.report-interval': '0',
    'log.level': options['log.level'] ?? 'warn'
  })
  const out = (text: string): void => { process.stdout.write(`${text}\n`) }

  const swarm = await startSwarm(swarmOptions)
  config.p2p.bootstrap = swarm.listeners.map(l => l.addrs[0] as string)
  let tracker: Awaited<ReturnType<typeof startTracker>>
  try {
    tracker = await startTracker(config, createLogger(config.log))
  } catch (err) {
    await swarm.stop()
    throw err
  }
  const target = tracker.node.getMultiaddrs().map(String)
  swarm.run(target)

  const base = `http://${tracker.http.host.includes(':') ? `[${tracker.http.host}]` : tracker.http.host}:${tracker.http.port}`
  out(`libp2p-peer-tracker demo: the tracker and ${swarmOptions.peers} local peers (seed "${swarmOptions.seed}"), offline on 127.0.0.1.`)
  out(`  ${swarm.listeners.length} peers listen and are the tracker's bootstrap peers; the others dial in. They come and go.`)
  out('')
  out(`  peer view    ${base}/   (open it in a browser: the peers coming and going, live)`)
  out(`  metrics      ${base}${config.web.telemetryPath}`)
  out(`  peers        ${base}/api/v1/peers`)
  out(`  status       ${base}/api/v1/status`)
  out(`  tracker      ${target[0] ?? ''}`)
  out('')
  out('  Try: curl -s ' + `${base}${config.web.telemetryPath} | grep '^libp2p_tracker_'`)
  out('  Ctrl-C stops both.')

  const status = setInterval(() => {
    void swarm.truth().then(t => {
      out(`[${new Date().toISOString().slice(11, 19)}] connected peers ${tracker.tracker.connectedPeers}; ` +
        `sessions opened/closed: tracker ${tracker.tracker.totalConnects()}/${tracker.tracker.totalDisconnects()}, swarm ${totalOpened(t)}/${totalClosed(t)}`)
    })
  }, STATUS_INTERVAL_MS)

  await new Promise<void>(resolve => {
    if (durationMs > 0) setTimeout(resolve, durationMs).unref()
    process.once('SIGINT', () => { resolve() })
    process.once('SIGTERM', () => { resolve() })
  })
  clearInterval(status)
  out('stopping: the peers hang up, then the tracker stops')
  const force = setTimeout(() => { out('stopping took too long; exiting'); process.exit(1) }, STOP_TIMEOUT_MS)
  force.unref()
  process.once('SIGINT', () => process.exit(1))
  const truth = await swarm.stop()
  // The tracker sees the last closes a moment after the peers do.
  const deadline = Date.now() + 5000
  while (tracker.tracker.totalDisconnects() < totalClosed(truth) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  const counted = { opened: tracker.tracker.totalConnects(), closed: tracker.tracker.totalDisconnects() }
  await tracker.stop()
  clearTimeout(force)
  const exact = counted.opened === totalOpened(truth) && counted.closed === totalClosed(truth)
  out(`sessions opened/closed: the tracker counted ${counted.opened}/${counted.closed}, the peers saw ${totalOpened(truth)}/${totalClosed(truth)}${exact ? ' (exact)' : ' (MISMATCH)'}`)
  process.exit(0)
}
