/**
 * Generates grafana/dashboards/libp2p-peer-tracker.json, the provisioned dashboard.
 *
 *   npx tsx grafana/generate-dashboard.ts          write the JSON
 *   npx tsx grafana/generate-dashboard.ts --check  exit 1 if the committed JSON differs
 *
 * Edit this file, not the JSON: every query gets the same `job`/`instance` filter and
 * `$__rate_interval` from one place, and every panel a unit and a description.
 *
 * Typed with Grafana's published schema (@grafana/schema, the version of the compose
 * image's Grafana): the dashboard, variables and panels against its Dashboard, Panel and
 * RowPanel types, and each panel's options and custom field config against its plugin's
 * own types (timeseries, stat, table, heatmap, bargauge; panel-options.ts declares them on
 * the package's public types). `npm run typecheck` checks this
 * file (test/tsconfig.json includes grafana/); test/stack/dashboard.test.ts checks the
 * result and runs `--check`.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import {
  AxisPlacement,
  BarGaugeDisplayMode,
  BarGaugeNamePlacement,
  BarGaugeSizing,
  BarGaugeValueMode,
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  DashboardCursorSync,
  defaultDashboard,
  FieldColorModeId,
  GraphDrawStyle,
  HeatmapCellLayout,
  LegendDisplayMode,
  MappingType,
  PercentChangeColorMode,
  SortOrder,
  StackingMode,
  TableCellDisplayMode,
  TableCellHeight,
  ThresholdsMode,
  TooltipDisplayMode,
  VariableHide,
  VariableRefresh,
  VariableSort,
  VisibilityMode,
  VizOrientation
} from '@grafana/schema'
import type {
  AnnotationQuery,
  Dashboard,
  DataQuery,
  DataSourceRef,
  FieldConfigSource,
  GraphFieldConfig,
  GridPos,
  Panel,
  RowPanel,
  TableFieldOptions,
  Threshold,
  VariableModel
} from '@grafana/schema'
// The panel plugins' options, declared on @grafana/schema's public types (see panel-options.ts).
import {
  HeatmapColorMode,
  HeatmapColorScale,
  type BarGaugeOptions,
  type HeatmapFieldConfig,
  type HeatmapOptions,
  type StatOptions,
  type TableOptions,
  type TimeSeriesOptions
} from './panel-options.js'

const OUTPUT = fileURLToPath(new URL('./dashboards/libp2p-peer-tracker.json', import.meta.url))

/** The dashboard schema version of the @grafana/schema release the panels are typed against. */
const SCHEMA_VERSION: number = defaultDashboard.schemaVersion ?? (() => { throw new Error('@grafana/schema declares no dashboard schemaVersion') })()

/** Every panel and query uses the dashboard's datasource variable. */
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } satisfies DataSourceRef

/** The filter every selector in the dashboard carries. */
const FILTER = 'job="$job", instance=~"$instance"'

/**
 * The same filter, but also matching series without an instance label: "$instance|" is
 * the selected trackers or the empty string. For ALERTS, where LibP2PTrackerTargetAbsent
 * (from absent(up{job=...})) has a job but no instance, and must show whichever tracker
 * is selected.
 */
const FILTER_WITH_UNLABELLED = 'job="$job", instance=~"$instance|"'

/**
 * A vector selector filtered by the dashboard's variables.
 * @param matchers more matchers, e.g. 'alertstate="firing"'
 */
function sel (metric: string, matchers?: string, filter: string = FILTER): string {
  return `${metric}{${matchers === undefined ? '' : `${matchers}, `}${filter}}`
}

/** @param matchers more matchers, e.g. 'outcome="failure"' */
function rate (metric: string, matchers?: string): string {
  return `rate(${sel(metric, matchers)}[$__rate_interval])`
}

interface Query {
  expr: string
  legendFormat?: string
  instant?: boolean
  format?: 'time_series' | 'table' | 'heatmap'
}

/**
 * A Prometheus query as Grafana's Prometheus datasource stores it. @grafana/schema has
 * the common part (DataQuery); the Prometheus fields are that plugin's, typed here.
 */
