/**
 * libp2p-peer-tracker as a library: the peerTracker service for any js-libp2p node (a plain
 * node, Helia, your own), with its families in your prom-client registry.
 *
 *   const node = await createLibp2p({ ..., services: { peerTracker: peerTracker({ registry }) } })
 *   // registry.metrics() now has libp2p_tracker_*; node.services.peerTracker.status(), .peers(), ...
 */
import './runtime/node-shims.js' // libp2p 3 calls Promise.withResolvers, which Node 20 lacks
import { PeerTrackerService } from './service/peer-tracker-service.js'
import type { PeerTracker, PeerTrackerComponents, PeerTrackerInit } from './peer-tracker.js'

export { METRIC_NAMES, METRICS, INSIGHT_METRICS, ALL_METRICS } from './metrics/definitions.js'
export type { MetricDefinition, MetricType } from './metrics/definitions.js'
export type { ExpositionFormat } from './metrics/exposition.js'
export type { BuildInfo } from './metrics/tracker-collector.js'
// The contract: the public interface, its init, components and status (src/peer-tracker.ts).
export type { PeerTracker, PeerTrackerComponents, PeerTrackerInit, PeerTrackerStatus } from './peer-tracker.js'
export { TRACKER_DEFAULTS } from './defaults.js'
export type { TrackerLogger } from './service/logger.js'
export type { InsightPeerView, PeerDetailView, PeerView, PeersQuery, PeerSort, ConnectionView, SessionHistoryView } from './insight/peer-views.js'
export type { ConnectionLabels, Direction, Transport, Encryption, Muxer } from './tracker/connection-labels.js'
export type { Clock } from './tracker/clock.js'
export { ReliabilityCounters } from './tracker/reliability-counters.js'
export { RegistryClashError, Libp2pInternalsError, ConfigError, StoreError, WebConfigError } from './errors.js'

/**
 * The peerTracker service factory, for `createLibp2p({ services: { peerTracker: peerTracker(init) } })`.
 * It starts and stops with the node; see PeerTrackerInit for what it does to the node and how to turn each part off.
 */
export function peerTracker (init: PeerTrackerInit = {}): (components: PeerTrackerComponents) => PeerTracker {
  return (components) => new PeerTrackerService(components, init)
}
