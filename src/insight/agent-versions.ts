/**
 * Connected peers per agent family and version, counted incrementally (on identify and on
 * session end), exported as the top-K versions per family plus `other`. Each family tracks
 * at most MAX_TRACKED_VERSIONS distinct versions; a version arriving when the table is full
 * (and no tracked version is at 0) is counted as `other` for the life of that session.
 */
import { AGENT_FAMILIES } from './agent-family.js'

export const MAX_TRACKED_VERSIONS = 32
export const OTHER_VERSION = 'other'
export const UNKNOWN_VERSION = 'unknown'

export interface VersionCount {
  version: string
  count: number
}

export class AgentVersionCounts {
  private readonly versions: Array<Map<string, number>> = AGENT_FAMILIES.map(() => new Map())
  /** Peers whose version did not get a slot, per family. */
  private readonly overflow = new Float64Array(AGENT_FAMILIES.length)

  /** Counts one peer in; returns the key to give back to remove(). */
  add (family: number, version: string): string {
    if (version === OTHER_VERSION) {
      this.overflow[family] = (this.overflow[family] as number) + 1
      return OTHER_VERSION
    }
    const table = this.versions[family] as Map<string, number>
    const count = table.get(version)
    if (count !== undefined) { table.set(version, count + 1); return version }
    if (table.size >= MAX_TRACKED_VERSIONS && !this.freeSlot(table)) {
      this.overflow[family] = (this.overflow[family] as number) + 1
      return OTHER_VERSION
    }
    table.set(version, 1)
    return version
  }

  remove (family: number, key: string): void {
    if (key === OTHER_VERSION) {
      this.overflow[family] = (this.overflow[family] as number) - 1
      return
    }
    const table = this.versions[family] as Map<string, number>
    const count = table.get(key)
    if (count !== undefined) table.set(key, count - 1)
  }

  /** The top `k` versions of a family by connected peers (ties: lower version string first), and the rest as `other`. */
  top (family: number, k: number): { top: VersionCount[], other: number } {
    const table = this.versions[family] as Map<string, number>
    const entries: VersionCount[] = []
    for (const [version, count] of table) if (count > 0) entries.push({ version, count })
    let other = this.overflow[family] as number
    if (entries.length > k) {
      entries.sort((a, b) => b.count - a.count || (a.version < b.version ? -1 : 1))
      for (let i = k; i < entries.length; i++) other += (entries[i] as VersionCount).count
      entries.length = k
    }
    return { top: entries, other }
  }

  /** Drops one tracked version at 0 to make room; false when every slot is in use. */
  private freeSlot (table: Map<string, number>): boolean {
    for (const [version, count] of table) {
      if (count === 0) { table.delete(version); return true }
    }
    return false
  }
}
