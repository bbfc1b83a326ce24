/**
 * HTTP basic authentication against bcrypt hashes, as exporter-toolkit does it: an unknown
 * user costs the same bcrypt work as a wrong password (no user enumeration by timing), and
 * results are cached briefly so that a scraper sending the same credentials every 15 s pays
 * the deliberate bcrypt cost once, not on every scrape.
 */
import { createHash } from 'node:crypto'
import bcrypt from 'bcryptjs'

/** A valid bcrypt hash of a random string, compared against when the user is unknown. */
const DUMMY_HASH = '$2b$10$caZ1WgbVbDK.qb9Us57wnu9alsCLdlRPclPjHMI9nbnJbxd0b8GLG'

export interface BasicAuthCacheOptions {
  /** How long a verdict is kept. */
  ttlMs?: number
  /** Most verdicts kept (oldest dropped first). */
  maxEntries?: number
  now?: () => number
}

export interface Credentials {
  user: string
  password: string
}

/** The user and password of an `Authorization: Basic ...` header; undefined when absent or malformed. */
export function parseBasicAuthorization (header: string | undefined): Credentials | undefined {
  if (header === undefined) return undefined
  const match = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(header)
  if (match === null) return undefined
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon === -1) return undefined
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

export class BasicAuthVerifier {
  private readonly cache = new Map<string, { ok: boolean, expires: number }>()
  private readonly ttlMs: number
  private readonly maxEntries: number
  private readonly now: () => number
  /** bcrypt comparisons actually run (cache misses), for tests and diagnosis. */
  comparisons = 0

  constructor (options: BasicAuthCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 60_000
    this.maxEntries = options.maxEntries ?? 256
    this.now = options.now ?? Date.now
  }

  /** True when the credentials match a user's hash in `users`. */
  async verify (users: ReadonlyMap<string, string>, credentials: Credentials | undefined): Promise<boolean> {
    if (credentials === undefined) return false
    const hash = users.get(credentials.user)
    const against = hash ?? DUMMY_HASH
    // Keyed by a digest of hash and password: the cache never holds a password, and a
    // changed hash (a reloaded config) never matches an old verdict.
    const key = createHash('sha256').update(against).update('\0').update(credentials.password).digest('base64')
    const now = this.now()
    const cached = this.cache.get(key)
    let ok: boolean
    if (cached !== undefined && cached.expires > now) {
      ok = cached.ok
    } else {
      this.comparisons++
      ok = await bcrypt.compare(credentials.password, against).catch(() => false)
      this.cache.delete(key)
      this.cache.set(key, { ok, expires: now + this.ttlMs })
      while (this.cache.size > this.maxEntries) {
        const oldest = this.cache.keys().next().value
        if (oldest === undefined) break
        this.cache.delete(oldest)
      }
    }
    return ok && hash !== undefined
  }
}
