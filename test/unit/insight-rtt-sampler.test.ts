/** RttSampler: monitor values recorded once per measurement, lowest per peer, capped pings, stop. */
import { describe, expect, it } from 'vitest'
import { RttSampler } from '../../src/insight/rtt-sampler.js'
import type { RttConnection } from '../../src/insight/rtt-sampler.js'

interface Pending { peerId: string, resolve: (ms: number) => void, reject: (err: Error) => void }

function harness (maxPingsInFlight = 8): {
  sampler: RttSampler<string>
  samples: Array<[string, number]>
  pings: Pending[]
  pingErrors: string[]
  errors: unknown[]
} {
  const samples: Array<[string, number]> = []
  const pings: Pending[] = []
  const pingErrors: string[] = []
  const errors: unknown[] = []
  const sampler = new RttSampler<string>({
    record: (peerId, ms) => { samples.push([peerId, ms]) },
    ping: async (connection, peerId) => {
      expect(connection).toBe(`conn-of-${peerId}`) // pinged over the peer's own connection
      return await new Promise<number>((resolve, reject) => { pings.push({ peerId, resolve, reject }) })
    },
    maxPingsInFlight,
    onPingError: (peerId) => { pingErrors.push(peerId) },
    onError: (err) => { errors.push(err) }
  })
  return { sampler, samples, pings, pingErrors, errors }
}

const conn = (id: string, peerId: string, rttMs: number | undefined): RttConnection<string> => ({ id, peerId, rttMs, connection: `conn-of-${peerId}` })
/** Lets settled ping promises run their handlers. */
const flush = async (): Promise<void> => { for (let i = 0; i < 5; i++) await Promise.resolve() }