interface PrometheusQuery extends DataQuery {
  datasource: DataSourceRef
  editorMode: 'code'
  expr: string
  format: 'time_series' | 'table' | 'heatmap'
  instant: boolean
  range: boolean
  legendFormat: string
}

/**
 * The fields the Prometheus datasource reads from an annotation query, beside the common
 * ones of @grafana/schema's AnnotationQuery (which leaves datasource fields out).
 */
interface PrometheusAnnotationFields {
  expr: string
  step: string
  titleFormat: string
  textFormat: string
  useValueForTime: boolean
}

/**
 * A query variable as Grafana saves it: `definition` is the query as its editor shows it,
 * which @grafana/schema's VariableModel leaves out.
 */
type QueryVariable = VariableModel & { type: 'query', definition: string }

interface Size { w: number, h: number }

/** A panel with its place on the grid, which layout() fills in. */
type Placed<T> = T & { gridPos: GridPos }

let nextId = 1

/** The panel's queries (Panel.targets is a list of open records in the schema). */
function targets (queries: Query[]): Array<Record<string, unknown>> {
  return queries.map((q, i) => ({
    datasource: DATASOURCE,
    editorMode: 'code',
    expr: q.expr,
    format: q.format ?? 'time_series',
    instant: q.instant ?? false,
    range: !(q.instant ?? false),
    legendFormat: q.legendFormat ?? '__auto',
    refId: String.fromCharCode(65 + i)
  } satisfies PrometheusQuery))
}

/** What every panel has: an id, its type, title, description, datasource and size. */
function base (type: string, title: string, description: string, size: Size): Placed<Panel> {
  return { id: nextId++, type, title, description, datasource: DATASOURCE, gridPos: { ...size, x: 0, y: 0 } }
}

function steps (list: Threshold[] | undefined, fallback: Threshold[]): { mode: ThresholdsMode, steps: Threshold[] } {
  return { mode: ThresholdsMode.Absolute, steps: list ?? fallback }
}

interface TimeseriesSpec {
  title: string
  description: string
  unit: string
  queries: Query[]
  size: Size
  stack?: boolean
  min?: number
  max?: number
  draw?: GraphDrawStyle
}

function timeseries ({ title, description, unit, queries, size, stack = false, min, max, draw = GraphDrawStyle.Line }: TimeseriesSpec): Placed<Panel> {
  return {
    ...base('timeseries', title, description, size),
    fieldConfig: {
      defaults: {
        unit,
        ...(min === undefined ? {} : { min }),
        ...(max === undefined ? {} : { max }),
        color: { mode: FieldColorModeId.PaletteClassic },
        custom: {
          drawStyle: draw,
          lineWidth: 1,
          fillOpacity: stack ? 30 : 10,
          showPoints: VisibilityMode.Never,
          spanNulls: false,
          stacking: { mode: stack ? StackingMode.Normal : StackingMode.None, group: 'A' }
        } satisfies GraphFieldConfig
      },
      overrides: []
    } satisfies FieldConfigSource<GraphFieldConfig>,
    options: {
      legend: { displayMode: LegendDisplayMode.List, placement: 'bottom', showLegend: true, calcs: [] },
      tooltip: { mode: TooltipDisplayMode.Multi, sort: SortOrder.Descending }
    } satisfies TimeSeriesOptions,
    targets: targets(queries)
  }
}

interface StatSpec {
  title: string
  description: string
  unit: string
  queries: Query[]
  size: Size
  steps?: Threshold[]
  textMode?: BigValueTextMode
  instant?: boolean
}

function stat ({ title, description, unit, queries, size, steps: colors, textMode = BigValueTextMode.ValueAndName, instant = true }: StatSpec): Placed<Panel> {
  return {
    ...base('stat', title, description, size),
    fieldConfig: {
      defaults: {
        unit,
        color: { mode: FieldColorModeId.Thresholds },
        thresholds: steps(colors, [{ color: 'text', value: null }])
      },
      overrides: []
    } satisfies FieldConfigSource,
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: colors === undefined ? BigValueColorMode.None : BigValueColorMode.Background,
      graphMode: BigValueGraphMode.None,
      justifyMode: BigValueJustifyMode.Auto,
      orientation: VizOrientation.Auto,
      textMode,
      wideLayout: true,
      showPercentChange: false,
      percentChangeColorMode: PercentChangeColorMode.Standard
    } satisfies StatOptions,
    targets: targets(queries.map((q) => ({ instant, ...q })))
  }
}

