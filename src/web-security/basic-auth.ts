/**
 * HTTP basic authentication against bcrypt hashes, bounded so that guessing cannot take the
 * server down:
 *
 * - Verified credentials are remembered (an HMAC of user, hash and password under a key made
 *   at start, never the password), so a scraper pays bcrypt once, not on every scrape, and
 *   keeps being served at once while others guess. Attackers cannot evict these: only a right
 *   password gets in. A changed hash (a reloaded file) never matches an old entry.
 * - Wrong passwords are remembered separately for a short while (a misconfigured scraper
 *   repeating one wrong password costs bcrypt once a minute).
 * - At most `maxConcurrent` bcrypt comparisons run or wait at once, off the main thread (see
 *   bcrypt-worker.ts); any further unverified attempt is answered `busy` at once, whatever
 *   the path, health checks included.
 * - An unknown user costs the same bcrypt work as a wrong password of the costliest user
 *   (a dummy hash of that cost), so user names cannot be found by timing.
 */
import { createHmac, randomBytes } from 'node:crypto'
import bcrypt from 'bcryptjs'
import { sharedBcryptWorker } from './bcrypt-worker.js'
import { bcryptCost } from './web-config-schema.js'
import type { PasswordCompare } from './bcrypt-worker.js'

export type AuthVerdict = 'allowed' | 'denied' | 'busy'

export interface BasicAuthVerifierOptions {
  /** A verified credential is forgotten after this long unused (default 1 h). */
  verifiedTtlMs?: number
  /** Most verified credentials remembered, least recently used dropped first (default 256). */
  maxVerified?: number
  /** How long a wrong password is remembered (default 60 s). */
  rejectedTtlMs?: number
  /** Most wrong passwords remembered (default 1024). */
  maxRejected?: number
  /** bcrypt comparisons running or waiting at once; beyond: `busy` (default 2). */
  maxConcurrent?: number
  /** The comparison (default: the process' bcrypt worker thread). */
  compare?: PasswordCompare
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

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const dummyHashes = new Map<number, string>()

/** A well-formed bcrypt hash of the given cost that no password matches (random salt and digest). */
export function dummyHash (cost: number): string {
  let hash = dummyHashes.get(cost)
  if (hash === undefined) {
    const digest = [...randomBytes(31)].map(b => BCRYPT_ALPHABET[b % 64]).join('')
    hash = bcrypt.genSaltSync(cost) + digest
    dummyHashes.set(cost, hash)
  }
  return hash
}

const costliest = new WeakMap<ReadonlyMap<string, string>, number>()
/** The highest bcrypt cost among the users' hashes (10 when none is readable). */
export function highestCost (users: ReadonlyMap<string, string>): number {
  let cost = costliest.get(users)
  if (cost === undefined) {
    cost = 0
    for (const hash of users.values()) {
      const c = bcryptCost(hash)
      if (Number.isFinite(c) && c > cost) cost = c
    }
    if (cost < 4 || cost > 31) cost = 10
    costliest.set(users, cost)
  }
  return cost
}

/** A map in insertion order used as a least-recently-used list with expiry. */
class ExpiringSet {
  private readonly entries = new Map<string, number>()
  constructor (private readonly ttlMs: number, private readonly max: number, private readonly sliding: boolean) {}

  has (key: string, now: number): boolean {
    const expires = this.entries.get(key)
    if (expires === undefined) return false
    if (expires <= now) {
      this.entries.delete(key)
      return false
    }
    if (this.sliding) this.add(key, now)
    return true
  }

  add (key: string, now: number): void {
    this.entries.delete(key)
    this.entries.set(key, now + this.ttlMs)
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value
      if (oldest === undefined) break
      this.entries.delete(oldest)
    }
  }

  get size (): number { return this.entries.size }
}

export class BasicAuthVerifier {
  private readonly verified: ExpiringSet
  private readonly rejected: ExpiringSet
  private readonly running = new Map<string, Promise<boolean>>()
  private readonly maxConcurrent: number
  private readonly compare: PasswordCompare
  private readonly now: () => number
  private readonly cacheKey = randomBytes(32)
  /** bcrypt comparisons started (cache misses), for tests and diagnosis. */
  comparisons = 0
  /** Attempts answered `busy` because maxConcurrent comparisons were already under way. */
  refusedBusy = 0

  constructor (options: BasicAuthVerifierOptions = {}) {
    this.verified = new ExpiringSet(options.verifiedTtlMs ?? 3_600_000, options.maxVerified ?? 256, true)
    this.rejected = new ExpiringSet(options.rejectedTtlMs ?? 60_000, options.maxRejected ?? 1024, false)
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? 2)
    this.compare = options.compare ?? sharedBcryptWorker().compare
    this.now = options.now ?? Date.now
  }

  /** bcrypt comparisons under way now. */
  get inFlight (): number { return this.running.size }

  /** Whether the credentials match a user's hash in `users`; `busy` when too many checks are under way. */
  async verify (users: ReadonlyMap<string, string>, credentials: Credentials | undefined): Promise<AuthVerdict> {
    if (credentials === undefined) return 'denied'
    const hash = users.get(credentials.user)
    const against = hash ?? dummyHash(highestCost(users))
    // Keyed by an HMAC of user, hash and password: never the password, and a changed hash (a
    // reloaded config) never matches an old verdict.
    const key = createHmac('sha256', this.cacheKey).update(credentials.user).update('\0').update(against).update('\0').update(credentials.password).digest('base64')
    const now = this.now()
    if (hash !== undefined && this.verified.has(key, now)) return 'allowed'
    if (this.rejected.has(key, now)) return 'denied'

    let running = this.running.get(key)
    if (running === undefined) {
      if (this.running.size >= this.maxConcurrent) {
        this.refusedBusy++
        return 'busy'
      }
      this.comparisons++
      running = this.compare(credentials.password, against).catch(() => false)
      this.running.set(key, running)
      const settled = running
      void settled.finally(() => { if (this.running.get(key) === settled) this.running.delete(key) })
    }
    const ok = (await running) && hash !== undefined
    if (ok) this.verified.add(key, this.now())
    else this.rejected.add(key, this.now())
    return ok ? 'allowed' : 'denied'
  }
}
