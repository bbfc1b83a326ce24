/**
 * What the tracker asks of a watched node's API, whichever it is (beacon-api.ts, kubo-rpc.ts).
 * Each call either answers or throws a PollError (http-source.ts).
 */
import type { Snapshot } from './connection-set.js'
import type { PollingSourceKind } from '../config/config.js'

/** Who the watched node is. */
export interface NodeIdentity {
  /** The node's own peer ID (shown where the libp2p source shows its own). */
  peerId: string
  /** The node's listen addresses, as it reports them. */
  listenAddrs: string[]
  /**
   * A number that only grows while the node runs and starts lower after a restart (the Beacon
   * API's metadata seq_number); undefined where the API gives none (Kubo).
   */
  restartMarker: bigint | undefined
}

/** The node's identity plus what it runs, learnt at start. */
export interface NodeDescription extends NodeIdentity {
  /** The client's version string (`Lodestar/v1.5.1/...`, `kubo/0.32.1/...`), bounded. */
  agentVersion: string | undefined
  /** Where the peers come from: the standard endpoint or the client's richer one. */
  peersEndpoint: string
}

export interface NodeApi {
  readonly kind: PollingSourceKind
  /** Version, identity and which peers endpoint to poll. */
  describe: () => Promise<NodeDescription>
  /** Identity only: asked before each poll to notice another node (or a restart) behind the URL. */
  identity: () => Promise<NodeIdentity>
  /** The connected set now. */
  poll: () => Promise<Snapshot>
  /** Closes kept-alive connections. */
  close: () => void
}