interface TableSpec {
  title: string
  description: string
  unit: string
  query: Query
  size: Size
  /** Columns to leave out. */
  hide: Record<string, boolean>
  /** Column titles. */
  rename: Record<string, string>
  sortBy: string
  /** Per-column settings, by the column's (renamed) title. */
  overrides?: FieldConfigSource['overrides']
}

function table ({ title, description, unit, query, size, hide, rename, sortBy, overrides }: TableSpec): Placed<Panel> {
  return {
    ...base('table', title, description, size),
    fieldConfig: {
      defaults: {
        unit,
        custom: { align: 'auto', cellOptions: { type: TableCellDisplayMode.Auto }, inspect: false } satisfies TableFieldOptions
      },
      overrides: overrides ?? []
    } satisfies FieldConfigSource<TableFieldOptions>,
    options: {
      showHeader: true,
      cellHeight: TableCellHeight.Sm,
      frameIndex: 0,
      sortBy: [{ displayName: sortBy, desc: true }]
    } satisfies TableOptions,
    transformations: [
      { id: 'organize', options: { excludeByName: hide, renameByName: rename, indexByName: {} } }
    ],
    targets: targets([{ instant: true, format: 'table', ...query }])
  }
}

interface HeatmapSpec {
  title: string
  description: string
  unit: string
  yUnit: string
  query: Query
  size: Size
}

function heatmap ({ title, description, unit, yUnit, query, size }: HeatmapSpec): Placed<Panel> {
  return {
    ...base('heatmap', title, description, size),
    fieldConfig: { defaults: { unit }, overrides: [] } satisfies FieldConfigSource<HeatmapFieldConfig>,
    options: {
      calculate: false,
      cellGap: 1,
      color: { mode: HeatmapColorMode.Scheme, scheme: 'Oranges', steps: 64, exponent: 0.5, fill: 'dark-orange', reverse: false, scale: HeatmapColorScale.Exponential },
      exemplars: { color: 'rgba(255,0,255,0.7)' },
      filterValues: { le: 1e-9 },
      legend: { show: true },
      rowsFrame: { layout: HeatmapCellLayout.auto },
      showValue: VisibilityMode.Auto,
      tooltip: { mode: TooltipDisplayMode.Single, yHistogram: true, showColorScale: false },
      yAxis: { axisPlacement: AxisPlacement.Left, unit: yUnit, reverse: false }
    } satisfies HeatmapOptions,
    targets: targets([{ format: 'heatmap', legendFormat: '{{le}}', ...query }])
  }
}

interface BarGaugeSpec {
  title: string
  description: string
  unit: string
  query: Query
  size: Size
}

function bargauge ({ title, description, unit, query, size }: BarGaugeSpec): Placed<Panel> {
  return {
    ...base('bargauge', title, description, size),
    fieldConfig: {
      defaults: {
        unit,
        min: 0,
        color: { mode: FieldColorModeId.PaletteClassic },
        thresholds: steps(undefined, [{ color: 'green', value: null }])
      },
      overrides: []
    } satisfies FieldConfigSource,
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      orientation: VizOrientation.Horizontal,
      displayMode: BarGaugeDisplayMode.Gradient,
      valueMode: BarGaugeValueMode.Color,
      namePlacement: BarGaugeNamePlacement.Left,
      showUnfilled: true,
      sizing: BarGaugeSizing.Auto,
      minVizHeight: 10,
      minVizWidth: 0,
      maxVizHeight: 300,
      legend: { displayMode: LegendDisplayMode.List, placement: 'bottom', showLegend: false, calcs: [] }
    } satisfies BarGaugeOptions,
    targets: targets([{ instant: true, ...query }])
  }
}

function row (title: string): Placed<RowPanel> {
  return {
    id: nextId++,
    type: 'row',
    title,
    collapsed: false,
    gridPos: { h: 1, w: 24, x: 0, y: 0 },
    panels: []
  }
}

const HALF = { w: 12, h: 8 }
const THIRD = { w: 8, h: 8 }
const QUARTER = { w: 6, h: 8 }
const STAT = { w: 4, h: 4 }

