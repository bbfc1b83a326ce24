/**
 * The local swarm: real libp2p peers on 127.0.0.1 that churn against a target, for the
 * offline demo, the accuracy tests and the benchmarks. Tooling kept apart from the tracker,
 * with this file as its entry point: within src/ only src/cli/ (the `demo` and `swarm`
 * commands) imports the swarm, and only through this file; the swarm in turn reaches
 * nothing of the tracker's service, metrics, HTTP server or web security (src/service,
 * src/metrics, src/http, src/web-security), directly or through other files.
 * test/unit/architecture.test.ts checks both.
 */
export { startSwarm, workerScript } from './swarm.js'
export type { RunningSwarm, SwarmOptions, ListeningPeer } from './swarm.js'
export { PLAN_DEFAULTS, planPeers, sessionSteps } from './plan.js'
export type { PeerProfile, PeerRole, PeerBehaviour, PlanOptions, SessionStep, SwarmMuxer } from './plan.js'
export { mergeTruths, totalClosed, totalOpened } from './ground-truth.js'
export type { GroundTruth, PeerTruth, DirectionCounts } from './ground-truth.js'
export { parseSwarmOptions, SWARM_DEFAULTS } from './options.js'
export type { RawSwarmOptions } from './options.js'
export { Prng } from './prng.js'
export { plannedListenerAddrs } from './listeners.js'
export { parseTarget } from './options.js'
