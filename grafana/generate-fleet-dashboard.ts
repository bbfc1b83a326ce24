/**
 * Generates grafana/dashboards/libp2p-peer-tracker-fleet.json, the fleet view: many
 * trackers (sites, regions, networks) in one store, as totals, breakdowns and one line
 * per tracker.
 *
 *   npx tsx grafana/generate-fleet-dashboard.ts          write the JSON
 *   npx tsx grafana/generate-fleet-dashboard.ts --check  exit 1 if the committed JSON differs
 *
 * Beside the per-tracker dashboard (generate-dashboard.ts), not inside it: that one shows
 * every series of each selected tracker apart (every aggregation keeps `instance`); this
 * one aggregates across trackers with `sum by (...)` over bounded labels only, so a query
 * costs the series it reads whatever the number of trackers (no repeated rows, no
 * per-tracker queries). A tracker is (cluster, instance): `cluster` is the external label
 * each Prometheus sets (docs/fleet.md), so two sites may reuse host names. Per-peer series
 * and the accounting invariant make no sense summed: the first is not here, the second is
 * shown per tracker.
 *
 * Built from the same panel kinds, queries and variables as generate-dashboard.ts
 * (generator/), typed with Grafana's published schema (@grafana/schema); `npm run
 * typecheck` checks this file and test/stack/fleet-dashboard.test.ts the result.
 */
import { fileURLToPath } from 'node:url'
import { BigValueGraphMode, DashboardCursorSync, LegendDisplayMode } from '@grafana/schema'
import type { Dashboard } from '@grafana/schema'
import { writeOrCheck } from './generator/output.js'
import { SCHEMA_VERSION } from './generator/schema-version.js'
import { HALF, QUARTER, THIRD, bargauge, layout, row, stat as statPanel, table, timeseries as timeseriesPanel, type Draft } from './generator/panels.js'
import { filteredBy } from './generator/queries.js'
import { datasourceVariable, labelVariable } from './generator/variables.js'

const OUTPUT = fileURLToPath(new URL('./dashboards/libp2p-peer-tracker-fleet.json', import.meta.url))

/** The filter every selector carries: the job, then the fleet's labels, then the trackers. */
const { sel, rate } = filteredBy('job="$job", cluster=~"$cluster", region=~"$region", network=~"$network", instance=~"$instance"')

/** One tracker: the external label of its Prometheus and its scrape address. */
const TRACKER = 'cluster, instance'

const STAT = { w: 4, h: 5 }

/** Time series with a table legend beside them, with each series' last value: many trackers, long names. */
const timeseries = (spec: Parameters<typeof timeseriesPanel>[0]): Draft => timeseriesPanel({
  legend: { displayMode: LegendDisplayMode.Table, placement: 'right', showLegend: true, calcs: ['lastNotNull'] },
  ...spec
})

/** Stats over the time range, the value now on a sparkline of the range. */
const stat = (spec: Parameters<typeof statPanel>[0]): Draft => statPanel({ graphMode: BigValueGraphMode.Area, instant: false, ...spec })

const SUMMED = 'Summed over the selected trackers: a peer connected to two trackers counts twice.'