/** Panels in reading order; layout() places them left to right, top to bottom. */
const panels: Array<Placed<Panel> | Placed<RowPanel>> = [
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
  }),

  row('Peers'),
  timeseries({
    title: 'Connected peers',
    description: 'Unique peers with at least one open connection. A peer with several connections counts once; compare with the open connections below.',
    unit: 'short',
    size: HALF,
    min: 0,
    queries: [{ expr: sel('libp2p_tracker_connected_peers'), legendFormat: '{{instance}}' }]
  }),
  timeseries({
    title: 'Peer connects and disconnects',
    description: 'Peers per second whose first connection opened (connects, above 0) or whose last connection closed (disconnects, drawn below 0), by direction.',
    unit: 'cps',
    size: HALF,
    queries: [
      { expr: `sum by (instance, direction) (${rate('libp2p_tracker_peer_connects_total')})`, legendFormat: 'connects {{direction}} {{instance}}' },
      { expr: `-sum by (instance, direction) (${rate('libp2p_tracker_peer_disconnects_total')})`, legendFormat: 'disconnects {{direction}} {{instance}}' }
    ]
  }),
  timeseries({
    title: 'Net peer churn',
    description: 'Connects minus disconnects per second: above 0 the peer count grows, below 0 it shrinks. High connects and disconnects with a net near 0 is churn (alert LibP2PTrackerChurnHigh).',
    unit: 'cps',
    size: HALF,
    queries: [{
      expr: `sum by (instance) (${rate('libp2p_tracker_peer_connects_total')}) - sum by (instance) (${rate('libp2p_tracker_peer_disconnects_total')})`,
      legendFormat: '{{instance}}'
    }]
  }),
  timeseries({
    title: 'DHT routing table size',
    description: 'Peers in the kad-dht routing table (libp2p_tracker_dht_routing_table_peers). It grows as the node learns the network; 0 for long means the DHT is not working.',
    unit: 'short',
    size: HALF,
    min: 0,
    queries: [{ expr: sel('libp2p_tracker_dht_routing_table_peers'), legendFormat: '{{instance}}' }]
  }),

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
  }),

  row('Connections'),
  ...([
    ['direction', 'Open connections by direction', 'Open connections by who dialled: inbound (the remote peer) or outbound (this node).'],
    ['transport', 'Open connections by transport', 'Open connections by transport (tcp, ws, wss, quic, webrtc, webtransport, circuit for relayed, other).'],
    ['encryption', 'Open connections by encryption', 'Open connections by connection encrypter (noise, tls, plaintext, other).'],
    ['muxer', 'Open connections by muxer', 'Open connections by stream multiplexer (yamux, mplex, other).']
  ] as const).map(([label, title, description]) => timeseries({
    title,
    description: `${description} One band per tracker and ${label}, stacked: the top is the total of the selected trackers. From libp2p_tracker_open_connections.`,
    unit: 'short',
    size: QUARTER,
    stack: true,
    min: 0,
    queries: [{ expr: `sum by (instance, ${label}) (${sel('libp2p_tracker_open_connections')})`, legendFormat: `{{instance}} {{${label}}}` }]
  })),
  timeseries({
    title: 'Connections opened and closed',
    description: 'Connections opened (above 0) and closed (below 0) per second, by tracker and transport. Several connections can belong to one peer.',
    unit: 'cps',
    size: HALF,
    queries: [
      { expr: `sum by (instance, transport) (${rate('libp2p_tracker_connections_opened_total')})`, legendFormat: 'opened {{transport}} {{instance}}' },
      { expr: `-sum by (instance, transport) (${rate('libp2p_tracker_connections_closed_total')})`, legendFormat: 'closed {{transport}} {{instance}}' }
    ]
  }),
  timeseries({
    title: 'Connections per peer',
    description: 'Open connections divided by connected peers. Above 1, some peers hold several connections (for example one inbound and one outbound).',
    unit: 'none',
    size: HALF,
    queries: [{
      expr: `sum by (instance) (${sel('libp2p_tracker_open_connections')}) / sum by (instance) (${sel('libp2p_tracker_connected_peers')})`,
      legendFormat: '{{instance}}'
    }]
  }),

  row('Clients and protocols'),
  timeseries({
    title: 'Peers by client',
    description: 'Connected peers by the client family their identify agent string names (kubo, go-libp2p, rust-libp2p, js-libp2p, lighthouse, ...; "other" for the rest, "unknown" until identify completes), one band per tracker and client, stacked. From libp2p_tracker_peers_by_agent.',
    unit: 'short',
    size: HALF,
    stack: true,
    min: 0,
    queries: [{ expr: `sum by (instance, agent) (${sel('libp2p_tracker_peers_by_agent')})`, legendFormat: '{{instance}} {{agent}}' }]
  }),
  table({
    title: 'Client versions',
    description: 'Connected peers of each tracker by client family and major.minor version, now. Per family the 5 versions with the most peers are listed, the rest as "other"; "unknown" when the agent string has no version.',
    unit: 'short',
    size: HALF,
    query: { expr: `sum by (instance, agent, version) (${sel('libp2p_tracker_peers_by_agent')}) > 0` },
    hide: { Time: true },
    rename: { instance: 'Tracker', agent: 'Client', version: 'Version', Value: 'Peers' },
    sortBy: 'Peers'
  }),
  bargauge({
    title: 'Peers by protocol',
    description: 'Connected peers speaking at least one protocol of each class (kad, bitswap, gossipsub, identify, ping, circuit relay, autonat, dcutr, ...), now; "other" counts peers with any protocol outside the list. A peer counts once per class; one bar per tracker and class. From libp2p_tracker_peers_by_protocol.',
    unit: 'short',
    size: HALF,
    query: { expr: `sum by (instance, protocol) (${sel('libp2p_tracker_peers_by_protocol')})`, legendFormat: '{{instance}} {{protocol}}' }
  }),
  timeseries({
    title: 'Peers by address family',
    description: 'Connected peers by the address family of the connection that opened their session: ip4, ip6, relayed (circuit relay, counted apart from direct connections) or other (e.g. dns); one band per tracker and family, stacked. From libp2p_tracker_peers_by_ip_version.',
    unit: 'short',
    size: HALF,
    stack: true,
    min: 0,
    queries: [{ expr: `sum by (instance, ip_version) (${sel('libp2p_tracker_peers_by_ip_version')})`, legendFormat: '{{instance}} {{ip_version}}' }]
  }),

  row('Dials and disconnects'),
  timeseries({
    title: 'Dials by outcome',
    description: 'Outbound dials per second, by tracker and outcome, stacked: every dial libp2p makes (the bootstrap keeper, Kad-DHT queries, the reconnect queue, services such as ping). A dial answered by an already-open connection is not counted. From libp2p_tracker_dials_total.',
    unit: 'cps',
    size: HALF,
    stack: true,
    min: 0,
    queries: [{ expr: `sum by (instance, outcome) (${rate('libp2p_tracker_dials_total')})`, legendFormat: '{{instance}} {{outcome}}' }]
  }),
  timeseries({
    title: 'Dial failure ratio',
    description: 'Failed dials / all outbound dials of the tracker. Dials to stale DHT records fail routinely on public networks, so a high ratio alone is normal. Gaps mean no dial in the interval. Over 95% for 15 minutes with 10 or more dials fires LibP2PTrackerDialFailureRatioHigh.',
    unit: 'percentunit',
    size: HALF,
    min: 0,
    max: 1,
    queries: [{
      expr: `sum by (instance) (${rate('libp2p_tracker_dials_total', 'outcome="failure"')}) / sum by (instance) (${rate('libp2p_tracker_dials_total')})`,
      legendFormat: '{{instance}}'
    }]
  }),
  timeseries({
    title: 'Dial errors by reason',
    description: 'Failed dials per second by tracker and error class: timeout, refused, unreachable, peer_id_mismatch, no_valid_addresses, encryption_failed, muxer_failed, aborted, resource_limit, denied (the IP filter), other. Refused or unreachable: the peers or the network are down; timeout: the network or a handshake that never finished. From libp2p_tracker_dial_errors_total.',
    unit: 'cps',
    size: HALF,
    stack: true,
    min: 0,
    queries: [{ expr: `sum by (instance, reason) (${rate('libp2p_tracker_dial_errors_total')})`, legendFormat: '{{instance}} {{reason}}' }]
  }),
  timeseries({
    title: 'Connection close reasons',
    description: 'Connections closed per second by tracker and cause: local (this node closed it), pruned (the connection manager, over --p2p.max-connections), remote (the peer closed it), reset, timeout (e.g. a failed ping), shutdown. From libp2p_tracker_connection_close_reasons_total.',
    unit: 'cps',
    size: HALF,
    stack: true,
    min: 0,
    queries: [{ expr: `sum by (instance, reason) (${rate('libp2p_tracker_connection_close_reasons_total')})`, legendFormat: '{{instance}} {{reason}}' }]
  }),

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
  }),

  row('Churn and stability'),
  timeseries({
    title: 'Flapping peers',
    description: 'Remembered peers with at least --tracker.flapping-sessions (default 4) session starts within --tracker.flapping-window (default 10m). Over 10 and over 10% of the connected peers for 10 minutes fires LibP2PTrackerFlappingSpike. From libp2p_tracker_flapping_peers.',
    unit: 'short',
    size: THIRD,
    min: 0,
    queries: [{ expr: sel('libp2p_tracker_flapping_peers'), legendFormat: '{{instance}}' }]
  }),
  timeseries({
    title: 'Peer reconnects',
    description: 'Sessions per second opened within --tracker.flapping-window of the same peer\'s previous session end. From libp2p_tracker_peer_reconnects_total.',
    unit: 'cps',
    size: THIRD,
    min: 0,
    queries: [{ expr: `sum by (instance) (${rate('libp2p_tracker_peer_reconnects_total')})`, legendFormat: '{{instance}}' }]
  }),
  timeseries({
    title: 'Stable core',
    description: 'Connected peers whose current session is at least 1h, 6h, 24h and 7d old: the size of the stable core (each line includes the ones below it), per tracker. From libp2p_tracker_stable_peers.',
    unit: 'short',
    size: THIRD,
    min: 0,
    queries: [{ expr: `sum by (instance, min_age) (${sel('libp2p_tracker_stable_peers')})`, legendFormat: '{{instance}} ≥ {{min_age}}' }]
  }),
  timeseries({
    title: 'New vs returning peers',
    description: 'Sessions per second of peers seen for the first time since the tracker started (new) and of peers seen before (returning). new + returning = peer connects.',
    unit: 'cps',
    size: THIRD,
    stack: true,
    min: 0,
    queries: [
      { expr: `sum by (instance) (${rate('libp2p_tracker_new_peers_total')})`, legendFormat: 'new {{instance}}' },
      { expr: `sum by (instance) (${rate('libp2p_tracker_returning_peers_total')})`, legendFormat: 'returning {{instance}}' }
    ]
  }),
  timeseries({
    title: 'Peers seen and remembered',
    description: 'Distinct peers seen since the tracker started (libp2p_tracker_peers_seen, a fixed-memory estimate that may undercount slightly past ~1M peers) and peers in the per-peer history (libp2p_tracker_remembered_peers, at most --tracker.history-peers).',
    unit: 'short',
    size: THIRD,
    min: 0,
    queries: [
      { expr: sel('libp2p_tracker_peers_seen'), legendFormat: 'seen {{instance}}' },
      { expr: sel('libp2p_tracker_remembered_peers'), legendFormat: 'remembered {{instance}}' }
    ]
  }),
  timeseries({
    title: 'Sybil signal: peer IDs per IP',
    description: 'Remote IPs with connected peers under two or more distinct peer IDs, and the most peer IDs behind one IP (direct connections only). A few are normal (NAT, several nodes on one host); a jump points at one host posing as many peers.',
    unit: 'short',
    size: THIRD,
    min: 0,
    queries: [
      { expr: sel('libp2p_tracker_ips_with_multiple_peer_ids'), legendFormat: 'IPs with several peer IDs {{instance}}' },
      { expr: sel('libp2p_tracker_max_peer_ids_per_ip'), legendFormat: 'most peer IDs behind one IP {{instance}}' }
    ]
  }),

  row('Tracker process'),
  timeseries({
    title: 'CPU',
    description: 'CPU time the tracker process uses per second (1 = one full core), from process_cpu_seconds_total.',
    unit: 'percentunit',
    size: THIRD,
    min: 0,
    queries: [{ expr: rate('process_cpu_seconds_total'), legendFormat: '{{instance}}' }]
  }),
  timeseries({
    title: 'Memory',
    description: 'Resident memory of the tracker process and the V8 heap in use and allocated.',
    unit: 'bytes',
    size: THIRD,
    min: 0,
    queries: [
      { expr: sel('process_resident_memory_bytes'), legendFormat: 'resident {{instance}}' },
      { expr: sel('nodejs_heap_size_used_bytes'), legendFormat: 'heap used {{instance}}' },
      { expr: sel('nodejs_heap_size_total_bytes'), legendFormat: 'heap total {{instance}}' }
    ]
  }),
  timeseries({
    title: 'Event-loop lag',
    description: 'How late the Node.js event loop runs timers: median and 99th percentile since the last scrape, and the latest sample. Lag above ~100 ms delays libp2p protocol messages.',
    unit: 's',
    size: THIRD,
    min: 0,
    queries: [
      { expr: sel('nodejs_eventloop_lag_p50_seconds'), legendFormat: 'p50 {{instance}}' },
      { expr: sel('nodejs_eventloop_lag_p99_seconds'), legendFormat: 'p99 {{instance}}' },
      { expr: sel('nodejs_eventloop_lag_seconds'), legendFormat: 'latest {{instance}}' }
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
  }),

  row('Scrapes and alerts'),
  timeseries({
    title: 'Scrape health',
    description: 'Prometheus\' up series for each tracker: 1 when the last scrape succeeded, 0 when it failed.',
    unit: 'none',
    size: THIRD,
    min: 0,
    max: 1,
    queries: [{ expr: sel('up'), legendFormat: '{{instance}}' }]
  }),
  timeseries({
    title: 'Scrape duration',
    description: 'How long each scrape of the tracker took. It should stay well under the scrape timeout (10 s).',
    unit: 's',
    size: THIRD,
    min: 0,
    queries: [{ expr: sel('scrape_duration_seconds'), legendFormat: '{{instance}}' }]
  }),
  timeseries({
    title: 'Samples per scrape',
    description: 'Samples in each scrape of the tracker. It grows with the per-peer series, up to --tracker.max-peer-series of them.',
    unit: 'short',
    size: THIRD,
    min: 0,
    queries: [{ expr: sel('scrape_samples_scraped'), legendFormat: '{{instance}}' }]
  }),
  table({
    title: 'Tracker alerts',
    description: 'Alerts of the tracker rules (rules/alerts.yml) that are pending or firing now, from Prometheus\' ALERTS series, critical first: those of the selected trackers, and LibP2PTrackerTargetAbsent (no tracker target at all), which belongs to no tracker and always shows. docs/alerts.md has a runbook for each.',
    unit: 'none',
    size: { w: 24, h: 7 },
    // The severity as a rank (critical 3, warning 2, info 1), shown as its name: sorted as
    // text, "critical" would come last.
    query: {
      expr: (['critical', 'warning', 'info'] as const)
        .map((severity, i) => `${3 - i} * ${sel('ALERTS', `alertname=~"LibP2PTracker.*", severity="${severity}"`, FILTER_WITH_UNLABELLED)}`)
        .join(' or ')
    },
    hide: { Time: true, __name__: true, severity: true },
    rename: { alertname: 'Alert', alertstate: 'State', Value: 'Severity', instance: 'Tracker' },
    sortBy: 'Severity',
    overrides: [{
      matcher: { id: 'byName', options: 'Severity' },
      properties: [
        { id: 'mappings', value: [{ type: MappingType.ValueToText, options: { 3: { text: 'critical', color: 'red', index: 0 }, 2: { text: 'warning', color: 'orange', index: 1 }, 1: { text: 'info', color: 'blue', index: 2 } } }] },
        { id: 'custom.cellOptions', value: { type: TableCellDisplayMode.ColorText } }
      ]
    }]
  })
]

