/**
 * Kubo through its RPC API: POST /api/v0/version and /api/v0/id at start, then each poll
 * POST /api/v0/swarm/peers?verbose=true&latency=true&streams=true&direction=true&identify=true
 * (kubo core/commands/swarm.go). Kubo lists ONE ENTRY PER CONNECTION: a peer with two
 * connections is two entries, one peer. Per entry: Addr, Peer, Latency (a Go duration or
 * "n/a", the peer's EWMA), Direction (0 unknown, 1 inbound, 2 outbound; omitted when 0),
 * Streams[].Protocol, Identify {ID, AgentVersion, Protocols, ...} (empty without verbose or
 * identify). Muxer is declared but never set, and encryption is not listed: both `unknown`.
 * There is no connection start time, and no restart marker: a Kubo restart shows only as the
 * connections it closed.
 */
import { goDurationMs } from '../config/duration.js'
import { MAX_AGENT_LENGTH, sanitizeAgentVersion, sanitizeProtocols } from '../tracker/sanitize.js'
import { transportOf } from '../tracker/connection-labels.js'
import { uniqueIds } from './connection-set.js'
import { MAX_ADDRESS_LENGTH, addressList, asList, asRecord, badResponse, boundedText, peerIdOf } from './response-shape.js'
import type { PolledConnection, PolledPeer, Snapshot } from './connection-set.js'
import type { HttpSource } from './http-source.js'
import type { NodeApi, NodeDescription, NodeIdentity } from './node-api.js'
import type { Direction } from '../tracker/connection-labels.js'

export const SWARM_PEERS = '/api/v0/swarm/peers?verbose=true&latency=true&streams=true&direction=true&identify=true'

export class KuboRpc implements NodeApi {
  readonly kind = 'kubo-rpc' as const
  private readonly http: HttpSource

  constructor (http: HttpSource) {
    this.http = http
  }

  async describe (): Promise<NodeDescription> {
    const version = asRecord(await this.http.json('POST', '/api/v0/version'), 'version')
    const id = await this.identityRecord()
    const agent = boundedText(id.AgentVersion, MAX_AGENT_LENGTH) ??
      (typeof version.Version === 'string' ? boundedText(`kubo/${version.Version}`, MAX_AGENT_LENGTH) : undefined)
    return { ...identityOf(id), agentVersion: agent, peersEndpoint: SWARM_PEERS }
  }

  async identity (): Promise<NodeIdentity> {
    return identityOf(await this.identityRecord())
  }

  async poll (): Promise<Snapshot> {
    return kuboSnapshotOf(await this.http.json('POST', SWARM_PEERS))
  }

  close (): void {
    this.http.close()
  }

  private async identityRecord (): Promise<Record<string, unknown>> {
    return asRecord(await this.http.json('POST', '/api/v0/id'), 'id')
  }
}

function identityOf (id: Record<string, unknown>): NodeIdentity {
  const peerId = peerIdOf(id.ID)
  if (peerId === undefined) throw badResponse('id', 'no valid ID')
  return { peerId, listenAddrs: addressList(id.Addresses), restartMarker: undefined }
}

interface KuboConnection {
  peerId: string
  addr: string
  direction: Direction
  entry: Record<string, unknown>
}

/** The connections and peers of a swarm/peers answer. */
export function kuboSnapshotOf (body: unknown): Snapshot {
  const list = asList(asRecord(body, 'swarm peers').Peers ?? null, 'swarm peers')
  const valid: KuboConnection[] = []
  for (const entry of list) {
    if (entry === null || typeof entry !== 'object') continue
    const record = entry as Record<string, unknown>
    const peerId = peerIdOf(record.Peer)
    if (peerId === undefined) continue
    valid.push({ peerId, addr: boundedText(record.Addr, MAX_ADDRESS_LENGTH) ?? '', direction: directionOf(record.Direction), entry: record })
  }
  const ids = uniqueIds(valid, c => `${c.peerId}|${c.addr}|${c.direction}`)
  const connections: PolledConnection[] = valid.map((c, i) => ({
    id: ids[i] as string, peerId: c.peerId, remoteAddr: c.addr, direction: c.direction, transport: transportOf(c.addr), encryption: 'unknown', muxer: 'unknown'
  }))
  const peers = new Map<string, PolledPeer>()
  for (const c of valid) peers.set(c.peerId, mergePeer(peers.get(c.peerId), c.entry))
  return { connections, peers }
}

/** 1 inbound, 2 outbound (go-libp2p's network.Direction); 0 or anything else unknown, counted as inbound. */
function directionOf (value: unknown): Direction {
  return value === 2 ? 'outbound' : 'inbound'
}

/** One peer's facts from all its connections: identify's agent and protocols plus the protocols of open streams. */
function mergePeer (known: PolledPeer | undefined, entry: Record<string, unknown>): PolledPeer {
  const identify = entry.Identify !== null && typeof entry.Identify === 'object' ? entry.Identify as Record<string, unknown> : {}
  const agent = typeof identify.AgentVersion === 'string' && identify.AgentVersion !== '' ? sanitizeAgentVersion(identify.AgentVersion) : undefined
  const streams = Array.isArray(entry.Streams) ? entry.Streams.map(s => (s as { Protocol?: unknown } | null)?.Protocol) : []
  const announced = Array.isArray(identify.Protocols) ? identify.Protocols : []
  const protocols = [...(known?.protocols ?? []), ...announced, ...streams]
  return {
    agentVersion: known?.agentVersion ?? agent,
    protocols: protocols.length === 0 ? undefined : sanitizeProtocols(protocols),
    rttMs: known?.rttMs ?? goDurationMs(entry.Latency)
  }
}