const panels: Draft[] = [
  row('Fleet totals'),
  stat({
    title: 'Trackers up',
    description: 'Selected trackers whose last scrape succeeded (sum of up), and how many targets there are (count of up). Each Prometheus scrapes and alerts on its own trackers; this is the global view of all of them.',
    unit: 'short',
    size: STAT,
    queries: [{ expr: `sum(${sel('up')})`, legendFormat: 'up' }, { expr: `count(${sel('up')})`, legendFormat: 'targets' }]
  }),
  stat({
    title: 'Connected peers',
    description: `Unique peers with an open connection, per tracker (libp2p_tracker_connected_peers), added up. ${SUMMED}`,
    unit: 'short',
    size: STAT,
    queries: [{ expr: `sum(${sel('libp2p_tracker_connected_peers')})`, legendFormat: 'peers' }]
  }),
  stat({
    title: 'Open connections',
    description: `Open connections of the selected trackers (libp2p_tracker_open_connections), added up. ${SUMMED}`,
    unit: 'short',
    size: STAT,
    queries: [{ expr: `sum(${sel('libp2p_tracker_open_connections')})`, legendFormat: 'connections' }]
  }),
  stat({
    title: 'Peer sessions opened',
    description: 'Peer sessions opened per second across the selected trackers (rate of libp2p_tracker_peer_connects_total, summed).',
    unit: 'ops',
    size: STAT,
    queries: [{ expr: `sum(${rate('libp2p_tracker_peer_connects_total')})`, legendFormat: 'sessions/s' }]
  }),
  stat({
    title: 'Dial failure ratio',
    description: 'Failed outbound dials over all outbound dials of the selected trackers (libp2p_tracker_dials_total), each side summed first: trackers that dial more weigh more.',
    unit: 'percentunit',
    size: STAT,
    queries: [{ expr: `sum(${rate('libp2p_tracker_dials_total', 'outcome="failure"')}) / sum(${rate('libp2p_tracker_dials_total')})`, legendFormat: 'failed' }]
  }),
  stat({
    title: 'Trackers failing the accounting check',
    description: 'How many selected trackers have connects - disconnects - connected peers != 0 (must be 0). The check only means something per tracker, so it is computed per tracker first and the failing ones are counted. The per-tracker row below shows each tracker\'s own value.',
    unit: 'short',
    size: STAT,
    queries: [{
      expr: `count((sum by (${TRACKER}) (${sel('libp2p_tracker_peer_connects_total')}) - sum by (${TRACKER}) (${sel('libp2p_tracker_peer_disconnects_total')}) - sum by (${TRACKER}) (${sel('libp2p_tracker_connected_peers')})) != 0) or vector(0)`,
      legendFormat: 'failing'
    }],
    steps: [{ color: 'green', value: null }, { color: 'red', value: 1 }]
  }),

  row('By region and network'),
  timeseries({
    title: 'Connected peers by region',
    description: `Connected peers per region target label (set in file_sd or the ServiceMonitor; empty when unset). ${SUMMED}`,
    unit: 'short',
    size: THIRD,
    stack: true,
    queries: [{ expr: `sum by (region) (${sel('libp2p_tracker_connected_peers')})`, legendFormat: '{{region}}' }]
  }),
  timeseries({
    title: 'Connected peers by network',
    description: `Connected peers per network target label (mainnet, testnet...). ${SUMMED}`,
    unit: 'short',
    size: THIRD,
    stack: true,
    queries: [{ expr: `sum by (network) (${sel('libp2p_tracker_connected_peers')})`, legendFormat: '{{network}}' }]
  }),
  timeseries({
    title: 'Peer churn by region',
    description: 'Peer sessions opened (up) and ended (down) per second, per region, summed over its trackers.',
    unit: 'ops',
    size: THIRD,
    queries: [
      { expr: `sum by (region) (${rate('libp2p_tracker_peer_connects_total')})`, legendFormat: '{{region}} opened' },
      { expr: `-sum by (region) (${rate('libp2p_tracker_peer_disconnects_total')})`, legendFormat: '{{region}} ended' }
    ]
  }),

  row('Clients across the fleet'),
  timeseries({
    title: 'Peers by client',
    description: `Connected peers by client family (agent label of libp2p_tracker_peers_by_agent, a bounded list), summed over the selected trackers. ${SUMMED}`,
    unit: 'short',
    size: HALF,
    stack: true,
    queries: [{ expr: `sum by (agent) (${sel('libp2p_tracker_peers_by_agent')})`, legendFormat: '{{agent}}' }]
  }),
  bargauge({
    title: 'Client share',
    description: `Each client family's share of the connected peers of the selected trackers, now: both counts summed over the selected trackers first, so a peer connected to two trackers counts twice on both sides.`,
    unit: 'percentunit',
    size: { w: 6, h: 8 },
    query: {
      expr: `sum by (agent) (${sel('libp2p_tracker_peers_by_agent')}) / scalar(sum(${sel('libp2p_tracker_peers_by_agent')}))`,
      legendFormat: '{{agent}}'
    }
  }),
  table({
    title: 'Client versions',
    description: `Connected peers by client and version (the versions each tracker exports are capped), summed over the selected trackers. ${SUMMED}`,
    unit: 'short',
    size: { w: 6, h: 8 },
    query: { expr: `sum by (agent, version) (${sel('libp2p_tracker_peers_by_agent')}) > 0` },
    hide: { Time: true },
    sortBy: 'Value'
  }),

  row('Dials across the fleet'),
  timeseries({
    title: 'Dial failures by reason',
    description: 'Failed outbound dials per second by error class (libp2p_tracker_dial_errors_total), summed over the selected trackers.',
    unit: 'ops',
    size: THIRD,
    stack: true,
    queries: [{ expr: `sum by (reason) (${rate('libp2p_tracker_dial_errors_total')})`, legendFormat: '{{reason}}' }]
  }),
  timeseries({
    title: 'Dials by outcome',
    description: 'Outbound dials per second by outcome (libp2p_tracker_dials_total), summed over the selected trackers.',
    unit: 'ops',
    size: THIRD,
    stack: true,
    queries: [{ expr: `sum by (outcome) (${rate('libp2p_tracker_dials_total')})`, legendFormat: '{{outcome}}' }]
  }),
  timeseries({
    title: 'Dial failure ratio by tracker',
    description: 'Failed over all outbound dials, per tracker (cluster, instance). A tracker with no dials in the interval has no line. LibP2PTrackerDialFailureRatioHigh is evaluated per tracker by the Prometheus that scrapes it.',
    unit: 'percentunit',
    size: THIRD,
    queries: [{
      expr: `sum by (${TRACKER}) (${rate('libp2p_tracker_dials_total', 'outcome="failure"')}) / sum by (${TRACKER}) (${rate('libp2p_tracker_dials_total')})`,
      legendFormat: '{{cluster}} {{instance}}'
    }]
  }),

  row('Per tracker'),
  timeseries({
    title: 'Connected peers by tracker',
    description: 'Connected peers of each selected tracker, one line per tracker (cluster, instance) with its region and network.',
    unit: 'short',
    size: HALF,
    queries: [{ expr: `sum by (${TRACKER}, region, network) (${sel('libp2p_tracker_connected_peers')})`, legendFormat: '{{cluster}} {{instance}} ({{region}}, {{network}})' }]
  }),
  timeseries({
    title: 'Peer sessions opened by tracker',
    description: 'Peer sessions opened per second by each selected tracker.',
    unit: 'ops',
    size: HALF,
    queries: [{ expr: `sum by (${TRACKER}) (${rate('libp2p_tracker_peer_connects_total')})`, legendFormat: '{{cluster}} {{instance}}' }]
  }),
  timeseries({
    title: 'Accounting check by tracker (must be 0)',
    description: 'connects - disconnects - connected peers of each tracker, kept per tracker: summed across trackers, errors of opposite sign would cancel out. Anything but 0 is a tracker bug (LibP2PTrackerInvariantBroken).',
    unit: 'short',
    size: QUARTER,
    queries: [{
      expr: `sum by (${TRACKER}) (${sel('libp2p_tracker_peer_connects_total')}) - sum by (${TRACKER}) (${sel('libp2p_tracker_peer_disconnects_total')}) - sum by (${TRACKER}) (${sel('libp2p_tracker_connected_peers')})`,
      legendFormat: '{{cluster}} {{instance}}'
    }]
  }),
  timeseries({
    title: 'Scrape health by tracker',
    description: 'up of each selected tracker (1 = its last scrape succeeded). Its own Prometheus alerts when it stays down (LibP2PTrackerTargetDown).',
    unit: 'none',
    size: QUARTER,
    queries: [{ expr: `max by (${TRACKER}) (${sel('up')})`, legendFormat: '{{cluster}} {{instance}}' }]
  }),
  timeseries({
    title: 'Source health by tracker',
    description: 'libp2p_tracker_source_up of each selected tracker: 1 when its last poll of the node it watches answered (--source=beacon-api or kubo-rpc; always 1 for a tracker with its own libp2p node), 0 while that node\'s API does not answer and the tracker keeps its last known peers. Its own Prometheus alerts when it stays at 0 (LibP2PTrackerSourceDown).',
    unit: 'none',
    size: QUARTER,
    queries: [{ expr: `max by (${TRACKER}) (${sel('libp2p_tracker_source_up')})`, legendFormat: '{{cluster}} {{instance}}' }]
  }),
  timeseries({
    title: 'Memory by tracker',
    description: 'Resident memory of each selected tracker process (process_resident_memory_bytes).',
    unit: 'bytes',
    size: QUARTER,
    queries: [{ expr: `max by (${TRACKER}) (${sel('process_resident_memory_bytes')})`, legendFormat: '{{cluster}} {{instance}}' }]
  }),
  table({
    title: 'Trackers',
    description: 'Every selected tracker with its labels and version (libp2p_tracker_build_info). Open the per-tracker dashboard for its peers, sessions and per-peer series.',
    unit: 'none',
    size: { w: 24, h: 8 },
    query: { expr: `max by (${TRACKER}, region, network, version) (${sel('libp2p_tracker_build_info')})` },
    hide: { Time: true, Value: true },
    sortBy: 'instance'
  })
]

