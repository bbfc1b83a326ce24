/**
 * The one definition of each default the library and the CLI share. The peerTracker service's
 * init (src/service/peer-tracker-service.ts), peer insight (src/insight/peer-insight.ts) and the
 * CLI's flags (src/config/config.ts: DEFAULTS, as --help writes them) all read them from here;
 * docs/configuration.md is generated from the flags and docs/library.md's table is checked
 * against this module (test/unit/defaults.test.ts). Durations in ms. Pure: no imports.
 */
export const TRACKER_DEFAULTS = {
  /** Most per-peer libp2p_tracker_peer_connection_duration_seconds series. */
  maxPeerSeries: 500,
  /** Session starts within flappingWindowMs that make a peer flapping. */
  flappingSessions: 4,
  flappingWindowMs: 10 * 60_000,
  /** Peers remembered in the per-peer history. */
  historyPeers: 10_000,
  /** Sessions remembered per peer. */
  historySessions: 10,
  rttSampleIntervalMs: 10_000,
  /** libp2p's own default max age of a peer store record (6 h); the CLI's --p2p.peer-store-max-age. */
  peerStoreMaxAgeMs: 6 * 3_600_000,
  /** sweepIntervalMs(peerStoreMaxAgeMs): at most every 10 minutes (src/service/peer-store-sweeper.ts). */
  peerStoreSweepIntervalMs: 10 * 60_000
} as const

export type TrackerDefaults = typeof TRACKER_DEFAULTS
