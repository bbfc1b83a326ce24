/**
 * A store belongs to one node (src/storage/node-identity.ts): the watched node's peer ID for a
 * polling source, the tracker's own (when persistent) for libp2p. Stores from before the
 * record are libp2p stores: they keep working for the libp2p source.
 */
import { MemoryDatastore } from 'datastore-core/memory'
import { Key } from 'interface-datastore'
import { describe, expect, it } from 'vitest'
import { NODE_KEY, claimStore, readOwner } from '../../src/storage/node-identity.js'
import { StoreError } from '../../src/storage/store.js'

const X = '16Uiu2HAmStandInNode0000000000000000000000000000001'
const Y = '16Uiu2HAmStandInNode0000000000000000000000000000002'

async function refusal (promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError)
    return (err as Error).message
  }
  throw new Error('expected a StoreError')
}

describe('claimStore', () => {
  it('records the watched node in a new store, then accepts only that node', async () => {
    const store = new MemoryDatastore()
    await claimStore(store, '/s', { source: 'beacon-api', peerId: X })
    expect(await readOwner(store)).toEqual({ source: 'beacon-api', peerId: X })
    await claimStore(store, '/s', { source: 'beacon-api', peerId: X })
    expect(await refusal(claimStore(store, '/s', { source: 'beacon-api', peerId: Y })))
      .toBe(`--storage.path: the store at /s belongs to the beacon-api node ${X}, and this tracker watches the beacon-api node ${Y}: give each node's tracker its own --storage.path`)
    expect(await refusal(claimStore(store, '/s', { source: 'kubo-rpc', peerId: X }))).toContain('belongs to the beacon-api node')
    expect(await refusal(claimStore(store, '/s', { source: 'libp2p', peerId: undefined }))).toContain('this tracker watches a libp2p tracker\'s own node')
  })

  it('keeps a store from before the record working for the libp2p source, and refuses it for a polling one', async () => {
    const old = new MemoryDatastore()
    await old.put(new Key('/tracker/peers/12D3KooWApmhCDoUFED7qJcRjPVrbmAjmATuxCeZrMD9d5CLPFNf'), new Uint8Array([1]))
    expect(await refusal(claimStore(old, '/s', { source: 'kubo-rpc', peerId: X }))).toContain('belongs to a libp2p tracker\'s own node')
    expect(await old.has(NODE_KEY)).toBe(false)
    await claimStore(old, '/s', { source: 'libp2p', peerId: undefined })
    expect(await readOwner(old)).toEqual({ source: 'libp2p', peerId: undefined })
  })

  it('a libp2p tracker: a persistent identity is recorded and then held to; without one any run is the same node', async () => {
    const store = new MemoryDatastore()
    await claimStore(store, '/s', { source: 'libp2p', peerId: undefined })
    await claimStore(store, '/s', { source: 'libp2p', peerId: X }) // --p2p.identity-file given later: recorded
    expect(await readOwner(store)).toEqual({ source: 'libp2p', peerId: X })
    await claimStore(store, '/s', { source: 'libp2p', peerId: undefined })
    expect(await refusal(claimStore(store, '/s', { source: 'libp2p', peerId: Y }))).toContain(`belongs to the libp2p node ${X}`)
  })

  it('an empty store (only its format key) is anyone\'s', async () => {
    const store = new MemoryDatastore()
    await store.put(new Key('/tracker/format'), new TextEncoder().encode('1'))
    await claimStore(store, '/s', { source: 'kubo-rpc', peerId: X })
    expect(await readOwner(store)).toEqual({ source: 'kubo-rpc', peerId: X })
  })
})
