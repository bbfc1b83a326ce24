/** What peers announce, as the tracker keeps it: capped, well-formed, without controls. */
import { describe, expect, it } from 'vitest'
import { MAX_AGENT_LENGTH, MAX_PROTOCOL_LENGTH, MAX_PROTOCOLS, sanitizeAgentVersion, sanitizeProtocols, sanitizeText } from '../../src/tracker/sanitize.js'

describe('sanitize (what peers announce)', () => {
  it('caps agent strings, keeps short ones as they are, and makes invalid UTF-16 and controls visible', () => {
    expect(sanitizeAgentVersion('kubo/0.30.0/')).toBe('kubo/0.30.0/')
    expect(sanitizeAgentVersion(undefined)).toBeUndefined()
    const long = sanitizeAgentVersion('x'.repeat(10_000)) as string
    expect(long.length).toBe(MAX_AGENT_LENGTH)
    expect(long.endsWith('…')).toBe(true)
    expect(sanitizeAgentVersion('bad\uD800surrogate\nline')).toBe('bad\uFFFDsurrogate\uFFFDline')
  })

  it('never cuts a surrogate pair in half, so what it keeps is valid UTF-8', () => {
    for (const max of [MAX_AGENT_LENGTH, MAX_PROTOCOL_LENGTH, 2, 3]) {
      const cut = sanitizeText('😀'.repeat(200), max)
      expect(cut.length).toBeLessThanOrEqual(max)
      expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut) // round-trips: well-formed
    }
  })

  it('keeps at most MAX_PROTOCOLS distinct protocol ids', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `/dummy/${i}/1.0.0`)
    const kept = sanitizeProtocols(many)
    expect(kept.length).toBe(MAX_PROTOCOLS)
    expect(kept[0]).toBe('/dummy/0/1.0.0')
    expect(sanitizeProtocols(['/a', '/a', '', '/b'])).toEqual(['/a', '/b'])
  })
})
