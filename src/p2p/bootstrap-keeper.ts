/**
 * Keeps the bootstrap peers connected: dials each at start and, whenever one is not
 * connected, redials it with exponential backoff (jittered, capped), for as long as the
 * tracker runs. libp2p's own reconnect queue gives up after a few tries; this never does.
 */
import { setMaxListeners } from 'node:events'
import { peerIdOfMultiaddr } from '../config/values.js'

export interface BootstrapKeeperOptions {
  /** Dials one peer at the given addresses; rejects when the dial fails. */
  dial: (addrs: string[], signal: AbortSignal) => Promise<void>
  onDialError?: (peerId: string, err: unknown, retryInMs: number) => void
  minBackoffMs?: number
  maxBackoffMs?: number
  /** [0, 1); injected for tests. */
  random?: () => number
}

interface BootstrapPeer {
  addrs: string[]
  connected: boolean
  dialing: boolean
  failures: number
  timer: ReturnType<typeof setTimeout> | undefined
}

export class BootstrapKeeper {
  private readonly peers = new Map<string, BootstrapPeer>()
  private readonly options: Required<Omit<BootstrapKeeperOptions, 'onDialError'>> & Pick<BootstrapKeeperOptions, 'onDialError'>
  private readonly abort = new AbortController()
  private running = false

  constructor (bootstrapAddrs: readonly string[], options: BootstrapKeeperOptions) {
    this.options = { minBackoffMs: 1000, maxBackoffMs: 300_000, random: Math.random, ...options }
    // Every dial listens on this one signal until it settles (libp2p's dial queue removes its
    // listener then), so the listeners are bounded by the number of bootstrap peers: more than
    // Node's default warning threshold of 10 is expected, not a leak.
    setMaxListeners(Infinity, this.abort.signal)
    for (const addr of bootstrapAddrs) {
      const peerId = peerIdOfMultiaddr(addr) as string // validated by the config
      const peer = this.peers.get(peerId)
      if (peer === undefined) this.peers.set(peerId, { addrs: [addr], connected: false, dialing: false, failures: 0, timer: undefined })
      else peer.addrs.push(addr)
    }
  }

  get peerIds (): string[] {
    return [...this.peers.keys()]
  }

  isBootstrapPeer (peerId: string): boolean {
    return this.peers.has(peerId)
  }

  start (): void {
    this.running = true
    for (const peerId of this.peers.keys()) this.dialNow(peerId)
  }

  stop (): void {
    this.running = false
    this.abort.abort()
    for (const peer of this.peers.values()) clearTimeout(peer.timer)
  }

  /** Call on libp2p's peer:connect. */
  peerConnected (peerId: string): void {
    const peer = this.peers.get(peerId)
    if (peer === undefined) return
    peer.connected = true
    peer.failures = 0
    clearTimeout(peer.timer)
    peer.timer = undefined
  }

  /** Call on libp2p's peer:disconnect (the peer's last connection closed). */
  peerDisconnected (peerId: string): void {
    const peer = this.peers.get(peerId)
    if (peer === undefined) return
    peer.connected = false
    this.schedule(peerId, peer, this.backoffMs(peer.failures))
  }

  /** The wait before the next attempt after `failures` failed ones: min * 2^failures, capped, jittered +-20%. */
  backoffMs (failures: number): number {
    const base = Math.min(this.options.maxBackoffMs, this.options.minBackoffMs * 2 ** Math.min(failures, 30))
    return Math.round(base * (0.8 + 0.4 * this.options.random()))
  }

  private schedule (peerId: string, peer: BootstrapPeer, delayMs: number): void {
    if (!this.running || peer.connected || peer.dialing || peer.timer !== undefined) return
    peer.timer = setTimeout(() => {
      peer.timer = undefined
      this.dialNow(peerId)
    }, delayMs)
    peer.timer.unref?.()
  }

  private dialNow (peerId: string): void {
    const peer = this.peers.get(peerId)
    if (peer === undefined || !this.running || peer.connected || peer.dialing) return
    peer.dialing = true
    this.options.dial(peer.addrs, this.abort.signal).then(
      () => {
        // Connected state follows peer:connect/peer:disconnect, which libp2p dispatches before
        // the dial resolves. If the connection already closed again meanwhile, try again.
        peer.dialing = false
        this.schedule(peerId, peer, this.backoffMs(peer.failures))
      },
      (err: unknown) => {
        peer.dialing = false
        if (!this.running) return
        peer.failures++
        const delayMs = this.backoffMs(peer.failures)
        this.options.onDialError?.(peerId, err, delayMs)
        this.schedule(peerId, peer, delayMs)
      }
    )
  }
}
