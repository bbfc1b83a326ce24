/**
 * An Ethereum consensus client through the Beacon Node API (ethereum/beacon-APIs):
 * GET /eth/v1/node/version and /eth/v1/node/identity at start, then the connected peers each
 * poll, from the richest endpoint the client has:
 *   - Lodestar: GET /eth/v1/lodestar/peers (standard fields plus agent_version; needs
 *     --rest.namespace including lodestar), else the standard endpoint;
 *   - Lighthouse: the standard endpoint, with agents from GET /lighthouse/peers/connected;
 *   - any other: GET /eth/v1/node/peers?state=connected, whose objects carry `agent` (Nimbus)
 *     or `agent_version` (Teku, beacon-APIs #606) where the client adds them.
 * A peer is one connection (the API lists peers, not connections): its id is the peer ID.
 * Encryption and muxer are not in the API (`unknown`); the transport comes from
 * last_seen_p2p_address. The account cannot take the node's own connect time (newer
 * Lodestar's connectedUnixTsMs): a session starts at the first poll that lists the peer.
 */
import { classifyAgent } from '../insight/agent-family.js'
import { transportOf } from '../tracker/connection-labels.js'
import { MAX_AGENT_LENGTH } from '../tracker/sanitize.js'
import { PollError } from './http-source.js'
import { MAX_ADDRESS_LENGTH, addressList, asList, asRecord, badResponse, boundedText, dataOf, peerIdOf } from './response-shape.js'
import type { PolledConnection, PolledPeer, Snapshot } from './connection-set.js'
import type { HttpSource } from './http-source.js'
import type { NodeApi, NodeDescription, NodeIdentity } from './node-api.js'
import type { Direction } from '../tracker/connection-labels.js'

export const STANDARD_PEERS = '/eth/v1/node/peers?state=connected'
export const LODESTAR_PEERS = '/eth/v1/lodestar/peers?state=connected'
export const LIGHTHOUSE_PEERS = '/lighthouse/peers/connected'

type Endpoint = 'standard' | 'lodestar' | 'lighthouse'

export class BeaconApi implements NodeApi {
  readonly kind = 'beacon-api' as const
  private readonly http: HttpSource
  private endpoint: Endpoint = 'standard'

  constructor (http: HttpSource) {
    this.http = http
  }

  async describe (): Promise<NodeDescription> {
    const version = boundedText(asRecord(dataOf(await this.http.json('GET', '/eth/v1/node/version'), 'version'), 'version').version, MAX_AGENT_LENGTH)
    const identity = await this.identity()
    this.endpoint = await this.richerEndpoint(classifyAgent(version).family)
    return { ...identity, agentVersion: version, peersEndpoint: this.endpointPath() }
  }

  async identity (): Promise<NodeIdentity> {
    const data = asRecord(dataOf(await this.http.json('GET', '/eth/v1/node/identity'), 'identity'), 'identity')
    const peerId = peerIdOf(data.peer_id)
    if (peerId === undefined) throw badResponse('identity', 'no valid peer_id')
    return { peerId, listenAddrs: addressList(data.p2p_addresses), restartMarker: seqNumberOf(data.metadata) }
  }

  async poll (): Promise<Snapshot> {
    if (this.endpoint === 'lodestar') return snapshotOf(await this.http.json('GET', LODESTAR_PEERS), 'lodestar peers')
    const snapshot = snapshotOf(await this.http.json('GET', STANDARD_PEERS), 'peers')
    if (this.endpoint === 'lighthouse') await this.addLighthouseAgents(snapshot)
    return snapshot
  }

  close (): void {
    this.http.close()
  }

  /** The client's own endpoint when it answers in the expected shape now; the standard one otherwise. */
  private async richerEndpoint (family: string): Promise<Endpoint> {
    try {
      if (family === 'lodestar') { snapshotOf(await this.http.json('GET', LODESTAR_PEERS), 'lodestar peers'); return 'lodestar' }
      if (family === 'lighthouse') { lighthouseAgents(await this.http.json('GET', LIGHTHOUSE_PEERS)); return 'lighthouse' }
    } catch (err) {
      if (!(err instanceof PollError)) throw err
    }
    return 'standard'
  }

