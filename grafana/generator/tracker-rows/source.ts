/**
 * The "Source" row of the per-tracker dashboard: how the tracker learns about peers
 * (--source, docs/sources.md) and, for a source that polls a node's API (beacon-api,
 * kubo-rpc), whether its polls answer and how fresh the numbers of every other row are.
 * The poll families (polls, poll duration, last success, interval, node changes) exist only
 * with a polling source: those panels stay empty for a tracker with its own libp2p node.
 */
import { BigValueTextMode } from '@grafana/schema'
import { HALF, row, stat, timeseries, type Draft } from '../panels.js'
import { rate, sel } from './selectors.js'

const STAT = { w: 6, h: 4 }

export const source: Draft[] = [
  row('Source'),
  stat({
    title: 'Source and client',
    description: 'How each tracker learns about peers (--source: libp2p, its own node; beacon-api, a consensus client\'s REST API; kubo-rpc, Kubo\'s RPC) and the client family and major.minor version of the node it watches (libp2p_tracker_source_info). One tracker watches one node.',
    unit: 'none',
    size: STAT,
    textMode: BigValueTextMode.Name,
    queries: [{ expr: sel('libp2p_tracker_source_info'), legendFormat: '{{instance}}: {{source}} · {{client}} {{version}}' }]
  }),
  stat({
    title: 'Source up',
    description: 'Whether the last poll of the watched node\'s API succeeded (libp2p_tracker_source_up: 1 = up, 0 = down; always 1 with the libp2p source). While 0 the tracker keeps the last known peers, marked stale, and counts no disconnect. Down for 2 minutes fires LibP2PTrackerSourceDown.',
    unit: 'none',
    size: STAT,
    queries: [{ expr: sel('libp2p_tracker_source_up'), legendFormat: '{{instance}}' }],
    steps: [{ color: 'red', value: null }, { color: 'green', value: 1 }]
  }),
  stat({
    title: 'Age of the last successful poll',
    description: 'Time since the last poll of the watched node\'s API that succeeded (time() - libp2p_tracker_source_last_success_timestamp_seconds; no value before the first). Normally under one poll interval plus the scrape interval: every peer number of this dashboard is that old. Orange past 30 s, red past 2 minutes (LibP2PTrackerSourceDown).',
    unit: 's',
    size: STAT,
    queries: [{ expr: `time() - (${sel('libp2p_tracker_source_last_success_timestamp_seconds')} > 0)`, legendFormat: '{{instance}}' }],
    steps: [{ color: 'green', value: null }, { color: 'orange', value: 30 }, { color: 'red', value: 120 }]
  }),
  stat({
    title: 'Poll interval',
    description: 'How often the tracker polls the node\'s API (--source.poll-interval, libp2p_tracker_source_poll_interval_seconds). A peer session shorter than this can be missed entirely, and a session starts at the first poll that lists the peer.',
    unit: 's',
    size: STAT,
    queries: [{ expr: sel('libp2p_tracker_source_poll_interval_seconds'), legendFormat: '{{instance}}' }]
  }),
  timeseries({
    title: 'Polls by result',
    description: 'Polls of the watched node\'s API per second, by tracker and result, stacked: success; unreachable (nothing answers at --source.url); timeout (slower than --source.timeout); http_error (a status other than 2xx, e.g. 401 for wrong credentials); bad_response (not the API\'s JSON); too_large (a body over the bound). Anything but success changes nothing in the account. From libp2p_tracker_source_polls_total.',
    unit: 'reqps',
    size: HALF,
    stack: true,
    min: 0,
    queries: [{ expr: `sum by (instance, result) (${rate('libp2p_tracker_source_polls_total')})`, legendFormat: '{{instance}} {{result}}' }]
  }),
  timeseries({
    title: 'Poll duration',
    description: 'How long a poll of the watched node\'s API takes, answered or not: median and 99th percentile over the interval, per tracker (libp2p_tracker_source_poll_duration_seconds). A poll slower than --source.timeout is abandoned (result timeout).',
    unit: 's',
    size: HALF,
    min: 0,
    queries: [
      { expr: `histogram_quantile(0.5, sum by (instance, le) (${rate('libp2p_tracker_source_poll_duration_seconds_bucket')}))`, legendFormat: 'p50 {{instance}}' },
      { expr: `histogram_quantile(0.99, sum by (instance, le) (${rate('libp2p_tracker_source_poll_duration_seconds_bucket')}))`, legendFormat: 'p99 {{instance}}' }
    ]
  }),
  timeseries({
    title: 'Age of the last successful poll over time',
    description: 'Time since the last successful poll of the watched node\'s API, over time (time() - libp2p_tracker_source_last_success_timestamp_seconds). A saw-tooth under the poll interval is normal; a rising line is an outage of the node\'s API, during which the peer numbers are frozen.',
    unit: 's',
    size: HALF,
    min: 0,
    queries: [{ expr: `time() - (${sel('libp2p_tracker_source_last_success_timestamp_seconds')} > 0)`, legendFormat: '{{instance}}' }]
  }),
  timeseries({
    title: 'Node changes and source gaps',
    description: 'Per second, by tracker: changes of the watched node seen through its API (libp2p_tracker_source_node_changes_total: restart, the node restarted; identity, another peer ID answers), and connections found gone when the API answered again after failed polls (libp2p_tracker_connection_close_reasons_total{reason="source_gap"}): those sessions ended somewhere in the gap, counted apart from ordinary closes.',
    unit: 'ops',
    size: HALF,
    min: 0,
    queries: [
      { expr: `sum by (instance, change) (${rate('libp2p_tracker_source_node_changes_total')})`, legendFormat: '{{instance}} {{change}}' },
      { expr: `sum by (instance) (${rate('libp2p_tracker_connection_close_reasons_total', 'reason="source_gap"')})`, legendFormat: '{{instance}} source_gap' }
    ]
  })
]