const variables = [
  datasourceVariable,
  labelVariable('job', 'Job', '', false),
  labelVariable('cluster', 'Cluster', 'job="$job"', true),
  labelVariable('region', 'Region', 'job="$job", cluster=~"$cluster"', true),
  labelVariable('network', 'Network', 'job="$job", cluster=~"$cluster", region=~"$region"', true),
  labelVariable('instance', 'Tracker', 'job="$job", cluster=~"$cluster", region=~"$region", network=~"$network"', true)
]

const dashboard = {
  id: null,
  uid: 'libp2p-peer-tracker-fleet',
  title: 'libp2p peer tracker fleet',
  description: 'Many trackers in one store (Prometheus remote_write into VictoriaMetrics, Mimir or Thanos): fleet totals, regions and networks, clients and dials across the fleet, one line per tracker. Queries aggregate with sum by over bounded labels, so their cost does not grow with the number of trackers beyond their series. Per-peer series stay on the per-tracker dashboard. See docs/fleet.md.',
  tags: ['libp2p', 'libp2p-peer-tracker', 'fleet'],
  timezone: '',
  editable: true,
  graphTooltip: DashboardCursorSync.Crosshair,
  fiscalYearStartMonth: 0,
  liveNow: false,
  refresh: '1m',
  schemaVersion: SCHEMA_VERSION,
  version: 1,
  time: { from: 'now-6h', to: 'now' },
  timepicker: {},
  links: [{
    title: 'Per-tracker dashboard',
    type: 'dashboards',
    tags: ['libp2p-peer-tracker'],
    asDropdown: true,
    includeVars: true,
    keepTime: true,
    icon: 'external link',
    targetBlank: false,
    tooltip: '',
    url: ''
  }],
  annotations: { list: [] },
  templating: { list: variables },
  panels: layout(panels)
} satisfies Dashboard

await writeOrCheck(dashboard, OUTPUT, 'grafana/generate-fleet-dashboard.ts')
