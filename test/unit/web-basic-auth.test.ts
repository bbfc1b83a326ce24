import { describe, expect, it } from 'vitest'
import { BasicAuthVerifier, parseBasicAuthorization } from '../../src/web/basic-auth.js'
import { sanitizeAgentVersion, sanitizeLabelValue, sanitizeProtocols, MAX_AGENT_LENGTH, MAX_PROTOCOLS } from '../../src/tracker/sanitize.js'
import { bcryptHash } from '../e2e/web-support.js'

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
    expect(await verifier.verify(users, { user: 'alice', password: 'secret' })).toBe(true)
    expect(await verifier.verify(users, { user: 'alice', password: 'other' })).toBe(false)
    expect(await verifier.verify(users, { user: 'bob', password: 'secret' })).toBe(false)
    expect(await verifier.verify(users, { user: 'mallory', password: 'secret' })).toBe(false)
    expect(await verifier.verify(users, undefined)).toBe(false)
  })

  it('runs bcrypt once per credentials within the cache lifetime, again after it, and on a changed hash', async () => {
    let now = 0
    const verifier = new BasicAuthVerifier({ ttlMs: 1000, now: () => now })
    for (let i = 0; i < 5; i++) expect(await verifier.verify(users, { user: 'alice', password: 'secret' })).toBe(true)
    expect(verifier.comparisons).toBe(1)
    now = 1000
    expect(await verifier.verify(users, { user: 'alice', password: 'secret' })).toBe(true)
    expect(verifier.comparisons).toBe(2)
    const changed = new Map([['alice', bcryptHash('new')]])
    expect(await verifier.verify(changed, { user: 'alice', password: 'secret' })).toBe(false)
    expect(verifier.comparisons).toBe(3)
  })

  it('keeps at most maxEntries verdicts', async () => {
    const verifier = new BasicAuthVerifier({ maxEntries: 3 })
    for (let i = 0; i < 6; i++) await verifier.verify(users, { user: 'alice', password: `guess-${i}` })
    expect(verifier.comparisons).toBe(6)
    await verifier.verify(users, { user: 'alice', password: 'guess-0' }) // evicted: compared again
    expect(verifier.comparisons).toBe(7)
    await verifier.verify(users, { user: 'alice', password: 'guess-5' }) // still cached
    expect(verifier.comparisons).toBe(7)
  })
})

describe('sanitize (what peers announce)', () => {
  it('caps agent strings, keeps short ones as they are, and makes invalid UTF-16 and controls visible', () => {
    expect(sanitizeAgentVersion('kubo/0.30.0/')).toBe('kubo/0.30.0/')
    expect(sanitizeAgentVersion(undefined)).toBeUndefined()
    const long = sanitizeAgentVersion('x'.repeat(10_000)) as string
    expect(long.length).toBe(MAX_AGENT_LENGTH)
    expect(long.endsWith('…')).toBe(true)
    expect(sanitizeAgentVersion('bad\uD800surrogate\nline')).toBe('bad\uFFFDsurrogate\uFFFDline')
    expect(sanitizeLabelValue('😀'.repeat(200)).length).toBeLessThanOrEqual(128)
    const label = sanitizeLabelValue('😀'.repeat(200))
    expect(Buffer.from(label, 'utf8').toString('utf8')).toBe(label) // round-trips: well-formed
  })

  it('keeps at most MAX_PROTOCOLS distinct protocol ids', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `/dummy/${i}/1.0.0`)
    const kept = sanitizeProtocols(many)
    expect(kept.length).toBe(MAX_PROTOCOLS)
    expect(kept[0]).toBe('/dummy/0/1.0.0')
    expect(sanitizeProtocols(['/a', '/a', '', '/b'])).toEqual(['/a', '/b'])
  })
})
