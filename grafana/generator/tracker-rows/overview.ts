/** The "Overview" row of the per-tracker dashboard: the state of the selected trackers now, in one line of stats. */
import { BigValueTextMode } from '@grafana/schema'
import { row, stat, type Draft } from '../panels.js'
import { sel } from './selectors.js'

const STAT = { w: 4, h: 4 }

export const overview: Draft[] = [
  row('Overview'),
  stat({
    title: 'Connected peers',
    description: 'Unique peers with at least one open connection now (libp2p_tracker_connected_peers). Red at 0, orange under the default alert floor of 3.',
    unit: 'short',
    size: STAT,
    queries: [{ expr: sel('libp2p_tracker_connected_peers'), legendFormat: '{{instance}}' }],
    steps: [{ color: 'red', value: null }, { color: 'orange', value: 1 }, { color: 'green', value: 3 }]
  }),
  stat({
    title: 'Tracker uptime',
    description: 'Time since the tracker process started (time() - libp2p_tracker_start_time_seconds). Peer alerts stay quiet for the first 10 to 60 minutes.',
    unit: 's',
    size: STAT,
    queries: [{ expr: `time() - ${sel('libp2p_tracker_start_time_seconds')}`, legendFormat: '{{instance}}' }]
  }),
  stat({
    title: 'Accounting check (must be 0)',
    description: 'connects - disconnects - connected peers, summed over directions. The tracker keeps this at 0 at every scrape; anything else is a tracker bug (alert LibP2PTrackerInvariantBroken).',
    unit: 'short',
    size: STAT,
    queries: [{
      expr: `sum by (instance) (${sel('libp2p_tracker_peer_connects_total')}) - sum by (instance) (${sel('libp2p_tracker_peer_disconnects_total')}) - sum by (instance) (${sel('libp2p_tracker_connected_peers')})`,
      legendFormat: '{{instance}}'
    }],
    steps: [{ color: 'red', value: null }, { color: 'green', value: 0 }, { color: 'red', value: 1 }]
  }),
  stat({
    title: 'Peers left out of per-peer series',
    description: 'Connected peers without a libp2p_tracker_peer_connection_duration_seconds series because of --tracker.max-peer-series (default 500). Above 0, the longest-connected table shows only the longest sessions.',
    unit: 'short',
    size: STAT,
    queries: [{ expr: sel('libp2p_tracker_peer_series_dropped'), legendFormat: '{{instance}}' }],
    steps: [{ color: 'green', value: null }, { color: 'orange', value: 1 }]
  }),
  stat({
    title: 'Scrape target up',
    description: 'Whether Prometheus could scrape the tracker at its last scrape (up: 1 = up, 0 = down). Down for 2 minutes fires LibP2PTrackerTargetDown.',
    unit: 'none',
    size: STAT,
    queries: [{ expr: sel('up'), legendFormat: '{{instance}}' }],
    steps: [{ color: 'red', value: null }, { color: 'green', value: 1 }]
  }),
  stat({
    title: 'Tracker version',
    description: 'Version and revision of the tracker, of js-libp2p and of Node.js (libp2p_tracker_build_info).',
    unit: 'none',
    size: STAT,
    textMode: BigValueTextMode.Name,
    queries: [{
      expr: sel('libp2p_tracker_build_info'),
      legendFormat: '{{version}} ({{revision}}) · libp2p {{libp2p_version}} · Node {{nodejs_version}}'
    }]
  })
]