/**
 * Places panels left to right in rows of 24 units, starting a new line when a panel does
 * not fit and at every row panel.
 */
function layout<T extends { type: string, gridPos: GridPos }> (list: T[]): T[] {
  let x = 0
  let y = 0
  let lineHeight = 0
  for (const panel of list) {
    const { w, h } = panel.gridPos
    if (panel.type === 'row' || x + w > 24) {
      y += lineHeight
      x = 0
      lineHeight = 0
    }
    panel.gridPos = { h, w, x, y }
    x += w
    lineHeight = Math.max(lineHeight, h)
    if (panel.type === 'row') {
      y += h
      x = 0
      lineHeight = 0
    }
  }
  return list
}

const restarts: AnnotationQuery & PrometheusAnnotationFields = {
  name: 'Tracker restarts',
  datasource: DATASOURCE,
  enable: true,
  hide: false,
  iconColor: 'orange',
  expr: `changes(${sel('libp2p_tracker_start_time_seconds')}[$__rate_interval]) > 0`,
  step: '1m',
  titleFormat: 'Tracker restarted',
  textFormat: '{{instance}}',
  useValueForTime: false
}

const datasourceVariable: VariableModel = {
  name: 'datasource',
  label: 'Data source',
  type: 'datasource',
  query: 'prometheus',
  current: { selected: false, text: 'Prometheus', value: 'prometheus' },
  hide: VariableHide.dontHide,
  includeAll: false,
  multi: false,
  options: [],
  refresh: VariableRefresh.onDashboardLoad,
  regex: '',
  skipUrlSync: false
}

