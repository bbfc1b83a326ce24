/**
 * One swarm peer: a real libp2p node (TCP on 127.0.0.1, Noise, its muxers, identify, ping,
 * its agent version) that lives its schedule against the target and keeps its own ledger
 * from its own connection events.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { mplex } from '@libp2p/mplex'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { PeerLedger } from './ground-truth.js'
import { sleep } from './pacer.js'
import { sessionSteps } from './plan.js'
import type { DialPacer } from './pacer.js'
import type { PeerProfile, PlanOptions } from './plan.js'
import type { Connection, Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Lets the gater, created before the runner, reach it. */
interface InboundGate {
  runner: PeerRunner | undefined
}

export interface PeerRunnerOptions {
  seed: string
  plan: Pick<PlanOptions, 'timeScale' | 'minSessionMs'>
  /** Listen port for a listener: 0 lets the OS choose. */
  listenPort: number
}

export class PeerRunner {
  readonly profile: PeerProfile
  readonly ledger: PeerLedger
  private readonly node: Libp2p
  private readonly options: PeerRunnerOptions
  /** Set when stopping: inbound connections are refused from then on. */
  private closing = false
  /** Inbound upgrades under way (a failed upgrade leaves one counted: waits for it are bounded). */
  private pendingInbound = 0
  private lastInboundStartedAt = 0
  private disconnectedWaiters: Array<() => void> = []
  private connectedWaiters: Array<() => void> = []

  private constructor (profile: PeerProfile, node: Libp2p, options: PeerRunnerOptions, gate: InboundGate) {
    this.profile = profile
    this.node = node
    gate.runner = this
    this.options = options
    this.ledger = new PeerLedger({
      index: profile.index,
      peerId: node.peerId.toString(),
      role: profile.role,
      behaviour: profile.behaviour,
      agentVersion: profile.agentVersion,
      muxers: profile.muxers
    })
    node.addEventListener('connection:open', (evt: CustomEvent<Connection>) => {
      const c = evt.detail
      this.ledger.connectionOpened(c.id, c.remotePeer.toString(), c.direction, c.multiplexer)
      for (const wake of this.connectedWaiters.splice(0)) wake()
    })
    node.addEventListener('connection:close', (evt: CustomEvent<Connection>) => {
      const c = evt.detail
      this.ledger.connectionClosed(c.id, c.remotePeer.toString())
      if (this.ledger.openSessions === 0) for (const wake of this.disconnectedWaiters.splice(0)) wake()
    })
  }

  /** Creates and starts the node (a listener is listening when this resolves). */
  static async start (profile: PeerProfile, options: PeerRunnerOptions): Promise<PeerRunner> {
    const privateKey = await generateKeyPairFromSeed('Ed25519', Buffer.from(profile.keySeed, 'hex'))
    const gate: InboundGate = { runner: undefined }
    const node = await createLibp2p({
      privateKey,
      addresses: { listen: profile.role === 'listener' ? [`/ip4/127.0.0.1/tcp/${options.listenPort}`] : [] },
      transports: [await transportFor(profile)],
      connectionEncrypters: [noise()],
      streamMuxers: profile.muxers.map(m => m === 'yamux' ? yamux() : mplex()),
      nodeInfo: { userAgent: profile.agentVersion },
      // The target is the only remote: no pruning, no rate limit, no own pings (the target pings).
      // Dial timeouts far above libp2p's (10 s a dial, 6 s an address): on a loaded machine a
      // peer that gave up on a handshake the target had already completed would be a session
      // the target counts and this peer never saw (the ground truth would be wrong, not the target).
      connectionManager: { maxConnections: 16, inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 16, dialTimeout: 60_000, addressDialTimeout: 60_000 },
      connectionMonitor: { enabled: false },
      // While stopping, refuse the target's redials: a connection the target completes (as
      // the Noise initiator it finishes first) while this peer shuts down would be one the
      // target counts and this peer never saw.
      connectionGater: {
        denyInboundConnection: () => gate.runner?.inboundStarting() ?? false,
        denyInboundUpgradedConnection: () => { gate.runner?.inboundFinished(); return false }
      },
      services: { identify: identify(), ping: ping() }
    })
    await node.start()
    return new PeerRunner(profile, node, options, gate)
  }

