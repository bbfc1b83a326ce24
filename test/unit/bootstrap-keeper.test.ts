import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { BootstrapKeeper } from '../../src/p2p/bootstrap-keeper.js'

const A = '12D3KooWApmhCDoUFED7qJcRjPVrbmAjmATuxCeZrMD9d5CLPFNf'
const B = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const addrA = `/ip4/127.0.0.1/tcp/4001/p2p/${A}`
const addrA6 = `/ip6/::1/tcp/4001/p2p/${A}`
const addrB = `/ip4/127.0.0.1/tcp/4002/p2p/${B}`

interface Dial { addrs: string[], resolve: () => void, reject: (err: Error) => void }

function harness (addrs: string[]): { keeper: BootstrapKeeper, dials: Dial[], errors: Array<{ peerId: string, retryInMs: number }> } {
  const dials: Dial[] = []
  const errors: Array<{ peerId: string, retryInMs: number }> = []
  const keeper = new BootstrapKeeper(addrs, {
    dial: async (dialAddrs) => await new Promise<void>((resolve, reject) => { dials.push({ addrs: dialAddrs, resolve, reject }) }),
    onDialError: (peerId, _err, retryInMs) => { errors.push({ peerId, retryInMs }) },
    minBackoffMs: 1000,
    maxBackoffMs: 8000,
    random: () => 0.5 // no jitter: 0.8 + 0.4 * 0.5 = 1
  })
  return { keeper, dials, errors }
}

beforeEach(() => { vi.useFakeTimers() })
afterEach(() => { vi.useRealTimers() })

describe('BootstrapKeeper', () => {
  it('dials each bootstrap peer once at start, with all of its addresses', () => {
    const { keeper, dials } = harness([addrA, addrB, addrA6])
    keeper.start()
    expect(dials.map(d => d.addrs)).toEqual([[addrA, addrA6], [addrB]])
    expect(keeper.peerIds).toEqual([A, B])
    keeper.stop()
  })

  it('retries a failing peer with doubling backoff up to the cap, and forever', async () => {
    const { keeper, dials, errors } = harness([addrA])
    keeper.start()
    for (let attempt = 1; attempt <= 6; attempt++) {
      dials.at(-1)?.reject(new Error('refused'))
      await vi.advanceTimersByTimeAsync(0)
      const wait = Math.min(8000, 1000 * 2 ** attempt)
      expect(errors.at(-1)).toEqual({ peerId: A, retryInMs: wait })
      await vi.advanceTimersByTimeAsync(wait - 1)
      expect(dials).toHaveLength(attempt)
      await vi.advanceTimersByTimeAsync(1)
      expect(dials).toHaveLength(attempt + 1)
    }
    keeper.stop()
  })

  it('redials a peer that disconnects, after the minimum backoff, and resets backoff on connect', async () => {
    const { keeper, dials } = harness([addrA])
    keeper.start()
    dials[0]?.reject(new Error('refused'))
    await vi.advanceTimersByTimeAsync(2000)
    expect(dials).toHaveLength(2)
    keeper.peerConnected(A)
    dials[1]?.resolve()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(dials).toHaveLength(2) // connected: nothing to do

    keeper.peerDisconnected(A)
    await vi.advanceTimersByTimeAsync(999)
    expect(dials).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(dials).toHaveLength(3)
    keeper.stop()
  })

  it('redials when the connection closed again while the dial was still resolving', async () => {
    const { keeper, dials } = harness([addrA])
    keeper.start()
    keeper.peerConnected(A)
    keeper.peerDisconnected(A) // dial in flight: no second dial yet
    dials[0]?.resolve()
    await vi.advanceTimersByTimeAsync(1000)
    expect(dials).toHaveLength(2)
    keeper.stop()
  })

  it('ignores peers that are not bootstrap peers, and does nothing after stop', async () => {
    const { keeper, dials } = harness([addrA])
    keeper.start()
    keeper.peerDisconnected(B)
    expect(keeper.isBootstrapPeer(B)).toBe(false)
    keeper.stop()
    dials[0]?.reject(new Error('aborted'))
    keeper.peerDisconnected(A)
    await vi.advanceTimersByTimeAsync(600_000)
    expect(dials).toHaveLength(1)
  })
})
