/**
 * The local swarm: real libp2p peers on 127.0.0.1 that churn against a target, for the
 * offline demo, the accuracy tests and the benchmarks. Its own entry point: nothing in the
 * tracker imports it.
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