const jobVariable: QueryVariable = {
  name: 'job',
  label: 'Job',
  type: 'query',
  datasource: DATASOURCE,
  definition: 'label_values(libp2p_tracker_build_info, job)',
  query: 'label_values(libp2p_tracker_build_info, job)',
  current: { selected: false, text: 'libp2p-peer-tracker', value: 'libp2p-peer-tracker' },
  hide: VariableHide.dontHide,
  includeAll: false,
  multi: false,
  options: [],
  refresh: VariableRefresh.onTimeRangeChanged,
  regex: '',
  skipUrlSync: false,
  sort: VariableSort.alphabeticalAsc
}

const instanceVariable: QueryVariable = {
  name: 'instance',
  label: 'Tracker',
  type: 'query',
  datasource: DATASOURCE,
  definition: 'label_values(libp2p_tracker_build_info{job="$job"}, instance)',
  query: 'label_values(libp2p_tracker_build_info{job="$job"}, instance)',
  current: { selected: false, text: ['All'], value: ['$__all'] },
  hide: VariableHide.dontHide,
  includeAll: true,
  allValue: '.*',
  multi: true,
  options: [],
  refresh: VariableRefresh.onTimeRangeChanged,
  regex: '',
  skipUrlSync: false,
  sort: VariableSort.alphabeticalAsc
}

