/**
 * A small seedable PRNG (sfc32, seeded through a string hash) and the distributions the swarm
 * draws from. Same seed, same numbers, on every machine and Node version: the swarm's
 * schedule is a pure function of its seed.
 */

/** xmur3: a 32-bit hash of a string, used to turn a seed string into generator state. */
function hashSeed (text: string): () => number {
  let h = 1779033703 ^ text.length
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 3432918353)
    h = (h << 13) | (h >>> 19)
  }
  return () => {
    h = Math.imul(h ^ (h >>> 16), 2246822507)
    h = Math.imul(h ^ (h >>> 13), 3266489909)
    return (h ^= h >>> 16) >>> 0
  }
}

export class Prng {
  private a: number
  private b: number
  private c: number
  private d: number

  /** Any string or number; `new Prng('42/peer/7')` derives an independent stream. */
  constructor (seed: string | number) {
    const next = hashSeed(String(seed))
    this.a = next()
    this.b = next()
    this.c = next()
    this.d = next()
    for (let i = 0; i < 15; i++) this.uint32() // warm up
  }

  /** sfc32 */
  uint32 (): number {
    this.a >>>= 0; this.b >>>= 0; this.c >>>= 0; this.d >>>= 0
    let t = (this.a + this.b) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.d = (this.d + 1) | 0
    t = (t + this.d) | 0
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1). */
  next (): number {
    return this.uint32() / 4294967296
  }

  /** Uniform in [min, max). */
  uniform (min: number, max: number): number {
    return min + (max - min) * this.next()
  }

  /** A whole number in [min, max]. */
  int (min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  /** Exponential with the given mean. */
  exponential (mean: number): number {
    return -mean * Math.log(1 - this.next())
  }

  /** Pareto (type I): scale xm (the minimum), shape alpha; heavy-tailed for small alpha. */
  pareto (xm: number, alpha: number): number {
    return xm / Math.pow(1 - this.next(), 1 / alpha)
  }

  /** Standard normal (Box-Muller). */
  normal (): number {
    const u = 1 - this.next()
    const v = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  /** Log-normal with the given median and shape sigma. */
  logNormal (median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal())
  }

  /** One item, chosen with probability proportional to its weight. */
  weighted<T> (items: ReadonlyArray<readonly [T, number]>): T {
    let total = 0
    for (const [, w] of items) total += w
    let r = this.next() * total
    for (const [item, w] of items) {
      r -= w
      if (r < 0) return item
    }
    return (items[items.length - 1] as readonly [T, number])[0]
  }

  bytes (length: number): Uint8Array {
    const out = new Uint8Array(length)
    for (let i = 0; i < length; i += 4) {
      const x = this.uint32()
      for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (x >>> (8 * j)) & 0xff
    }
    return out
  }
}
