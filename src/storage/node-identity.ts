/**
 * Which node a store belongs to: one store, one node's history. Kept under /tracker/node as
 * JSON {source, peerId}: the watched node's peer ID for a polling source, the tracker's own
 * for the libp2p source (when it is persistent, with --p2p.identity-file). A store made for
 * another node is refused (StoreError: one line naming --storage.path, exit 2), never mixed.
 * Stores from before this record are libp2p stores: they keep working for the libp2p source.
 */
import { Key } from 'interface-datastore'
import { LIBP2P_PEERS_PREFIX, PEERS_PREFIX } from './history-codec.js'
import { StoreError } from './store.js'
import type { SourceKind } from '../config/config.js'
import type { Datastore } from 'interface-datastore'

export const NODE_KEY = new Key('/tracker/node')

export interface StoreOwner {
  source: SourceKind
  /** undefined: a libp2p tracker with a new identity each run (no --p2p.identity-file). */
  peerId: string | undefined
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Records the owner in a store that has none; refuses a store that belongs to another node. */
export async function claimStore (datastore: Datastore, path: string, owner: StoreOwner): Promise<void> {
  const stored = await readOwner(datastore)
  if (stored === undefined) {
    if (owner.source !== 'libp2p' && await holdsHistory(datastore)) throw refused(path, { source: 'libp2p', peerId: undefined }, owner)
  } else if (!sameNode(stored, owner)) {
    throw refused(path, stored, owner)
  } else if (stored.peerId !== undefined || owner.peerId === undefined) {
    return
  }
  await datastore.put(NODE_KEY, encoder.encode(JSON.stringify(owner)))
}

export async function readOwner (datastore: Datastore): Promise<StoreOwner | undefined> {
  let bytes: Uint8Array
  try {
    bytes = await datastore.get(NODE_KEY)
  } catch (err) {
    if ((err as { name?: string }).name === 'NotFoundError') return undefined
    throw err
  }
  try {
    const value = JSON.parse(decoder.decode(bytes)) as { source?: unknown, peerId?: unknown }
    return { source: String(value.source) as SourceKind, peerId: typeof value.peerId === 'string' ? value.peerId : undefined }
  } catch {
    return { source: 'unknown' as SourceKind, peerId: undefined }
  }
}

/** Same source, and the same peer ID where both are known (a libp2p tracker without an identity file has none). */
function sameNode (stored: StoreOwner, owner: StoreOwner): boolean {
  if (stored.source !== owner.source) return false
  if (owner.source !== 'libp2p') return stored.peerId === owner.peerId
  return stored.peerId === undefined || owner.peerId === undefined || stored.peerId === owner.peerId
}

async function holdsHistory (datastore: Datastore): Promise<boolean> {
  for (const prefix of [PEERS_PREFIX, LIBP2P_PEERS_PREFIX]) {
    for await (const _ of datastore.queryKeys({ prefix, limit: 1 })) return true
  }
  return false
}

function describe (owner: StoreOwner): string {
  if (owner.source === 'libp2p') return owner.peerId === undefined ? 'a libp2p tracker\'s own node' : `the libp2p node ${owner.peerId}`
  return `the ${owner.source} node ${owner.peerId ?? '(unknown)'}`
}

function refused (path: string, stored: StoreOwner, owner: StoreOwner): StoreError {
  return new StoreError(`--storage.path: the store at ${path} belongs to ${describe(stored)}, and this tracker watches ${describe(owner)}: give each node's tracker its own --storage.path`)
}
