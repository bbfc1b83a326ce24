/**
 * The command line: every flag, its help, and its environment variable
 * (LIBP2P_TRACKER_ + the flag name in upper snake case; a flag wins over its variable).
 * Defaults live in src/config/config.ts, validation in src/config/parse.ts; this module only collects raw strings.
 */
import { Command, Option } from 'commander'
import { AMINO_BOOTSTRAP, DEFAULTS } from '../config/config.js'
import { envName } from '../config/parse.js'
import type { RawConfig } from '../config/parse.js'

export { envName }

export interface FlagSpec {
  flag: keyof RawConfig
  /** The value's placeholder in --help; none: a boolean flag. */
  arg?: string
  help: string
  /** May be given several times (its environment variable: a comma-separated list). */
  repeatable?: boolean
}

/** Every flag of the tracker, in --help order. Tests derive their coverage from this list. */
export const FLAGS: readonly FlagSpec[] = [
  { flag: 'source', arg: 'kind', help: `how the tracker learns about peers: libp2p (its own libp2p node), beacon-api (poll an Ethereum consensus client's REST API) or kubo-rpc (poll Kubo's RPC API); one tracker watches one node (default "${DEFAULTS.source}")` },
  { flag: 'source.url', arg: 'url', help: 'the polled API\'s base URL, http:// or https://, without credentials (e.g. http://127.0.0.1:5052 for a beacon node, http://127.0.0.1:5001 for Kubo); required with --source=beacon-api or kubo-rpc' },
  { flag: 'source.interval', arg: 'duration', help: `how often the API is polled, 500ms-10m; a session shorter than this can be missed (default ${DEFAULTS['source.interval']})` },
  { flag: 'source.timeout', arg: 'duration', help: `how long one request to the API may take, shorter than --source.interval (default ${DEFAULTS['source.timeout']})` },
  { flag: 'source.auth-file', arg: 'path', help: 'file holding the API\'s credentials in Kubo\'s AuthSecret format, bearer:TOKEN or basic:USER:PASSWORD, sent as the Authorization header; never logged or shown' },
  { flag: 'source.ca-file', arg: 'path', help: 'PEM file of the CA certificate(s) to trust for an https:// --source.url (default: the system\'s CAs)' },
  { flag: 'web.listen-address', arg: 'host:port', help: `address for /metrics, the API and health checks (default "${DEFAULTS['web.listen-address']}")` },
  { flag: 'web.telemetry-path', arg: 'path', help: `path of the metrics (default "${DEFAULTS['web.telemetry-path']}")` },
  { flag: 'web.disable-exporter-metrics', help: 'leave out the process_* and nodejs_* metrics about the tracker itself' },
  { flag: 'p2p.identity-file', arg: 'path', help: 'Ed25519 key file: loaded if present, created (mode 0600) if not, so the peer ID survives restarts (default: a new identity each run)' },
  { flag: 'p2p.listen', arg: 'multiaddr', repeatable: true, help: `address to listen on for peers; repeat for several (default ${DEFAULTS['p2p.listen'].join(' and ')})` },
  { flag: 'p2p.bootstrap', arg: 'multiaddr', repeatable: true, help: `bootstrap peer, with its /p2p/<peer-id>, kept connected; repeat for several; replaces the default list; empty (--p2p.bootstrap=) for none (default: the ${AMINO_BOOTSTRAP.length} public IPFS Amino bootstrap peers)` },
  { flag: 'p2p.muxers', arg: 'list', help: `stream muxers to offer, in order of preference (default "${DEFAULTS['p2p.muxers']}")` },
  { flag: 'p2p.dht', arg: 'mode', help: `Kad-DHT mode: client, server or off (default "${DEFAULTS['p2p.dht']}")` },
  { flag: 'p2p.dht-address-filter', arg: 'filter', help: `addresses kept in DHT peer records: public, or all (private and loopback too, for LANs and local tests) (default "${DEFAULTS['p2p.dht-address-filter']}")` },
  { flag: 'p2p.max-connections', arg: 'n', help: `connections libp2p keeps before pruning (default ${DEFAULTS['p2p.max-connections']})` },
  { flag: 'p2p.max-incoming-pending-connections', arg: 'n', help: `inbound connections allowed to be mid-handshake at once (default ${DEFAULTS['p2p.max-incoming-pending-connections']})` },
  { flag: 'p2p.inbound-connection-threshold', arg: 'n', help: `inbound connections accepted per second from one IP (default ${DEFAULTS['p2p.inbound-connection-threshold']})` },
  { flag: 'tracker.max-peer-series', arg: 'n', help: `most per-peer duration series to export, longest-connected first; 0 for none (default ${DEFAULTS['tracker.max-peer-series']})` },
  { flag: 'tracker.report-interval', arg: 'duration', help: `how often to log the peer report, e.g. 30s, 5m; 0 to turn it off (default ${DEFAULTS['tracker.report-interval']})` },
  { flag: 'tracker.report-peers', arg: 'n', help: `longest-connected peers listed in each report (default ${DEFAULTS['tracker.report-peers']})` },
  { flag: 'tracker.flapping-sessions', arg: 'n', help: `a peer with at least this many sessions within --tracker.flapping-window is flapping, 2-1000 (default ${DEFAULTS['tracker.flapping-sessions']})` },
  { flag: 'tracker.flapping-window', arg: 'duration', help: `the window of --tracker.flapping-sessions and of reconnects, 1s-7d (default ${DEFAULTS['tracker.flapping-window']})` },
  { flag: 'tracker.history-peers', arg: 'n', help: `peers remembered with their last sessions, connected ones included (never forgotten while connected); disconnected ones forgotten in the order their last session ended (default ${DEFAULTS['tracker.history-peers']})` },
  { flag: 'tracker.history-sessions', arg: 'n', help: `sessions remembered per peer, 1-1000 (default ${DEFAULTS['tracker.history-sessions']})` },
  { flag: 'tracker.rtt-sample-interval', arg: 'duration', help: `how often round-trip times of connected peers are sampled (libp2p's ping monitor, or a capped ping where it has none yet); 0 to turn it off (default ${DEFAULTS['tracker.rtt-sample-interval']})` },
  { flag: 'log.level', arg: 'level', help: `trace, debug, info, warn, error or fatal (default "${DEFAULTS['log.level']}")` },
  { flag: 'log.format', arg: 'format', help: `json or logfmt (default "${DEFAULTS['log.format']}")` },
  { flag: 'web.config.file', arg: 'path', help: 'exporter-toolkit web config file (YAML): TLS, basic auth, security headers, rate limit; changes apply without a restart unless they weaken security (see docs/security.md)' },
  { flag: 'web.max-requests', arg: 'n', help: `requests served at once; more get 503; 0 for no limit (default ${DEFAULTS['web.max-requests']})` },
  { flag: 'web.disable-peer-api', help: 'answer 404 on /api/v1/peers and /api/v1/peer-table, and show no peer table at / (they list peers\' IP addresses)' },
  { flag: 'p2p.allow-cidr', arg: 'cidr', repeatable: true, help: 'only these IP ranges may connect or be dialled, e.g. 10.0.0.0/8; repeat for several (default: all)' },
  { flag: 'p2p.deny-cidr', arg: 'cidr', repeatable: true, help: 'IP ranges refused both ways, before any handshake; wins over --p2p.allow-cidr; repeat for several' },
  { flag: 'p2p.peer-store-max-age', arg: 'duration', help: `how long libp2p's peer store keeps a peer that is not connected: a record not updated for this long, with no address observed within min(this, 1h), is deleted at the next sweep (every min(10m, this/2)); at least 1m; libp2p's own default (default ${DEFAULTS['p2p.peer-store-max-age']})` },
  { flag: 'storage.path', arg: 'dir', help: 'directory of an embedded LevelDB store that keeps libp2p\'s peer store and the peer history across restarts; peers connected before a restart are redialled (docs/storage.md) (default: in memory only)' },
  { flag: 'storage.flush-interval', arg: 'duration', help: `how often changed history is written to the store, in one batch; a kill -9 loses at most this much (default ${DEFAULTS['storage.flush-interval']})` }
]

