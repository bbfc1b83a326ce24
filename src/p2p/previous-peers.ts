/**
 * The CLI's redial of the peers connected before a restart (--storage.path) on a running
 * node: dials by peer ID (libp2p finds the addresses in its persisted peer store; each dial
 * counted with every other by the peerTracker service), follows peer:connect so a peer that
 * dialled us needs no dial, and skips this node and the bootstrap peers (the keeper dials
 * those). Returns how many peers it redials and the function that stops it.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { peerIdOfMultiaddr } from '../config/values.js'
import type { Logger } from '../log.js'
import type { TrackerStorage } from '../storage/tracker-storage.js'
import type { Libp2p, PeerId } from '@libp2p/interface'

export function startRedialingPreviousPeers (node: Libp2p, storage: TrackerStorage, options: { maxConnections: number, bootstrap: readonly string[], log: Logger }): { peers: number, stop: () => void } {
  const { log } = options
  const bootstrapPeers = new Set(options.bootstrap.map(peerIdOfMultiaddr))
  const self = node.peerId.toString()
  const onPeerConnect = (evt: CustomEvent<PeerId>): void => { storage.peerConnected(evt.detail.toString()) }
  node.addEventListener('peer:connect', onPeerConnect)
  const peers = storage.startRedial({
    maxConnections: options.maxConnections,
    dial: async (peerId, signal) => { await node.dial(peerIdFromString(peerId), { signal }) },
    openConnections: () => node.getConnections().length,
    isConnected: (peerId) => node.getConnections(peerIdFromString(peerId)).length > 0,
    skip: (peerId) => peerId === self || bootstrapPeers.has(peerId),
    onDialError: (peerId, err) => { log.debug({ peerId, err: (err as Error)?.message }, 'redial of a peer connected before the restart failed') },
    onDone: (r) => { log.info(r, 'redial of the peers connected before the restart done') }
  })
  if (peers > 0) log.info({ peers }, 'redialling the peers connected before the restart')
  return {
    peers,
    stop: () => { storage.beginStop(); node.removeEventListener('peer:connect', onPeerConnect) }
  }
}
