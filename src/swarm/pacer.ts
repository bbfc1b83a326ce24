/**
 * Time helpers for the peer runners: an abortable sleep and a dial pacer that spaces dials
 * evenly (first come, first served), so a swarm on one IP stays under the target's
 * inbound-connection threshold (libp2p refuses more than N per second from one host).
 */

/** Resolves true after `ms`, or false as soon as the signal aborts. */
export async function sleep (ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false
  if (ms <= 0) return true
  return await new Promise<boolean>(resolve => {
    const onAbort = (): void => { clearTimeout(timer); resolve(false) }
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(true) }, Math.min(ms, 2 ** 31 - 1))
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

export class DialPacer {
  private readonly intervalMs: number
  private nextSlot = 0

  /** `perSecond` 0 or Infinity: no pacing. */
  constructor (perSecond: number) {
    this.intervalMs = perSecond > 0 && Number.isFinite(perSecond) ? 1000 / perSecond : 0
  }

  /** Waits for this caller's slot; false when aborted first. */
  async take (signal: AbortSignal): Promise<boolean> {
    if (this.intervalMs === 0) return !signal.aborted
    const now = performance.now()
    const slot = Math.max(now, this.nextSlot)
    this.nextSlot = slot + this.intervalMs
    return await sleep(slot - now, signal)
  }
}
