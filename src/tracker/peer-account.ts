import { DIRECTIONS, labelKey } from './connection-labels.js'
import { SessionHistogram } from './session-histogram.js'
import type { Clock } from './clock.js'
import type { ConnectionLabels, Direction } from './connection-labels.js'

/** What the p2p adapter reports when a connection opens. */
export interface OpenedConnection extends ConnectionLabels {
  /** libp2p's connection id, unique per process. */
  id: string
  peerId: string
  remoteAddr: string
}

export interface TrackedConnection extends OpenedConnection {
  openedAt: number
}

interface ConnectionRecord extends TrackedConnection {
  /** The counts of this connection's label combination, found once at open. */
  readonly counts: ConnectionCounts
}

/** One peer's time connected: from its first open connection to its last one closing. */
export interface PeerSession {
  readonly peerId: string
  /** Direction of the connection that opened the session. */
  readonly direction: Direction
  readonly startedAt: number
  /** Open connections to this peer, oldest first (usually one). */
  readonly connections: TrackedConnection[]
  agentVersion: string | undefined
  protocols: readonly string[] | undefined
}

/**
 * Told of every change the tracker accepted, in the same call (no events, no allocation):
 * peer insight keeps its incremental counts this way. Ignored events are not passed on.
 */
export interface TrackerObserver {
  connectionOpened: (connection: TrackedConnection) => void
  connectionClosed: (connection: TrackedConnection) => void
  /** After connectionOpened for the session's first connection. */
  sessionStarted: (session: PeerSession, connection: TrackedConnection) => void
  /** After connectionClosed for the session's last connection. */
  sessionEnded: (session: PeerSession, finished: FinishedSession) => void
  /** After the session's agentVersion and protocols were updated. */
  peerIdentified: (session: PeerSession, previousAgentVersion: string | undefined) => void
}

export interface FinishedSession {
  peerId: string
  direction: Direction
  startedAt: number
  endedAt: number
  durationSeconds: number
}

/** Opened and closed connections with one label combination. Open = opened - closed. */
export interface ConnectionCounts {
  readonly labels: ConnectionLabels
  opened: number
  closed: number
}

/**
 * The exact account of connected peers. Pure state driven by connection events and an
 * injected clock: no libp2p, no timers, no I/O, so every rule here is unit-tested.
 *
 * Rules: a peer session opens with the peer's first connection and closes with its last;
 * several connections to one peer are one peer; a redial after the last close is a new
 * session. Events that do not fit (a close for an unknown connection, a repeated open)
 * are ignored, so the counts can never go negative or double.
 */
export class PeerAccount {
  private readonly clock: Clock
  /** Connected peers in session-start order (Map keeps insertion order): oldest first. */
  private readonly sessions = new Map<string, PeerSession>()
  private readonly connections = new Map<string, ConnectionRecord>()
  private readonly connectionCounts = new Map<string, ConnectionCounts>()
  private lastCounts: ConnectionCounts | undefined
  readonly connects: Record<Direction, number> = { inbound: 0, outbound: 0 }
  readonly disconnects: Record<Direction, number> = { inbound: 0, outbound: 0 }
  readonly finishedSessions: Record<Direction, SessionHistogram> = {
    inbound: new SessionHistogram(),
    outbound: new SessionHistogram()
  }

  /** Events that did not fit the state (see the class comment), for diagnosis. */
  ignoredEvents = 0

  private readonly observer: TrackerObserver | undefined

  constructor (clock: Clock, knownConnectionLabels: readonly ConnectionLabels[] = [], observer?: TrackerObserver) {
    this.clock = clock
    this.observer = observer
    for (const labels of knownConnectionLabels) this.countsFor(labels)
  }