const dashboard = {
  id: null,
  uid: 'libp2p-peer-tracker',
  title: 'libp2p peer tracker',
  description: 'Peers, sessions and connections of libp2p-peer-tracker nodes; who the peers are (clients, protocols, address families), dials and close reasons, RTT, flapping, churn and the stable core; the tracker process, its scrapes and its alerts.',
  tags: ['libp2p', 'libp2p-peer-tracker'],
  timezone: '',
  editable: true,
  graphTooltip: DashboardCursorSync.Crosshair,
  fiscalYearStartMonth: 0,
  liveNow: false,
  refresh: '30s',
  schemaVersion: SCHEMA_VERSION,
  version: 1,
  time: { from: 'now-6h', to: 'now' },
  timepicker: {},
  links: [],
  annotations: { list: [restarts] },
  templating: { list: [datasourceVariable, jobVariable, instanceVariable] },
  panels: layout(panels)
} satisfies Dashboard

const json = `${JSON.stringify(dashboard, null, 2)}\n`

if (process.argv.includes('--check')) {
  const committed = await readFile(OUTPUT, 'utf8').catch(() => '')
  if (committed !== json) {
    console.error(`${OUTPUT} is out of date: run npx tsx grafana/generate-dashboard.ts`)
    process.exit(1)
  }
  console.log(`${OUTPUT} is up to date`)
} else {
  await writeFile(OUTPUT, json)
  console.log(`wrote ${OUTPUT}`)
}
