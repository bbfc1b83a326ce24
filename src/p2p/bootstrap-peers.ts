/**
 * The CLI's bootstrap keeper on a running node: dials through the node (each dial counted
 * with every other by the peerTracker service), tags bootstrap peers in the peer store, and
 * follows peer:connect / peer:disconnect. Returns the function that stops it.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { BootstrapKeeper } from './bootstrap-keeper.js'
import type { Logger } from '../log.js'
import type { Libp2p, PeerId } from '@libp2p/interface'

export function startBootstrapKeeper (node: Libp2p, bootstrapAddrs: readonly string[], log: Logger): () => void {
  const keeper = new BootstrapKeeper(bootstrapAddrs, {
    dial: async (addrs, signal) => {
      const connection = await node.dial(addrs.map(a => multiaddr(a)), { signal })
      await node.peerStore.merge(connection.remotePeer, { tags: { bootstrap: { value: 50 } } })
    },
    onDialError: (peerId, err, retryInMs) => {
      log.warn({ peerId, err: (err as Error).message, retryInMs }, 'bootstrap peer dial failed')
    }
  })
  const onPeerConnect = (evt: CustomEvent<PeerId>): void => { keeper.peerConnected(evt.detail.toString()) }
  const onPeerDisconnect = (evt: CustomEvent<PeerId>): void => { keeper.peerDisconnected(evt.detail.toString()) }
  node.addEventListener('peer:connect', onPeerConnect)
  node.addEventListener('peer:disconnect', onPeerDisconnect)
  keeper.start()
  return () => {
    keeper.stop()
    node.removeEventListener('peer:connect', onPeerConnect)
    node.removeEventListener('peer:disconnect', onPeerDisconnect)
  }
}
