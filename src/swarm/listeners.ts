/**
 * The listening peers' addresses, known before any of them starts: their keys come from the
 * seed and their ports from --listen-port-base, so a tracker can be started with them as
 * bootstrap peers before the swarm runs.
 */
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { planPeers } from './plan.js'
import type { PlanOptions } from './plan.js'

export async function plannedListenerAddrs (plan: PlanOptions, listenPortBase: number): Promise<string[]> {
  if (listenPortBase <= 0) throw new Error('listener addresses are only known in advance with a fixed listen port base')
  const listeners = planPeers(plan).filter(p => p.role === 'listener')
  return await Promise.all(listeners.map(async (p, rank) => {
    const key = await generateKeyPairFromSeed('Ed25519', Buffer.from(p.keySeed, 'hex'))
    return `/ip4/127.0.0.1/tcp/${listenPortBase + rank}/p2p/${peerIdFromPrivateKey(key).toString()}`
  }))
}
