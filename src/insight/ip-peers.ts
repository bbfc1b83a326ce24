/**
 * The sybil signal: how many distinct peer IDs are connected from one IP, maintained on
 * every connection open and close in O(1): per IP a count of connections per peer ID, and a
 * histogram "IPs with exactly n peer IDs" whose top index is the maximum.
 */

export class IpPeerIndex {
  /** ip -> peer ID -> open connections from that IP for that peer. */
  private readonly byIp = new Map<string, Map<string, number>>()
  /** ipsWithPeers[n] = IPs with exactly n distinct connected peer IDs (n >= 1). */
  private readonly ipsWithPeers: number[] = [0]
  /** IPs with at least two distinct peer IDs. */
  ipsWithMultiplePeerIds = 0
  /** The largest number of distinct peer IDs behind one IP (0 with no IP). */
  maxPeerIdsPerIp = 0

  get ips (): number {
    return this.byIp.size
  }

  add (ip: string, peerId: string): void {
    let peers = this.byIp.get(ip)
    if (peers === undefined) {
      peers = new Map()
      this.byIp.set(ip, peers)
    }
    const connections = peers.get(peerId)
    if (connections !== undefined) { peers.set(peerId, connections + 1); return }
    const before = peers.size
    peers.set(peerId, 1)
    this.move(before, before + 1)
  }

  remove (ip: string, peerId: string): void {
    const peers = this.byIp.get(ip)
    const connections = peers?.get(peerId)
    if (peers === undefined || connections === undefined) return
    if (connections > 1) { peers.set(peerId, connections - 1); return }
    const before = peers.size
    peers.delete(peerId)
    if (peers.size === 0) this.byIp.delete(ip)
    this.move(before, before - 1)
  }

  private move (from: number, to: number): void {
    if (from > 0) this.ipsWithPeers[from] = (this.ipsWithPeers[from] as number) - 1
    if (to > 0) {
      while (this.ipsWithPeers.length <= to) this.ipsWithPeers.push(0)
      this.ipsWithPeers[to] = (this.ipsWithPeers[to] as number) + 1
    }
    if (from < 2 && to >= 2) this.ipsWithMultiplePeerIds++
    else if (from >= 2 && to < 2) this.ipsWithMultiplePeerIds--
    if (to > this.maxPeerIdsPerIp) this.maxPeerIdsPerIp = to
    else if (from === this.maxPeerIdsPerIp && to < from && this.ipsWithPeers[from] === 0) {
      // The only IP at the maximum lost one peer ID: the new maximum is one lower (or 0).
      this.maxPeerIdsPerIp = to
    }
  }
}
