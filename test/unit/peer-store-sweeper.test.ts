/**
 * The peer store sweeper against a fake store: it refreshes connected peers, then reads every
 * record, yielding to the event loop between batches, never twice at once; errors are
 * reported once and the next sweep runs; stop() ends a sweep at its next yield.
 */
import { describe, expect, it } from 'vitest'
import { DEFAULT_SWEEP_BATCH, MAX_SWEEP_INTERVAL_MS, PeerStoreSweeper, sweepIntervalMs } from '../../src/service/peer-store-sweeper.js'
import type { PeerStoreRecords, PeerStoreSweeperOptions } from '../../src/service/peer-store-sweeper.js'

interface FakeStore extends PeerStoreRecords<string> {
  /** Every call, in order: `refresh A`, `read start`, `read 3`, `read end`, `read closed`. */
  calls: string[]
  /** Records handed out by the reads so far. */
  read: number
}

/** A store of `size` records and the given connected peers; `gate` (if any) holds the read before record `at`. */
function fakeStore (size: number, connected: string[] = [], options: { failAt?: number, gate?: { at: number, open: Promise<void> }, refreshFails?: Set<string> } = {}): FakeStore {
  const store: FakeStore = {
    calls: [],
    read: 0,
    connectedPeers: () => connected,
    refresh: async (peer) => {
      store.calls.push(`refresh ${peer}`)
      if (options.refreshFails?.has(peer) === true) throw new Error(`refresh ${peer} failed`)
    },
    records: () => (async function * () {
      store.calls.push('read start')
      try {
        for (let i = 0; i < size; i++) {
          if (options.gate?.at === i) await options.gate.open
          if (options.failAt === i) throw new Error('datastore failed')
          store.read++
          yield { id: i }
        }
        store.calls.push('read end')
      } finally {
        store.calls.push('read closed')
      }
    })()
  }
  return store
}

function sweeper (store: FakeStore, options: Partial<PeerStoreSweeperOptions<string>> = {}): { sweeper: PeerStoreSweeper<string>, errors: unknown[] } {
  const errors: unknown[] = []
  let now = 1_700_000_000_000
  let ms = 0
  return {
    sweeper: new PeerStoreSweeper({ store, onError: (err) => { errors.push(err) }, clock: { now: () => now++ }, elapsed: () => (ms += 5), ...options }),
    errors
  }
}

function deferred (): { promise: Promise<void>, resolve: () => void } {
  let resolve = (): void => {}
  const promise = new Promise<void>(r => { resolve = r })
  return { promise, resolve }
}