describe('RttSampler', () => {
  it('records each monitor measurement once: an unchanged value is not recorded again', () => {
    const { sampler, samples, pings } = harness()
    expect(sampler.tick([conn('c1', 'A', 12)])).toBe(1)
    expect(sampler.tick([conn('c1', 'A', 12)])).toBe(0) // the monitor has not measured again
    expect(sampler.tick([conn('c1', 'A', 12)])).toBe(0)
    expect(sampler.tick([conn('c1', 'A', 15)])).toBe(1) // a new measurement
    expect(samples).toEqual([['A', 12], ['A', 15]])
    expect(pings).toHaveLength(0) // measured by the monitor: never pinged
  })

  it('takes the lowest new value per peer over its connections', () => {
    const { sampler, samples } = harness()
    sampler.tick([conn('c1', 'A', 40), conn('c2', 'A', 7), conn('c3', 'B', 30), conn('c4', 'A', undefined)])
    expect(samples).toEqual([['A', 7], ['B', 30]])
    // only c1 measured again: its value is the new one, even though c2's older value is lower
    sampler.tick([conn('c1', 'A', 41), conn('c2', 'A', 7), conn('c3', 'B', 30)])
    expect(samples).toEqual([['A', 7], ['B', 30], ['A', 41]])
    // a new connection's first value is new
    sampler.tick([conn('c1', 'A', 41), conn('c2', 'A', 7), conn('c3', 'B', 30), conn('c5', 'B', 3)])
    expect(samples.at(-1)).toEqual(['B', 3])
    expect(samples).toHaveLength(4)
  })

  it('forgets connections that closed (bounded state)', () => {
    const { sampler, samples } = harness()
    sampler.tick([conn('c1', 'A', 5), conn('c2', 'B', 6)])
    expect(sampler.rememberedConnections).toBe(2)
    sampler.tick([conn('c2', 'B', 6)])
    expect(sampler.rememberedConnections).toBe(1)
    sampler.tick([])
    expect(sampler.rememberedConnections).toBe(0)
    expect(samples).toHaveLength(2)
  })

  it('ignores values that are not round trips', () => {
    const { sampler, samples, pings } = harness()
    sampler.tick([conn('c1', 'A', Number.NaN), conn('c2', 'B', -1), conn('c3', 'C', Infinity)])
    expect(samples).toEqual([])
    expect(pings.map(p => p.peerId)).toEqual(['A', 'B', 'C']) // none measured: pinged instead
  })

  it('pings only unmeasured peers, one ping per peer and at most maxPingsInFlight at once', async () => {
    const { sampler, samples, pings } = harness(3)
    const unmeasured = Array.from({ length: 10 }, (_, i) => conn(`c${i}`, `P${i}`, undefined))
    sampler.tick([...unmeasured, conn('m', 'M', 9)])
    expect(pings.map(p => p.peerId)).toEqual(['P0', 'P1', 'P2'])
    expect(sampler.pingsInFlight).toBe(3)
    sampler.tick(unmeasured) // all slots taken: nothing new, and P0..P2 are not pinged twice
    expect(pings).toHaveLength(3)
    pings[0]?.resolve(4)
    await flush()
    expect(sampler.pingsInFlight).toBe(2)
    sampler.tick(unmeasured) // one slot free: the first peer without a ping in flight
    expect(pings.map(p => p.peerId)).toEqual(['P0', 'P1', 'P2', 'P0'])
    expect(samples).toEqual([['M', 9], ['P0', 4]])
  })

  it('reports ping failures and errors of its callbacks without unhandled rejections', async () => {
    const samples: string[] = []
    const errors: unknown[] = []
    const pingErrors: string[] = []
    const sampler = new RttSampler<string>({
      record: (peerId) => { samples.push(peerId); throw new Error('record failed') },
      ping: async (_c, peerId) => { if (peerId === 'T') throw new Error('sync throw'); return peerId === 'F' ? await Promise.reject(new Error('closed')) : 1 },
      onPingError: (peerId) => { pingErrors.push(peerId) },
      onError: (err) => { errors.push(err) }
    })
    sampler.tick([conn('c1', 'F', undefined), conn('c2', 'T', undefined), conn('c3', 'R', undefined)])
    await flush()
    expect(pingErrors.sort()).toEqual(['F', 'T'])
    expect(samples).toEqual(['R'])
    expect(errors.map(e => (e as Error).message)).toEqual(['record failed'])
    expect(sampler.pingsInFlight).toBe(0)
  })

  it('stops: no tick, no ping, and a ping that settles later records nothing', async () => {
    const { sampler, samples, pings, pingErrors } = harness()
    sampler.tick([conn('c1', 'A', undefined), conn('c2', 'B', undefined)])
    expect(pings).toHaveLength(2)
    sampler.stop()
    pings[0]?.resolve(3)
    pings[1]?.reject(new Error('closed by shutdown'))
    await flush()
    expect(sampler.tick([conn('c1', 'A', 5), conn('c3', 'C', undefined)])).toBe(0)
    expect(samples).toEqual([])
    expect(pingErrors).toEqual([])
    expect(pings).toHaveLength(2)
    expect(sampler.rememberedConnections).toBe(0)
  })
})

describe('RttSampler ping rate', () => {
  it('never starts more than maxPingsPerSecond on average, however short the ticks', async () => {
    let now = 0
    let started = 0
    const sampler = new RttSampler<string>({
      record: () => {},
      ping: async () => { started++; return 1 }, // answered at once: the in-flight cap never binds
      maxPingsInFlight: 4,
      maxPingsPerSecond: 5,
      now: () => now
    })
    const unmeasured = Array.from({ length: 100 }, (_, i) => conn(`c${i}`, `P${i}`, undefined))
    sampler.tick(unmeasured)
    expect(started).toBe(4) // the bucket holds 5, but at most 4 are in flight
    await flush()
    // 10 s of ticks every 10 ms: at most the bucket plus 5/s x 10 s
    for (let t = 10; t <= 10_000; t += 10) {
      now = t
      sampler.tick(unmeasured)
      await flush()
    }
    expect(started).toBeLessThanOrEqual(5 + 50)
    expect(started).toBeGreaterThanOrEqual(50)
  })
})