  /** Returns the new session when this connection is the peer's first, else undefined. */
  connectionOpened (opened: OpenedConnection): PeerSession | undefined {
    if (this.connections.has(opened.id)) {
      this.ignoredEvents++
      return undefined
    }
    const now = this.clock.now()
    const counts = this.countsFor(opened)
    const connection: ConnectionRecord = {
      id: opened.id,
      peerId: opened.peerId,
      remoteAddr: opened.remoteAddr,
      direction: opened.direction,
      transport: opened.transport,
      encryption: opened.encryption,
      muxer: opened.muxer,
      openedAt: now,
      counts
    }
    this.connections.set(connection.id, connection)
    counts.opened++
    this.observer?.connectionOpened(connection)

    const existing = this.sessions.get(connection.peerId)
    if (existing !== undefined) {
      existing.connections.push(connection)
      return undefined
    }
    const session: PeerSession = {
      peerId: connection.peerId,
      direction: connection.direction,
      startedAt: now,
      connections: [connection],
      agentVersion: undefined,
      protocols: undefined
    }
    this.sessions.set(session.peerId, session)
    this.connects[session.direction]++
    this.observer?.sessionStarted(session, connection)
    return session
  }

  /** Returns the finished session when this was the peer's last connection, else undefined. */
  connectionClosed (connectionId: string): FinishedSession | undefined {
    const connection = this.connections.get(connectionId)
    if (connection === undefined) {
      this.ignoredEvents++
      return undefined
    }
    this.connections.delete(connectionId)
    connection.counts.closed++
    this.observer?.connectionClosed(connection)

    const session = this.sessions.get(connection.peerId)
    if (session === undefined) return undefined // unreachable: every connection belongs to a session
    const index = session.connections.indexOf(connection)
    if (index !== -1) session.connections.splice(index, 1)
    if (session.connections.length > 0) return undefined

    this.sessions.delete(session.peerId)
    const endedAt = this.clock.now()
    const durationSeconds = Math.max(0, endedAt - session.startedAt) / 1000
    this.disconnects[session.direction]++
    this.finishedSessions[session.direction].observe(durationSeconds)
    const finished: FinishedSession = { peerId: session.peerId, direction: session.direction, startedAt: session.startedAt, endedAt, durationSeconds }
    this.observer?.sessionEnded(session, finished)
    return finished
  }

  /** Records what identify learned about a connected peer; ignored for peers not connected. */
  peerIdentified (peerId: string, agentVersion: string | undefined, protocols: readonly string[]): void {
    const session = this.sessions.get(peerId)
    if (session === undefined) return
    const previousAgentVersion = session.agentVersion
    session.agentVersion = agentVersion
    session.protocols = protocols
    this.observer?.peerIdentified(session, previousAgentVersion)
  }

  get connectedPeers (): number {
    return this.sessions.size
  }

  get openConnections (): number {
    return this.connections.size
  }

  session (peerId: string): PeerSession | undefined {
    return this.sessions.get(peerId)
  }

  /** Connected peers, longest-connected first. Cheap to stop early: take what you need. */
  sessionsByAge (): IterableIterator<PeerSession> {
    return this.sessions.values()
  }

  connectionCountsByLabels (): IterableIterator<ConnectionCounts> {
    return this.connectionCounts.values()
  }

  totalConnects (): number {
    let sum = 0
    for (const direction of DIRECTIONS) sum += this.connects[direction]
    return sum
  }

  totalDisconnects (): number {
    let sum = 0
    for (const direction of DIRECTIONS) sum += this.disconnects[direction]
    return sum
  }

  now (): number {
    return this.clock.now()
  }

  private countsFor (labels: ConnectionLabels): ConnectionCounts {
    // Most connections share one label combination: skip building the key for a repeat.
    const last = this.lastCounts
    if (last !== undefined && last.labels.direction === labels.direction && last.labels.muxer === labels.muxer &&
      last.labels.transport === labels.transport && last.labels.encryption === labels.encryption) return last
    this.lastCounts = this.countsByKey(labels)
    return this.lastCounts
  }

  private countsByKey (labels: ConnectionLabels): ConnectionCounts {
    const key = labelKey(labels)
    let counts = this.connectionCounts.get(key)
    if (counts === undefined) {
      counts = {
        labels: { direction: labels.direction, transport: labels.transport, encryption: labels.encryption, muxer: labels.muxer },
        opened: 0,
        closed: 0
      }
      this.connectionCounts.set(key, counts)
    }
    return counts
  }
}