  get peerId (): string {
    return this.node.peerId.toString()
  }

  listenAddrs (): string[] {
    return this.node.getMultiaddrs().map(String)
  }

  /**
   * Lives the schedule until the signal aborts. Dialers wait offline, take a dial slot, dial,
   * stay online, hang up. Listeners wait for the target to dial them, stay online, hang up
   * (the target decides when to redial).
   */
  async run (target: readonly string[], pacer: DialPacer, signal: AbortSignal): Promise<void> {
    const addrs: Multiaddr[] = target.map(a => multiaddr(a))
    for (const step of sessionSteps(this.options.seed, this.profile, this.options.plan)) {
      if (signal.aborted) return
      if (this.profile.role === 'dialer') {
        if (!await sleep(step.offlineMs, signal)) return
        if (!await pacer.take(signal)) return
        try {
          // Not aborted by the signal: a dial abandoned halfway may complete on the target's
          // side only. Stopping waits for it (libp2p's dial timeout bounds it) and hangs up.
          await this.node.dial(addrs)
        } catch {
          if (signal.aborted) return
          this.ledger.dialFailures++
          continue
        }
      } else if (!await this.connected(signal)) {
        return
      }
      if (this.ledger.openSessions === 0) continue // closed by the target already
      const hungUpByTarget = this.disconnected()
      const stayed = await Promise.race([sleep(step.onlineMs, signal), hungUpByTarget.then(() => false)])
      if (!stayed) {
        if (signal.aborted) return
        continue
      }
      await this.hangUp()
      await this.disconnected()
    }
  }

  /** Closes every connection and waits (up to `timeoutMs`) for the ledger to see them closed; then stops the node. */
  async stop (timeoutMs = 5000): Promise<void> {
    this.closing = true
    // Let inbound upgrades already under way finish, so they are seen and hung up below.
    const deadline = Date.now() + 2000
    while (this.pendingInbound > 0 && Date.now() < deadline && Date.now() - this.lastInboundStartedAt < 2000) {
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    await this.hangUp()
    const closed = this.disconnected()
    await Promise.race([closed, new Promise(resolve => setTimeout(resolve, timeoutMs).unref())])
    await this.node.stop()
  }

  /** The gater's hook: true refuses the connection. */
  inboundStarting (): boolean {
    if (this.closing) return true
    this.pendingInbound++
    this.lastInboundStartedAt = Date.now()
    return false
  }

  inboundFinished (): void {
    this.pendingInbound = Math.max(0, this.pendingInbound - 1)
  }

  private async hangUp (): Promise<void> {
    await Promise.all(this.node.getConnections().map(async c => {
      try {
        await c.close()
      } catch (err) {
        c.abort(err as Error)
      }
    }))
  }

  private async disconnected (): Promise<void> {
    if (this.ledger.openSessions === 0) return
    await new Promise<void>(resolve => this.disconnectedWaiters.push(resolve))
  }

  private async connected (signal: AbortSignal): Promise<boolean> {
    if (this.ledger.openSessions > 0) return true
    if (signal.aborted) return false
    return await new Promise<boolean>(resolve => {
      const onAbort = (): void => { resolve(false) }
      signal.addEventListener('abort', onAbort, { once: true })
      this.connectedWaiters.push(() => { signal.removeEventListener('abort', onAbort); resolve(true) })
    })
  }
}

/**
 * B4 with a TCP+QUIC mix (bench/b4-compare.ts --quic-ratio, Node 22+): B4_QUIC_RATIO of the
 * dialers (every peer whose index mod 100 is below ratio x 100) speak QUIC only, the others TCP.
 * Unset, every peer speaks TCP, as the swarm always did. Listeners always speak TCP.
 */
async function transportFor (profile: PeerProfile): Promise<ReturnType<typeof tcp>> {
  const ratio = Number(process.env.B4_QUIC_RATIO ?? 0)
  if (profile.role === 'dialer' && ratio > 0 && profile.index % 100 < ratio * 100) {
    const { quic } = await import('@chainsafe/libp2p-quic')
    return quic() as unknown as ReturnType<typeof tcp>
  }
  return tcp()
}
