/**
 * observeDials (src/service/libp2p-internals.ts) on a connection manager stand-in whose
 * openConnection is a prototype method, as libp2p's is: what counts as a dial, and what detaching
 * leaves behind, also when another wrapper was put on top meanwhile (a second tracker on the
 * node, or the user's own). The real connection manager: test/integration/libp2p-internals.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { observeDials } from '../../src/service/libp2p-internals.js'
import type { DialObserver } from '../../src/service/libp2p-internals.js'
import type { Connection } from '@libp2p/interface'

type Progress = (evt: { type: string }) => void

class FakeConnectionManager {
  calls = 0
  async openConnection (target: string, options: { onProgress?: Progress } = {}): Promise<Connection> {
    this.calls++
    if (target === 'open') options.onProgress?.({ type: 'dial-queue:already-connected' })
    if (target === 'fail') throw Object.assign(new Error('dial failed'), { name: 'DialError' })
    if (target === 'not-started') throw Object.assign(new Error('not started'), { name: 'NotStartedError' })
    return { id: target } as unknown as Connection
  }
}

function counting (): DialObserver & { succeeded: () => void, counts: { succeeded: number, failed: number } } {
  const counts = { succeeded: 0, failed: 0 }
  return { counts, succeeded: () => { counts.succeeded++ }, failed: () => { counts.failed++ }, stopping: () => false }
}

const dial = async (manager: FakeConnectionManager, target: string): Promise<unknown> => await manager.openConnection(target).catch((err: unknown) => err)

describe('observeDials', () => {
  it('counts dials and failed dials, not calls answered by an open connection or on a stopped node, and restores the prototype method', async () => {
    const manager = new FakeConnectionManager()
    const observer = counting()
    const detach = observeDials(manager, observer)
    expect(Object.prototype.hasOwnProperty.call(manager, 'openConnection')).toBe(true)
    await dial(manager, 'a')
    await dial(manager, 'open')
    expect(await dial(manager, 'fail')).toMatchObject({ name: 'DialError' }) // the outcome reaches the caller
    await dial(manager, 'not-started')
    expect(observer.counts).toEqual({ succeeded: 1, failed: 1 })
    expect(manager.calls).toBe(4)
    detach()
    expect(Object.prototype.hasOwnProperty.call(manager, 'openConnection')).toBe(false)
    await dial(manager, 'a')
    expect(observer.counts).toEqual({ succeeded: 1, failed: 1 })
  })

  it('observes nothing once detached, also when another wrapper on top keeps it in the chain, and counts each dial once after a restart', async () => {
    const manager = new FakeConnectionManager()
    const first = counting()
    const second = counting()
    const detachFirst = observeDials(manager, first)
    const detachSecond = observeDials(manager, second) // on top of the first
    detachFirst() // the first tracker's node stops first: the second wrapper is still on top
    await dial(manager, 'a')
    expect(first.counts.succeeded).toBe(0)
    expect(second.counts.succeeded).toBe(1)
    detachSecond() // puts back what it wrapped: the first, detached wrapper
    await dial(manager, 'b')
    expect(first.counts.succeeded).toBe(0)
    expect(second.counts.succeeded).toBe(1)
    // The first tracker's node starts again: it wraps whatever is there, and counts each dial once.
    const detachAgain = observeDials(manager, first)
    await dial(manager, 'c')
    await dial(manager, 'fail')
    expect(first.counts).toEqual({ succeeded: 1, failed: 1 })
    expect(manager.calls).toBe(4)
    detachAgain()
  })
})
