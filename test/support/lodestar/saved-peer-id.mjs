/**
 * What Lodestar 1.5.1's cmds/beacon/handler.js gets for @libp2p/peer-id-factory under
 * same-peer-id.mjs (it imports only createSecp256k1PeerId): the peer ID saved in
 * $TRACKER_LODESTAR_PEER_ID_FILE (Lodestar's own peer_id.json format: base58 id, base64
 * keys) when that file exists, else a new one.
 */
import { existsSync, readFileSync } from 'node:fs'

const factory = await import(new URL(import.meta.url).searchParams.get('factory'))

export async function createSecp256k1PeerId () {
  const file = process.env.TRACKER_LODESTAR_PEER_ID_FILE
  if (file !== undefined && file !== '' && existsSync(file)) {
    return await factory.createFromJSON(JSON.parse(readFileSync(file, 'utf8')))
  }
  return await factory.createSecp256k1PeerId()
}
