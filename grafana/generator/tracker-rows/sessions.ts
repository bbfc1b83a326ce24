/** The "Sessions" row of the per-tracker dashboard: how long peer sessions last: quantiles, a heatmap and the longest-connected peers. */
import { HALF, heatmap, row, table, timeseries, type Draft } from '../panels.js'
import { rate, sel } from './selectors.js'

export const sessions: Draft[] = [
  row('Sessions'),
  timeseries({
    title: 'Finished session duration',
    description: 'Median, 90th and 99th percentile and mean duration of the peer sessions that ended in each interval (from libp2p_tracker_peer_session_duration_seconds). Gaps mean no session ended then.',
    unit: 's',
    size: HALF,
    queries: [
      ...[0.5, 0.9, 0.99].map((q) => ({
        expr: `histogram_quantile(${q}, sum by (instance, le) (${rate('libp2p_tracker_peer_session_duration_seconds_bucket')}))`,
        legendFormat: `p${Math.round(q * 100)} {{instance}}`
      })),
      {
        expr: `sum by (instance) (${rate('libp2p_tracker_peer_session_duration_seconds_sum')}) / sum by (instance) (${rate('libp2p_tracker_peer_session_duration_seconds_count')})`,
        legendFormat: 'mean {{instance}}'
      }
    ]
  }),
  heatmap({
    title: 'Finished sessions by duration',
    description: 'Peer sessions ending per second, by duration bucket (1 s to 1 week), averaged over each interval (a rate, so overlapping windows do not count a session twice). Many short sessions point at peers that connect and leave at once. A distribution: summed over the selected trackers; pick one tracker in the Tracker variable to see only its sessions.',
    unit: 'cps',
    yUnit: 's',
    size: HALF,
    query: { expr: `sum by (le) (${rate('libp2p_tracker_peer_session_duration_seconds_bucket')})` }
  }),
  table({
    title: 'Longest-connected peers',
    description: 'The 20 connected peers whose current session is the oldest (topk of libp2p_tracker_peer_connection_duration_seconds). Only the --tracker.max-peer-series longest sessions have a series.',
    unit: 's',
    size: { w: 24, h: 9 },
    query: { expr: `topk(20, ${sel('libp2p_tracker_peer_connection_duration_seconds')})` },
    hide: { Time: true, __name__: true, job: true },
    rename: { peer_id: 'Peer ID', instance: 'Tracker', Value: 'Connected for' },
    sortBy: 'Connected for'
  })
]
