/**
 * The swarm's ground truth: sessions opened and closed, as the peers themselves observe them
 * through their own connection events. The rules are the tracker's (a session opens with the
 * first connection between two peers and closes with the last), but the direction is stated
 * from the target's side, so the numbers compare one to one with the tracker's counters:
 * a peer's outbound connection is the tracker's inbound one.
 */

export type TargetDirection = 'inbound' | 'outbound'

export interface DirectionCounts {
  inbound: number
  outbound: number
}

export interface PeerTruth {
  index: number
  peerId: string
  role: string
  behaviour: string
  agentVersion: string
  muxers: string[]
  sessionsOpened: number
  sessionsClosed: number
  dialFailures: number
}

export interface GroundTruth {
  /** Sessions opened, by the direction of the connection that opened it, seen from the target. */
  sessionsOpened: DirectionCounts
  /** Sessions closed, by the direction that opened them, seen from the target. */
  sessionsClosed: DirectionCounts
  connectionsOpened: number
  connectionsClosed: number
  /** Connections opened by the muxer they negotiated (yamux, mplex, other). */
  connectionsByMuxer: Record<string, number>
  /** Sessions open now (opened - closed). */
  connectedPeers: number
  dialFailures: number
  /** Remote peers the swarm's peers connected to; 1 when everything went to the target. */
  remotePeers: number
  peers: PeerTruth[]
}

interface OpenSession {
  direction: TargetDirection
  connections: Set<string>
}

/** One swarm peer's account of its connections. Pure: fed by the peer's connection events. */
export class PeerLedger {
  readonly profile: Omit<PeerTruth, 'sessionsOpened' | 'sessionsClosed' | 'dialFailures'>
  private readonly open = new Map<string, OpenSession>()
  readonly remotePeers = new Set<string>()
  readonly sessionsOpened: DirectionCounts = { inbound: 0, outbound: 0 }
  readonly sessionsClosed: DirectionCounts = { inbound: 0, outbound: 0 }
  connectionsOpened = 0
  connectionsClosed = 0
  readonly connectionsByMuxer: Record<string, number> = {}
  dialFailures = 0

  constructor (profile: PeerLedger['profile']) {
    this.profile = profile
  }

  /** `direction` as the swarm peer sees its connection; `muxer` the protocol id it negotiated. */
  connectionOpened (connectionId: string, remotePeer: string, direction: 'inbound' | 'outbound', muxer: string | undefined): void {
    this.remotePeers.add(remotePeer)
    let session = this.open.get(remotePeer)
    if (session?.connections.has(connectionId) === true) return
    this.connectionsOpened++
    const muxerName = muxer?.startsWith('/yamux') === true ? 'yamux' : muxer?.startsWith('/mplex') === true ? 'mplex' : 'other'
    this.connectionsByMuxer[muxerName] = (this.connectionsByMuxer[muxerName] ?? 0) + 1
    if (session === undefined) {
      session = { direction: direction === 'outbound' ? 'inbound' : 'outbound', connections: new Set() }
      this.open.set(remotePeer, session)
      this.sessionsOpened[session.direction]++
    }
    session.connections.add(connectionId)
  }

  connectionClosed (connectionId: string, remotePeer: string): void {
    const session = this.open.get(remotePeer)
    if (session === undefined || !session.connections.delete(connectionId)) return
    this.connectionsClosed++
    if (session.connections.size > 0) return
    this.open.delete(remotePeer)
    this.sessionsClosed[session.direction]++
  }

  /** Open connections to one remote peer. */
  connectionsTo (remotePeer: string): number {
    return this.open.get(remotePeer)?.connections.size ?? 0
  }

  get openSessions (): number {
    return this.open.size
  }

  truth (): PeerTruth {
    return {
      ...this.profile,
      sessionsOpened: this.sessionsOpened.inbound + this.sessionsOpened.outbound,
      sessionsClosed: this.sessionsClosed.inbound + this.sessionsClosed.outbound,
      dialFailures: this.dialFailures
    }
  }
}

/** Adds up ledgers (of one shard) into a ground truth. */
export function truthOf (ledgers: Iterable<PeerLedger>): GroundTruth {
  const truth = emptyTruth()
  const remotes = new Set<string>()
  for (const l of ledgers) {
    addTallies(truth, l)
    truth.connectedPeers += l.openSessions
    for (const r of l.remotePeers) remotes.add(r)
    truth.peers.push(l.truth())
  }
  truth.remotePeers = remotes.size
  return truth
}

/**
 * Adds up the ground truths of several shards. remotePeers is the most any shard saw
 * (every shard talks to the same target).
 */
export function mergeTruths (truths: readonly GroundTruth[]): GroundTruth {
  const total = emptyTruth()
  for (const t of truths) {
    addTallies(total, t)
    total.connectedPeers += t.connectedPeers
    total.remotePeers = Math.max(total.remotePeers, t.remotePeers)
    total.peers.push(...t.peers)
  }
  total.peers.sort((a, b) => a.index - b.index)
  return total
}

export function emptyTruth (): GroundTruth {
  return {
    sessionsOpened: { inbound: 0, outbound: 0 },
    sessionsClosed: { inbound: 0, outbound: 0 },
    connectionsOpened: 0,
    connectionsClosed: 0,
    connectionsByMuxer: {},
    connectedPeers: 0,
    dialFailures: 0,
    remotePeers: 0,
    peers: []
  }
}

/** Sessions opened, both directions. */
export function totalOpened (t: GroundTruth): number {
  return t.sessionsOpened.inbound + t.sessionsOpened.outbound
}

export function totalClosed (t: GroundTruth): number {
  return t.sessionsClosed.inbound + t.sessionsClosed.outbound
}

/** The counts a ledger and a ground truth both keep. */
type Tallies = Pick<GroundTruth, 'sessionsOpened' | 'sessionsClosed' | 'connectionsOpened' | 'connectionsClosed' | 'connectionsByMuxer' | 'dialFailures'>

/** Adds a ledger's or a shard's counts into a total. */
function addTallies (into: Tallies, from: Readonly<Tallies>): void {
  into.sessionsOpened.inbound += from.sessionsOpened.inbound
  into.sessionsOpened.outbound += from.sessionsOpened.outbound
  into.sessionsClosed.inbound += from.sessionsClosed.inbound
  into.sessionsClosed.outbound += from.sessionsClosed.outbound
  into.connectionsOpened += from.connectionsOpened
  into.connectionsClosed += from.connectionsClosed
  addCounts(into.connectionsByMuxer, from.connectionsByMuxer)
  into.dialFailures += from.dialFailures
}

function addCounts (into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n
}