/** Adds the tracker's flags to a command. */
export function addTrackerFlags (command: Command): Command {
  for (const spec of FLAGS) {
    const option = new Option(spec.arg === undefined ? `--${spec.flag}` : `--${spec.flag} <${spec.arg}>`, spec.help)
      .env(envName(spec.flag))
    if (spec.repeatable === true) {
      option.argParser<string[]>((value, previous) => [...(previous ?? []), value])
    }
    command.addOption(option)
  }
  return command
}

/**
 * The raw values a command parsed, keyed by flag name. Commander stores `--web.listen-address`
 * as `web.listenAddress`; this maps it back.
 */
export function rawConfigOf (command: Command): RawConfig {
  const values = command.opts<Record<string, unknown>>()
  const raw: Record<string, unknown> = {}
  for (const spec of FLAGS) {
    const value = values[optionKey(spec.flag)]
    if (value !== undefined) raw[spec.flag] = value
  }
  const disable = raw['web.disable-exporter-metrics']
  if (typeof disable === 'string') raw['web.disable-exporter-metrics'] = parseBooleanEnv(disable)
  const disablePeerApi = raw['web.disable-peer-api']
  if (typeof disablePeerApi === 'string') raw['web.disable-peer-api'] = parseBooleanEnv(disablePeerApi)
  // Commander sets a boolean flag to true whenever its variable is defined, even as "false":
  // read the variable's value for boolean flags that came from the environment.
  for (const spec of FLAGS) {
    if (spec.arg !== undefined) continue
    const fromEnv = process.env[envName(spec.flag)]
    if (command.getOptionValueSource(optionKey(spec.flag)) === 'env' && fromEnv !== undefined) raw[spec.flag] = parseBooleanEnv(fromEnv)
  }
  // A repeatable flag's environment variable arrives as one string: a comma-separated list.
  for (const spec of FLAGS) {
    const value = raw[spec.flag]
    if (spec.repeatable === true && typeof value === 'string') raw[spec.flag] = [value]
  }
  return raw as RawConfig
}

/** The flags whose value came from their environment variable (not the command line). */
export function flagsFromEnvironment (command: Command): Set<string> {
  const flags = new Set<string>()
  for (const spec of FLAGS) {
    if (command.getOptionValueSource(optionKey(spec.flag)) === 'env') flags.add(spec.flag)
  }
  return flags
}

/** Commander's key for a flag: `web.listenAddress` for `--web.listen-address`. */
function optionKey (flag: string): string {
  return flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())
}

/** Commander gives a boolean flag's environment value as it is; accept the usual spellings. */
function parseBooleanEnv (value: string): boolean {
  return !['', '0', 'false', 'no', 'off'].includes(value.trim().toLowerCase())
}
