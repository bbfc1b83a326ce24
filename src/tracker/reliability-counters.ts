/**
 * Errors the tracker caught and survived, by component: counted for
 * libp2p_tracker_internal_errors_total{component}. Every component is known in advance, so
 * each series is exported as 0 from the first scrape.
 */

export const INTERNAL_ERROR_COMPONENTS = [
  /**
   * A handler of libp2p's events or hooks threw: the tracker's (connection:open/close,
   * peer:identify), peer insight's (connection close classification, connection:prune) and
   * the dial counter's.
   */
  'libp2p_event',
  /** An HTTP handler threw or rejected (answered 500). */
  'http',
  /** A promise rejected with nobody listening (usually inside libp2p's stream machinery). */
  'unhandled_rejection',
  /** The web config file changed into something invalid; the last good one stays in force. */
  'web_config_reload',
  /** The periodic peer report (--tracker.report-interval) threw; the next one runs as usual. */
  'report',
  /** RTT sampling (--tracker.rtt-sample-interval) threw; the next tick runs as usual. */
  'rtt',
  /**
   * A sweep of libp2p's peer store (src/service/peer-store-sweeper.ts) failed, or refreshing
   * connected peers' records failed; the next sweep runs as usual.
   */
  'peer_store_sweep',
  /** Writing a batch of history to the store (--storage.path) failed; its peers go with the next batch. */
  'storage'
] as const

export type InternalErrorComponent = typeof INTERNAL_ERROR_COMPONENTS[number]

export class InternalErrors {
  private readonly counts = new Map<InternalErrorComponent, number>(INTERNAL_ERROR_COMPONENTS.map(c => [c, 0]))

  count (component: InternalErrorComponent): void {
    this.counts.set(component, (this.counts.get(component) ?? 0) + 1)
  }

  get (component: InternalErrorComponent): number {
    return this.counts.get(component) ?? 0
  }

  /** Every component with its count, in the order above. */
  entries (): IterableIterator<[InternalErrorComponent, number]> {
    return this.counts.entries()
  }
}

/**
 * Counts of what the tracker refused or failed at and survived, read at scrape time:
 * internal errors by component and connections refused by the IP filter.
 */
export class ReliabilityCounters {
  readonly internalErrors = new InternalErrors()
  readonly gatedConnections: Record<'inbound' | 'outbound', number> = { inbound: 0, outbound: 0 }
}
