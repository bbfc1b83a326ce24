/**
 * Where libp2p's events meet the tracker: each connection event becomes a tracker call, and
 * what the tracker answers (a session opened or finished) becomes a log line.
 */
import { encryptionOf, muxerOf, transportOf } from '../tracker/connection-labels.js'
import { sanitizeAgentVersion, sanitizeProtocols } from '../tracker/sanitize.js'
import { classifyClose } from '../insight/close-reasons.js'
import { watchLocalClose } from './libp2p-internals.js'
import { PeerEventLog } from './peer-event-log.js'
import type { PeerInsight } from '../insight/peer-insight.js'
import type { TrackerLogger } from './logger.js'
import type { PeerEventLogOptions } from './peer-event-log.js'
import type { PeerAccount } from '../tracker/peer-account.js'
import type { Connection, IdentifyResult, Libp2pEvents, TypedEventTarget } from '@libp2p/interface'

export type Libp2pEventTarget = Pick<TypedEventTarget<Libp2pEvents>, 'addEventListener' | 'removeEventListener'>

/**
 * Feeds the tracker from the node's events; returns a function that detaches. Each new and
 * ended peer session is logged ("peer connected" / "peer disconnected") through a PeerEventLog:
 * at info level up to its limit per window, then at debug with one info summary per window.
 */
export function attachTracker (events: Libp2pEventTarget, tracker: PeerAccount, log: TrackerLogger, onError?: (event: string) => void, logOptions?: PeerEventLogOptions): () => void {
  const peerEvents = new PeerEventLog(log, logOptions)
  const guarded = <T>(what: string, handle: (detail: T) => void) => (evt: CustomEvent<T>): void => {
    try {
      handle(evt.detail)
    } catch (err) {
      try {
        onError?.(what)
        log.error({ err, event: what }, 'error while tracking a libp2p event')
      } catch {
        // Never let a failing log or counter escape into libp2p's event dispatch.
      }
    }
  }

  const onOpen = guarded<Connection>('connection:open', (connection) => {
    const remoteAddr = connection.remoteAddr.toString()
    const transport = transportOf(remoteAddr)
    const session = tracker.connectionOpened({
      id: connection.id,
      peerId: connection.remotePeer.toString(),
      remoteAddr,
      direction: connection.direction,
      transport,
      encryption: encryptionOf(connection.encryption, transport),
      muxer: muxerOf(connection.multiplexer)
    })
    if (session !== undefined) {
      peerEvents.connected({ peerId: session.peerId, direction: session.direction, remoteAddr, connectedPeers: tracker.connectedPeers })
    }
  })

  const onClose = guarded<Connection>('connection:close', (connection) => {
    const finished = tracker.connectionClosed(connection.id)
    if (finished !== undefined) {
      peerEvents.disconnected({
        peerId: finished.peerId,
        direction: finished.direction,
        durationSeconds: Math.round(finished.durationSeconds * 1000) / 1000,
        connectedPeers: tracker.connectedPeers
      })
    }
  })

  const onIdentify = guarded<IdentifyResult>('peer:identify', (result) => {
    // Capped before anything is kept: a peer may announce any agent string and protocol list.
    tracker.peerIdentified(result.peerId.toString(), sanitizeAgentVersion(result.agentVersion), sanitizeProtocols(result.protocols))
  })

  events.addEventListener('connection:open', onOpen)
  events.addEventListener('connection:close', onClose)
  events.addEventListener('peer:identify', onIdentify)
  return () => {
    events.removeEventListener('connection:open', onOpen)
    events.removeEventListener('connection:close', onClose)
    events.removeEventListener('peer:identify', onIdentify)
    peerEvents.close()
  }
}

/**
 * Feeds peer insight what only libp2p's objects know: why each connection closed and which
 * connections the connection manager pruned. Attach after attachTracker. Errors are logged
 * and passed to `onError` (counted as internal errors), never thrown into libp2p.
 *
 * Who closed a connection comes from watchLocalClose (libp2p-internals.ts);
 * test/integration/insight-peers.test.ts checks that libp2p still does not say it. The
 * per-connection listener runs right after libp2p's own (which dispatches `connection:close`
 * to the tracker), in the same synchronous dispatch.
 */
export function attachInsight (events: Libp2pEventTarget, insight: PeerInsight, tracker: PeerAccount, log: TrackerLogger, onError?: (event: string) => void): () => void {
  const failed = (event: string, err: unknown, message: string): void => {
    try {
      onError?.(event)
      log.error({ err, event }, message)
    } catch {
      // Never let a failing log or counter escape into libp2p's event dispatch.
    }
  }
  const onOpen = (evt: CustomEvent<Connection>): void => {
    try {
      const connection = evt.detail
      const peerId = connection.remotePeer.toString()
      const { closedLocally } = watchLocalClose(connection)
      connection.addEventListener('close', (closeEvt) => {
        try {
          const reason = classifyClose({ shuttingDown: insight.isShuttingDown, closedLocally: closedLocally(), status: connection.status, error: closeEvt.error })
          insight.connectionCloseClassified(connection.id, peerId, reason, tracker.now())
        } catch (err) {
          failed('connection close', err, 'error while classifying a connection close')
        }
      }, { once: true })
    } catch (err) {
      failed('connection:open', err, 'error while watching a connection for insight')
    }
  }
  const onPrune = (evt: CustomEvent<Connection[]>): void => {
    try {
      insight.connectionsPruned(evt.detail.map(c => c.id), tracker.now())
    } catch (err) {
      failed('connection:prune', err, 'error while counting pruned connections')
    }
  }
  events.addEventListener('connection:open', onOpen)
  events.addEventListener('connection:prune', onPrune)
  return () => {
    events.removeEventListener('connection:open', onOpen)
    events.removeEventListener('connection:prune', onPrune)
  }
}
