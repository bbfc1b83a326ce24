/**
 * The only place libp2p events meet the tracker: each connection event becomes a tracker
 * call, and what the tracker answers (a session opened or finished) becomes a log line.
 */
import { encryptionOf, muxerOf, transportOf } from '../tracker/connection-labels.js'
import type { Logger } from '../log.js'
import type { PeerTracker } from '../tracker/peer-tracker.js'
import type { Connection, IdentifyResult, Libp2pEvents, TypedEventTarget } from '@libp2p/interface'

export type Libp2pEventTarget = Pick<TypedEventTarget<Libp2pEvents>, 'addEventListener' | 'removeEventListener'>

/** Feeds the tracker from the node's events; returns a function that detaches. */
export function attachTracker (events: Libp2pEventTarget, tracker: PeerTracker, log: Logger): () => void {
  const guarded = <T>(what: string, handle: (detail: T) => void) => (evt: CustomEvent<T>): void => {
    try {
      handle(evt.detail)
    } catch (err) {
      log.error({ err, event: what }, 'error while tracking a libp2p event')
    }
  }

  const onOpen = guarded<Connection>('connection:open', (connection) => {
    const remoteAddr = connection.remoteAddr.toString()
    const session = tracker.connectionOpened({
      id: connection.id,
      peerId: connection.remotePeer.toString(),
      remoteAddr,
      direction: connection.direction,
      transport: transportOf(remoteAddr),
      encryption: encryptionOf(connection.encryption),
      muxer: muxerOf(connection.multiplexer)
    })
    if (session !== undefined) {
      log.info({ peerId: session.peerId, direction: session.direction, remoteAddr, connectedPeers: tracker.connectedPeers }, 'peer connected')
    }
  })

  const onClose = guarded<Connection>('connection:close', (connection) => {
    const finished = tracker.connectionClosed(connection.id)
    if (finished !== undefined) {
      log.info({
        peerId: finished.peerId,
        direction: finished.direction,
        durationSeconds: Math.round(finished.durationSeconds * 1000) / 1000,
        connectedPeers: tracker.connectedPeers
      }, 'peer disconnected')
    }
  })

  const onIdentify = guarded<IdentifyResult>('peer:identify', (result) => {
    tracker.peerIdentified(result.peerId.toString(), result.agentVersion, result.protocols)
  })

  events.addEventListener('connection:open', onOpen)
  events.addEventListener('connection:close', onClose)
  events.addEventListener('peer:identify', onIdentify)
  return () => {
    events.removeEventListener('connection:open', onOpen)
    events.removeEventListener('connection:close', onClose)
    events.removeEventListener('peer:identify', onIdentify)
  }
}