describe('PeerStoreSweeper', () => {
  it('refreshes the connected peers, then reads every record to the end and reports what is left', async () => {
    const store = fakeStore(1000, ['A', 'B'])
    const swept: unknown[] = []
    const { sweeper: s, errors } = sweeper(store, { onSwept: (r) => swept.push(r) })
    expect(s.last).toBeUndefined()
    const result = await s.sweep()
    expect(store.calls).toEqual(['refresh A', 'refresh B', 'read start', 'read end', 'read closed'])
    expect(result).toEqual({ records: 1000, refreshed: 2, refreshFailed: 0, durationMs: 5, endedAt: 1_700_000_000_000 })
    expect(s.last).toEqual(result)
    expect(swept).toEqual([result])
    expect(errors).toEqual([])
  })

  it('yields to the event loop every batch of records while reading', async () => {
    const store = fakeStore(10 * DEFAULT_SWEEP_BATCH + 5)
    // With the default yield (setImmediate), timers run during the read, between batches.
    const readAtTick: number[] = []
    let done = false
    const tick = (): void => { readAtTick.push(store.read); if (!done) setImmediate(tick) }
    setImmediate(tick)
    const { sweeper: s } = sweeper(store, { elapsed: undefined, clock: undefined })
    const result = await s.sweep()
    done = true
    expect(result?.records).toBe(10 * DEFAULT_SWEEP_BATCH + 5)
    const during = readAtTick.filter(n => n > 0 && n < 10 * DEFAULT_SWEEP_BATCH + 5)
    expect(during.length).toBeGreaterThanOrEqual(9)
    expect(new Set(during.map(n => n % DEFAULT_SWEEP_BATCH))).toEqual(new Set([0]))

    // An injected yield is called once per full batch, refreshes included.
    let yields = 0
    const { sweeper: counted } = sweeper(fakeStore(1000, ['A', 'B', 'C']), { batchSize: 100, yieldToEventLoop: async () => { yields++ } })
    await counted.sweep()
    expect(yields).toBe(10)
  })

  it('never runs two sweeps at once: a sweep asked for while one runs joins it', async () => {
    const gate = deferred()
    const store = fakeStore(10, ['A'], { gate: { at: 5, open: gate.promise } })
    const { sweeper: s } = sweeper(store)
    const first = s.sweep()
    const second = s.sweep()
    await new Promise(resolve => setImmediate(resolve))
    expect(store.calls.filter(c => c === 'read start')).toHaveLength(1)
    expect(store.calls.filter(c => c === 'refresh A')).toHaveLength(1)
    gate.resolve()
    const [a, b] = await Promise.all([first, second])
    expect(a).toBe(b)
    expect(a?.records).toBe(10)
    // Once it ended, the next one reads again.
    await s.sweep()
    expect(store.calls.filter(c => c === 'read start')).toHaveLength(2)
  })

  it('reports a failed read once, keeps the last result, and sweeps again next time', async () => {
    let failAt: number | undefined
    const base = fakeStore(300)
    const store: FakeStore = { ...base, records: () => fakeStore(300, [], failAt === undefined ? {} : { failAt }).records() }
    const { sweeper: s, errors } = sweeper(store)
    const good = await s.sweep()
    failAt = 200
    expect(await s.sweep()).toBeUndefined()
    expect(errors).toHaveLength(1)
    expect((errors[0] as Error).message).toBe('datastore failed')
    expect(s.last).toBe(good)
    failAt = undefined
    expect((await s.sweep())?.records).toBe(300)
    expect(errors).toHaveLength(1)
  })

  it('reports failed refreshes once per sweep and still reads the store', async () => {
    const store = fakeStore(50, ['A', 'B', 'C'], { refreshFails: new Set(['A', 'C']) })
    const { sweeper: s, errors } = sweeper(store)
    const result = await s.sweep()
    expect(result).toMatchObject({ records: 50, refreshed: 1, refreshFailed: 2 })
    expect(errors).toHaveLength(1)
    expect((errors[0] as Error).message).toBe('refresh A failed')
  })

  it('survives a throwing connectedPeers, onSwept and onError', async () => {
    const store = fakeStore(5)
    const { sweeper: s, errors } = sweeper({ ...store, connectedPeers: () => { throw new Error('no connections') } })
    expect(await s.sweep()).toBeUndefined()
    expect(errors).toHaveLength(1)
    const throwing = new PeerStoreSweeper({ store: fakeStore(5), onSwept: () => { throw new Error('log failed') }, onError: () => { throw new Error('counter failed') } })
    expect((await throwing.sweep())?.records).toBe(5) // neither rejects
  })

  it('stop() ends a sweep at its next yield, closing the store\'s iterator, and later sweeps do nothing', async () => {
    const gate = deferred()
    const store = fakeStore(1000, [], { gate: { at: 50, open: gate.promise } })
    const { sweeper: s, errors } = sweeper(store, { batchSize: 100 })
    const running = s.sweep()
    await new Promise(resolve => setImmediate(resolve))
    let stopped = false
    const stopping = s.stop().then(() => { stopped = true })
    await new Promise(resolve => setImmediate(resolve))
    expect(stopped).toBe(false) // waits for the sweep in progress
    gate.resolve()
    await stopping
    expect(await running).toBeUndefined()
    expect(store.read).toBe(100) // the first yield after the gate
    expect(store.calls.at(-1)).toBe('read closed')
    expect(store.calls).not.toContain('read end')
    expect(s.last).toBeUndefined()
    expect(await s.sweep()).toBeUndefined()
    expect(store.calls.filter(c => c === 'read start')).toHaveLength(1)
    expect(errors).toEqual([])
  })
})

describe('sweepIntervalMs', () => {
  it('is 10 minutes, or half the max age when that is shorter', () => {
    expect(MAX_SWEEP_INTERVAL_MS).toBe(600_000)
    expect(sweepIntervalMs(6 * 3_600_000)).toBe(600_000)
    expect(sweepIntervalMs(20 * 60_000)).toBe(600_000)
    expect(sweepIntervalMs(10 * 60_000)).toBe(300_000)
    expect(sweepIntervalMs(60_000)).toBe(30_000)
  })
})
