/** The "Round-trip time" row of the per-tracker dashboard: round-trip times to the peers, as a distribution and by client. */
import { HALF, heatmap, row, timeseries, type Draft } from '../panels.js'
import { rate } from './selectors.js'

export const roundTripTime: Draft[] = [
  row('Round-trip time'),
  heatmap({
    title: 'Peer RTT',
    description: 'Round-trip times to connected peers, one sample per peer per --tracker.rtt-sample-interval (default 10 s), as samples per second by bucket from 1 ms to 5 s, averaged over each interval (a rate, so overlapping windows do not count a sample twice). A distribution: summed over the selected trackers; pick one tracker in the Tracker variable to see only its peers. From libp2p_tracker_peer_rtt_seconds.',
    unit: 'cps',
    yUnit: 's',
    size: HALF,
    query: { expr: `sum by (le) (${rate('libp2p_tracker_peer_rtt_seconds_bucket')})` }
  }),
  timeseries({
    title: 'RTT by client',
    description: 'Median and 95th percentile round-trip time of the peers of each client family, per tracker (trackers in different places see different RTTs), from the RTT samples taken in each interval. Gaps mean no sample of that family.',
    unit: 's',
    size: HALF,
    min: 0,
    queries: [0.5, 0.95].map((q) => ({
      expr: `histogram_quantile(${q}, sum by (instance, agent, le) (${rate('libp2p_tracker_peer_rtt_seconds_bucket')}))`,
      legendFormat: `p${Math.round(q * 100)} {{agent}} {{instance}}`
    }))
  })
]
