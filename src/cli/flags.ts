/**
 * The command line: every flag, its help, and its environment variable
 * (LIBP2P_TRACKER_ + the flag name in upper snake case; a flag wins over its variable).
 * Defaults and validation live in config.ts; this module only collects raw strings.
 */
import { Command, Option } from 'commander'
import { AMINO_BOOTSTRAP, DEFAULTS } from '../config.js'
import type { RawConfig } from '../config.js'

interface FlagSpec {
  flag: keyof RawConfig
  arg?: string
  help: string
  repeatable?: boolean
}

const FLAGS: FlagSpec[] = [
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
  { flag: 'log.level', arg: 'level', help: `trace, debug, info, warn, error or fatal (default "${DEFAULTS['log.level']}")` },
  { flag: 'log.format', arg: 'format', help: `json or logfmt (default "${DEFAULTS['log.format']}")` }
]

/** LIBP2P_TRACKER_WEB_LISTEN_ADDRESS for web.listen-address. */
export function envName (flag: string): string {
  return `LIBP2P_TRACKER_${flag.replace(/[.-]/g, '_').toUpperCase()}`
}

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
    const key = spec.flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())
    const value = values[key]
    if (value !== undefined) raw[spec.flag] = value
  }
  const disable = raw['web.disable-exporter-metrics']
  if (typeof disable === 'string') raw['web.disable-exporter-metrics'] = parseBooleanEnv(disable)
  return raw as RawConfig
}

/** Commander gives a boolean flag's environment value as it is; accept the usual spellings. */
function parseBooleanEnv (value: string): boolean {
  return !['', '0', 'false', 'no', 'off'].includes(value.trim().toLowerCase())
}
