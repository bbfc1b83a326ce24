import bcrypt from 'bcryptjs'
import { describe, expect, it } from 'vitest'
import { BasicAuthVerifier, dummyHash, highestCost, parseBasicAuthorization } from '../../src/web-security/basic-auth.js'
import { BcryptWorker } from '../../src/web-security/bcrypt-worker.js'
import { TokenBucket } from '../../src/web-security/rate-limit.js'
import { bcryptCost } from '../../src/web-security/web-config-schema.js'
import { waitFor } from '../support/wait.js'
import { bcryptHash } from '../support/web.js'

const basic = (text: string): string => `Basic ${Buffer.from(text).toString('base64')}`

describe('parseBasicAuthorization', () => {
  it('reads user and password (the password may hold colons) and refuses anything else', () => {
    expect(parseBasicAuthorization(basic('alice:pa:ss'))).toEqual({ user: 'alice', password: 'pa:ss' })
    expect(parseBasicAuthorization(basic('alice:'))).toEqual({ user: 'alice', password: '' })
    expect(parseBasicAuthorization(undefined)).toBeUndefined()
    expect(parseBasicAuthorization(basic('no-colon'))).toBeUndefined()
    expect(parseBasicAuthorization('Bearer abc')).toBeUndefined()
    expect(parseBasicAuthorization('Basic !!!')).toBeUndefined()
  })
})

describe('BasicAuthVerifier', () => {
  const users = new Map([['alice', bcryptHash('secret')], ['bob', bcryptHash('other')]])

  it('accepts the right password only, and an unknown user never', async () => {
    const verifier = new BasicAuthVerifier()
    expect(await verifier.verify(users, { user: 'alice', password: 'secret' })).toBe('allowed')
    expect(await verifier.verify(users, { user: 'alice', password: 'other' })).toBe('denied')
    expect(await verifier.verify(users, { user: 'bob', password: 'secret' })).toBe('denied')
    expect(await verifier.verify(users, { user: 'mallory', password: 'secret' })).toBe('denied')
    expect(await verifier.verify(users, undefined)).toBe('denied')
  })

  it('runs bcrypt once for credentials in use, again after they went unused, and on a changed hash', async () => {
    let now = 0
    const verifier = new BasicAuthVerifier({ verifiedTtlMs: 1000, now: () => now })
    for (let i = 0; i < 5; i++) {
      expect(await verifier.verify(users, { user: 'alice', password: 'secret' })).toBe('allowed')
      now += 900 // used again within the lifetime each time: kept
    }
    expect(verifier.comparisons).toBe(1)
    now += 1000
    expect(await verifier.verify(users, { user: 'alice', password: 'secret' })).toBe('allowed')
    expect(verifier.comparisons).toBe(2)
    const changed = new Map([['alice', bcryptHash('new')]])
    expect(await verifier.verify(changed, { user: 'alice', password: 'secret' })).toBe('denied')
    expect(verifier.comparisons).toBe(3)
  })

  it('keeps at most maxRejected wrong passwords, and wrong guesses never evict verified credentials', async () => {
    const verifier = new BasicAuthVerifier({ maxRejected: 3, maxVerified: 2 })
    expect(await verifier.verify(users, { user: 'alice', password: 'secret' })).toBe('allowed')
    for (let i = 0; i < 6; i++) await verifier.verify(users, { user: 'alice', password: `guess-${i}` })
    expect(verifier.comparisons).toBe(7)
    await verifier.verify(users, { user: 'alice', password: 'guess-0' }) // evicted: compared again
    expect(verifier.comparisons).toBe(8)
    await verifier.verify(users, { user: 'alice', password: 'guess-5' }) // still remembered
    expect(verifier.comparisons).toBe(8)
    expect(await verifier.verify(users, { user: 'alice', password: 'secret' })).toBe('allowed')
    expect(verifier.comparisons).toBe(8)
  })

  it('runs at most maxConcurrent comparisons and answers busy beyond them at once; verified credentials stay allowed meanwhile', async () => {
    const held: Array<() => void> = []
    let started = 0
    const compare = async (password: string, hash: string): Promise<boolean> => {
      started++
      await new Promise<void>(resolve => held.push(resolve))
      return bcrypt.compareSync(password, hash)
    }
    const verifier = new BasicAuthVerifier({ maxConcurrent: 2, compare })
    const first = verifier.verify(users, { user: 'alice', password: 'secret' })
    await waitFor('the first comparison', () => held.length === 1)
    held.shift()?.()
    expect(await first).toBe('allowed')

    const guesses = Array.from({ length: 10 }, async (_, i) => await verifier.verify(users, { user: 'alice', password: `guess-${i}` }))
    const sameAgain = verifier.verify(users, { user: 'alice', password: 'guess-0' }) // shares the running comparison
    expect(await Promise.all(guesses.slice(2))).toEqual(Array(8).fill('busy'))
    expect(verifier.inFlight).toBe(2)
    expect(started).toBe(3)
    expect(verifier.refusedBusy).toBe(8)
    // An unknown user is bounded the same way.
    expect(await verifier.verify(users, { user: 'mallory', password: 'x' })).toBe('busy')
    // The scraper whose credentials were verified is not held up by the guesses.
    expect(await verifier.verify(users, { user: 'alice', password: 'secret' })).toBe('allowed')
    for (const release of held.splice(0)) release()
    expect(await Promise.all([...guesses.slice(0, 2), sameAgain])).toEqual(['denied', 'denied', 'denied'])
    expect(verifier.inFlight).toBe(0)
    expect(started).toBe(3)
  })

  it('compares an unknown user against a dummy hash of the costliest configured cost', async () => {
    const seen: string[] = []
    const compare = async (_password: string, hash: string): Promise<boolean> => { seen.push(hash); return false }
    const verifier = new BasicAuthVerifier({ compare })
    await verifier.verify(new Map([['a', bcryptHash('x', 5)]]), { user: 'nobody', password: 'p' })
    await verifier.verify(new Map([['a', bcryptHash('x', 4)], ['b', bcryptHash('y', 6)]]), { user: 'nobody', password: 'p' })
    expect(seen.map(bcryptCost)).toEqual([5, 6])
    expect(highestCost(new Map([['a', bcryptHash('x', 4)], ['b', bcryptHash('y', 7)]]))).toBe(7)
    const dummy = dummyHash(5)
    expect(dummy).toMatch(/^\$2b\$05\$[./A-Za-z0-9]{53}$/)
    expect(bcrypt.compareSync('p', dummy)).toBe(false)
  })
})