  private endpointPath (): string {
    return this.endpoint === 'lodestar' ? LODESTAR_PEERS : this.endpoint === 'lighthouse' ? `${STANDARD_PEERS} + ${LIGHTHOUSE_PEERS}` : STANDARD_PEERS
  }

  /** Lighthouse's agents; the poll stands without them when that endpoint fails. */
  private async addLighthouseAgents (snapshot: Snapshot): Promise<void> {
    let agents: Map<string, string>
    try {
      agents = lighthouseAgents(await this.http.json('GET', LIGHTHOUSE_PEERS))
    } catch (err) {
      if (err instanceof PollError) return
      throw err
    }
    for (const [peerId, facts] of snapshot.peers) {
      const agent = agents.get(peerId)
      if (agent !== undefined) facts.agentVersion = agent
    }
  }
}

/** The connected peers of a standard or Lodestar answer: one connection per peer. */
export function snapshotOf (body: unknown, what: string): Snapshot {
  const connections: PolledConnection[] = []
  const peers = new Map<string, PolledPeer>()
  for (const entry of asList(dataOf(body, what), what)) {
    if (entry === null || typeof entry !== 'object') continue
    const peer = entry as Record<string, unknown>
    const peerId = peerIdOf(peer.peer_id ?? peer.peerId)
    const state = peer.state
    if (peerId === undefined || peers.has(peerId) || (state !== undefined && state !== 'connected')) continue
    const remoteAddr = boundedText(peer.last_seen_p2p_address ?? peer.lastSeenP2pAddress, MAX_ADDRESS_LENGTH) ?? ''
    connections.push({ id: peerId, peerId, remoteAddr, direction: directionOf(peer.direction), transport: transportOf(remoteAddr), encryption: 'unknown', muxer: 'unknown' })
    peers.set(peerId, { agentVersion: agentOf(peer), protocols: undefined, rttMs: undefined })
  }
  return { connections, peers }
}

/** `agent_version` (Lodestar, Teku), `agentVersion`, or `agent` (Nimbus); Lodestar's "NA" is no agent. */
function agentOf (peer: Record<string, unknown>): string | undefined {
  const agent = boundedText(peer.agent_version ?? peer.agentVersion ?? peer.agent, MAX_AGENT_LENGTH)
  return agent === 'NA' ? undefined : agent
}

/**
 * The API says inbound or outbound; anything else (not in the spec) is counted as inbound:
 * the account has two directions, and a connection the node does not call its own dial is
 * the closer guess.
 */
function directionOf (value: unknown): Direction {
  return value === 'outbound' ? 'outbound' : 'inbound'
}

/** metadata.seq_number (a decimal string): grows with each metadata change, restarts low. */
function seqNumberOf (metadata: unknown): bigint | undefined {
  if (metadata === null || typeof metadata !== 'object') return undefined
  const seq = (metadata as Record<string, unknown>).seq_number
  if (typeof seq !== 'string' || !/^\d{1,20}$/.test(seq)) return undefined
  return BigInt(seq)
}

/** peer ID -> agent string from Lighthouse's /lighthouse/peers/connected (peer_info.client). */
export function lighthouseAgents (body: unknown): Map<string, string> {
  const list = Array.isArray(body) ? body : dataOf(body, 'lighthouse peers')
  const agents = new Map<string, string>()
  for (const entry of asList(list, 'lighthouse peers')) {
    if (entry === null || typeof entry !== 'object') continue
    const peer = entry as Record<string, unknown>
    const peerId = peerIdOf(peer.peer_id)
    const client = (peer.peer_info as { client?: Record<string, unknown> } | undefined)?.client
    if (peerId === undefined || client === undefined || client === null) continue
    const kind = typeof client.kind === 'string' && client.kind !== 'Unknown' ? client.kind : undefined
    const agent = boundedText(client.agent_string, MAX_AGENT_LENGTH) ??
      (kind === undefined ? undefined : boundedText(`${kind}/${typeof client.version === 'string' ? client.version : ''}`, MAX_AGENT_LENGTH))
    if (agent !== undefined) agents.set(peerId, agent)
  }
  return agents
}
