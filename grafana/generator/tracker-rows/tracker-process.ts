/** The "Tracker process" row of the per-tracker dashboard: the tracker process: CPU, memory, event-loop lag, internal errors, the libp2p peer store, the IP filter. */
import { HALF, THIRD, gaugeLines, row, timeseries, type Draft } from '../panels.js'
import { rate, sel } from './selectors.js'

export const trackerProcess: Draft[] = [
  row('Tracker process'),
  timeseries({
    title: 'CPU',
    description: 'CPU time the tracker process uses per second (1 = one full core), from process_cpu_seconds_total.',
    unit: 'percentunit',
    size: THIRD,
    min: 0,
    queries: [{ expr: rate('process_cpu_seconds_total'), legendFormat: '{{instance}}' }]
  }),
  gaugeLines({
    title: 'Memory',
    description: 'Resident memory of the tracker process and the V8 heap in use and allocated.',
    unit: 'bytes',
    size: THIRD,
    sel,
    lines: [
      ['resident', 'process_resident_memory_bytes'],
      ['heap used', 'nodejs_heap_size_used_bytes'],
      ['heap total', 'nodejs_heap_size_total_bytes']
    ]
  }),
  gaugeLines({
    title: 'Event-loop lag',
    description: 'How late the Node.js event loop runs timers: median and 99th percentile since the last scrape, and the latest sample. Lag above ~100 ms delays libp2p protocol messages.',
    unit: 's',
    size: THIRD,
    sel,
    lines: [
      ['p50', 'nodejs_eventloop_lag_p50_seconds'],
      ['p99', 'nodejs_eventloop_lag_p99_seconds'],
      ['latest', 'nodejs_eventloop_lag_seconds']
    ]
  }),
  timeseries({
    title: 'Internal errors by component',
    description: 'Errors the tracker caught and survived per second, by tracker and component (libp2p_event: a libp2p event handler threw; http: a handler answered 500; unhandled_rejection; web_config_reload: an invalid web config was ignored; peer_store_sweep: a sweep of libp2p\'s peer store failed). Each is logged; anything above 0 is worth a look at the logs. From libp2p_tracker_internal_errors_total.',
    unit: 'cps',
    size: HALF,
    min: 0,
    queries: [{ expr: `sum by (instance, component) (${rate('libp2p_tracker_internal_errors_total')})`, legendFormat: '{{instance}} {{component}}' }]
  }),
  timeseries({
    title: 'libp2p peer store',
    description: 'Records in libp2p\'s peer store (every peer the node knows of, connected or not) as counted by the last sweep, which deletes those not updated for --p2p.peer-store-max-age (libp2p_tracker_peer_store_peers). About 7 KiB of memory each: it levels off at the number of distinct peers met within the max age; 0 until the first sweep.',
    unit: 'short',
    size: HALF,
    min: 0,
    queries: [{ expr: sel('libp2p_tracker_peer_store_peers'), legendFormat: '{{instance}}' }]
  }),
  timeseries({
    title: 'Time since the last peer store sweep',
    description: 'Seconds since the last completed sweep of libp2p\'s peer store (from libp2p_tracker_peer_store_last_sweep_timestamp_seconds; no value before the first sweep). A sweep runs every 10 minutes (half --p2p.peer-store-max-age if shorter): a line rising past that means sweeps stopped completing, see internal errors (component peer_store_sweep) and the logs.',
    unit: 's',
    size: HALF,
    min: 0,
    queries: [{ expr: `time() - (${sel('libp2p_tracker_peer_store_last_sweep_timestamp_seconds')} > 0)`, legendFormat: '{{instance}}' }]
  }),
  timeseries({
    title: 'Connections refused by the IP filter',
    description: 'Connections per second refused by --p2p.allow-cidr / --p2p.deny-cidr before any handshake, by tracker and direction. From libp2p_tracker_gated_connections_total.',
    unit: 'cps',
    size: HALF,
    min: 0,
    queries: [{ expr: `sum by (instance, direction) (${rate('libp2p_tracker_gated_connections_total')})`, legendFormat: '{{instance}} {{direction}}' }]
  })
]