describe('bcrypt off the main thread', () => {
  it('compares in a worker thread: the event loop keeps turning during bcrypt comparisons', async () => {
    const worker = new BcryptWorker()
    try {
      const hash = bcrypt.hashSync('right', 10)
      let turns = 0
      let turning = true
      const turn = (): void => { turns++; if (turning) setImmediate(turn) }
      setImmediate(turn)
      const [right, wrong] = await Promise.all([worker.compare('right', hash), worker.compare('wrong', hash)])
      turning = false
      expect([right, wrong]).toEqual([true, false])
      expect(await worker.compare('x', 'not a hash')).toBe(false)
      // In process, bcryptjs holds the event loop in 100 ms slices: a handful of turns at most.
      expect(turns).toBeGreaterThan(100)
      expect(worker.fallbacks).toBe(0)
    } finally {
      await worker.close()
    }
  })

  it('falls back to comparing in process when the worker dies', async () => {
    const worker = new BcryptWorker()
    const hash = bcryptHash('right')
    expect(await worker.compare('right', hash)).toBe(true)
    const pending = worker.compare('right', bcrypt.hashSync('right', 10))
    await worker.close() // the comparison under way is stranded: it runs in process
    expect(await pending).toBe(true)
    expect(worker.fallbacks).toBe(1)
    expect(await worker.compare('wrong', hash)).toBe(false) // a new worker
    expect(worker.fallbacks).toBe(1)
    await worker.close()
  })
})

describe('TokenBucket (rate_limit)', () => {
  it('lets a burst through, then one request per interval, with the wait in Retry-After', () => {
    const bucket = new TokenBucket({ intervalMs: 2000, burst: 3 }, 0)
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false])
    expect(bucket.retryAfterSeconds(500)).toBe(2)
    expect(bucket.take(1999)).toBe(false)
    expect(bucket.take(2000)).toBe(true)
    expect(bucket.take(2001)).toBe(false)
    expect([bucket.take(100_000), bucket.take(100_000), bucket.take(100_000), bucket.take(100_000)]).toEqual([true, true, true, false])
  })
})
