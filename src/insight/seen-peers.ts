/**
 * Peers seen since start, in fixed memory: a Bloom filter answers "seen before?" for the
 * new-vs-returning split, and the count of first sightings is the distinct-peer count.
 * With the default 2^23 bits (1 MiB) and 7 hashes the false-positive rate stays under 1%
 * up to ~870k distinct peers; a false positive counts a new peer as returning (never twice).
 */

export const SEEN_FILTER_BITS = 1 << 23
export const SEEN_FILTER_HASHES = 7

export class SeenPeers {
  private readonly bits: Uint32Array
  private readonly mask: number
  private readonly hashes: number
  /** Distinct peers seen (first sightings). */
  distinct = 0

  constructor (bits = SEEN_FILTER_BITS, hashes = SEEN_FILTER_HASHES) {
    if (bits < 32 || (bits & (bits - 1)) !== 0) throw new RangeError('bits must be a power of two >= 32')
    this.bits = new Uint32Array(bits >>> 5)
    this.mask = bits - 1
    this.hashes = hashes
  }

  /** The filter's bits, 32 to a word (read by src/storage to write them; do not change). */
  get words (): Uint32Array {
    return this.bits
  }

  get hashCount (): number {
    return this.hashes
  }

  /** Puts back bits and a distinct count saved before a restart; false (nothing changed) when the sizes differ. */
  restore (words: Uint32Array, distinct: number): boolean {
    if (words.length !== this.bits.length) return false
    this.bits.set(words)
    this.distinct = distinct
    return true
  }

  /** Records a sighting; true when the peer was (probably) never seen before. */
  add (peerId: string): boolean {
    // FNV-1a, then a second hash derived by a murmur3-style finalizer; probes at h1 + k*h2.
    let h1 = 0x811c9dc5
    for (let i = 0; i < peerId.length; i++) h1 = Math.imul(h1 ^ peerId.charCodeAt(i), 0x01000193)
    let h2 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b)
    h2 = Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35)
    h2 = (h2 ^ (h2 >>> 16)) | 1 // odd: the k probes differ
    let fresh = false
    for (let k = 0; k < this.hashes; k++) {
      const bit = (h1 + Math.imul(k, h2)) & this.mask
      const word = bit >>> 5
      const flag = 1 << (bit & 31)
      if (((this.bits[word] as number) & flag) === 0) {
        fresh = true
        this.bits[word] = (this.bits[word] as number) | flag
      }
    }
    if (fresh) this.distinct++
    return fresh
  }
}
