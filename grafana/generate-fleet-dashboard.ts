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
 * Typed with Grafana's published schema (@grafana/schema), like generate-dashboard.ts;
 * `npm run typecheck` checks this file and test/stack/fleet-dashboard.test.ts the result.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import {
  BarGaugeDisplayMode,
  BarGaugeNamePlacement,
  BarGaugeSizing,
  BarGaugeValueMode,
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  DashboardCursorSync,
  FieldColorModeId,
  GraphDrawStyle,
  LegendDisplayMode,
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
import type { Options as BarGaugeOptions } from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen'
import type { Options as StatOptions } from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen'
import type { Options as TableOptions } from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen'
import type { Options as TimeSeriesOptions } from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen'

const OUTPUT = fileURLToPath(new URL('./dashboards/libp2p-peer-tracker-fleet.json', import.meta.url))

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } satisfies DataSourceRef

/** The filter every selector carries: the job, then the fleet's labels, then the trackers. */
const FILTER = 'job="$job", cluster=~"$cluster", region=~"$region", network=~"$network", instance=~"$instance"'

/** One tracker: the external label of its Prometheus and its scrape address. */
const TRACKER = 'cluster, instance'

function sel (metric: string, matchers?: string): string {
  return `${metric}{${matchers === undefined ? '' : `${matchers}, `}${FILTER}}`
}

function rate (metric: string, matchers?: string): string {
  return `rate(${sel(metric, matchers)}[$__rate_interval])`
}

interface Query { expr: string, legendFormat?: string, instant?: boolean, format?: 'time_series' | 'table' }

interface PrometheusQuery extends DataQuery {
  datasource: DataSourceRef
  editorMode: 'code'
  expr: string
  format: 'time_series' | 'table'
  instant: boolean
  range: boolean
  legendFormat: string
}

type QueryVariable = VariableModel & { type: 'query', definition: string }
interface Size { w: number, h: number }
type Placed<T> = T & { gridPos: GridPos }

let nextId = 1

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

function base (type: string, title: string, description: string, size: Size): Placed<Panel> {
  return { id: nextId++, type, title, description, datasource: DATASOURCE, gridPos: { ...size, x: 0, y: 0 } }
}

interface Spec { title: string, description: string, unit: string, queries: Query[], size: Size }

function timeseries ({ title, description, unit, queries, size, stack = false }: Spec & { stack?: boolean }): Placed<Panel> {
  return {
    ...base('timeseries', title, description, size),
    fieldConfig: {
      defaults: {
        unit,
        color: { mode: FieldColorModeId.PaletteClassic },
        custom: {
          drawStyle: GraphDrawStyle.Line,
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
      legend: { displayMode: LegendDisplayMode.Table, placement: 'right', showLegend: true, calcs: ['lastNotNull'] },
      tooltip: { mode: TooltipDisplayMode.Multi, sort: SortOrder.Descending }
    } satisfies TimeSeriesOptions,
    targets: targets(queries)
  }
}

function stat ({ title, description, unit, queries, size, steps }: Spec & { steps?: Threshold[] }): Placed<Panel> {
  return {
    ...base('stat', title, description, size),
    fieldConfig: {
      defaults: {
        unit,
        color: { mode: FieldColorModeId.Thresholds },
        thresholds: { mode: ThresholdsMode.Absolute, steps: steps ?? [{ color: 'text', value: null }] }
      },
      overrides: []
    } satisfies FieldConfigSource,
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: steps === undefined ? BigValueColorMode.None : BigValueColorMode.Background,
      graphMode: BigValueGraphMode.Area,
      justifyMode: BigValueJustifyMode.Auto,
      orientation: VizOrientation.Auto,
      textMode: BigValueTextMode.ValueAndName,
      wideLayout: true,
      showPercentChange: false,
      percentChangeColorMode: PercentChangeColorMode.Standard
    } satisfies StatOptions,
    targets: targets(queries)
  }
}

function bargauge ({ title, description, unit, queries, size }: Spec): Placed<Panel> {
  return {
    ...base('bargauge', title, description, size),
    fieldConfig: {
      defaults: {
        unit,
        min: 0,
        color: { mode: FieldColorModeId.PaletteClassic },
        thresholds: { mode: ThresholdsMode.Absolute, steps: [{ color: 'green', value: null }] }
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
    targets: targets(queries.map((q) => ({ instant: true, ...q })))
  }
}

function table ({ title, description, unit, queries, size, hide, sortBy }: Spec & { hide: Record<string, boolean>, sortBy: string }): Placed<Panel> {
  return {
    ...base('table', title, description, size),
    fieldConfig: {
      defaults: {
        unit,
        custom: { align: 'auto', cellOptions: { type: TableCellDisplayMode.Auto }, inspect: false } satisfies TableFieldOptions
      },
      overrides: []
    } satisfies FieldConfigSource<TableFieldOptions>,
    options: {
      showHeader: true,
      cellHeight: TableCellHeight.Sm,
      frameIndex: 0,
      sortBy: [{ displayName: sortBy, desc: true }]
    } satisfies TableOptions,
    transformations: [{ id: 'organize', options: { excludeByName: hide, renameByName: {}, indexByName: {} } }],
    targets: targets(queries.map((q) => ({ instant: true, format: 'table', ...q })))
  }
}

function row (title: string): Placed<RowPanel> {
  return { id: nextId++, type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: 0 }, panels: [] }
}

const HALF = { w: 12, h: 8 }
const THIRD = { w: 8, h: 8 }
const STAT = { w: 4, h: 5 }

const SUMMED = 'Summed over the selected trackers: a peer connected to two trackers counts twice.'

const panels: Array<Placed<Panel> | Placed<RowPanel>> = [
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
    queries: [{
      expr: `sum by (agent) (${sel('libp2p_tracker_peers_by_agent')}) / scalar(sum(${sel('libp2p_tracker_peers_by_agent')}))`,
      legendFormat: '{{agent}}'
    }]
  }),
  table({
    title: 'Client versions',
    description: `Connected peers by client and version (the versions each tracker exports are capped), summed over the selected trackers. ${SUMMED}`,
    unit: 'short',
    size: { w: 6, h: 8 },
    queries: [{ expr: `sum by (agent, version) (${sel('libp2p_tracker_peers_by_agent')}) > 0` }],
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
    size: THIRD,
    queries: [{
      expr: `sum by (${TRACKER}) (${sel('libp2p_tracker_peer_connects_total')}) - sum by (${TRACKER}) (${sel('libp2p_tracker_peer_disconnects_total')}) - sum by (${TRACKER}) (${sel('libp2p_tracker_connected_peers')})`,
      legendFormat: '{{cluster}} {{instance}}'
    }]
  }),
  timeseries({
    title: 'Scrape health by tracker',
    description: 'up of each selected tracker (1 = its last scrape succeeded). Its own Prometheus alerts when it stays down (LibP2PTrackerTargetDown).',
    unit: 'none',
    size: THIRD,
    queries: [{ expr: `max by (${TRACKER}) (${sel('up')})`, legendFormat: '{{cluster}} {{instance}}' }]
  }),
  timeseries({
    title: 'Memory by tracker',
    description: 'Resident memory of each selected tracker process (process_resident_memory_bytes).',
    unit: 'bytes',
    size: THIRD,
    queries: [{ expr: `max by (${TRACKER}) (${sel('process_resident_memory_bytes')})`, legendFormat: '{{cluster}} {{instance}}' }]
  }),
  table({
    title: 'Trackers',
    description: 'Every selected tracker with its labels and version (libp2p_tracker_build_info). Open the per-tracker dashboard for its peers, sessions and per-peer series.',
    unit: 'none',
    size: { w: 24, h: 8 },
    queries: [{ expr: `max by (${TRACKER}, region, network, version) (${sel('libp2p_tracker_build_info')})` }],
    hide: { Time: true, Value: true },
    sortBy: 'instance'
  })
]

function layout (list: Array<Placed<Panel> | Placed<RowPanel>>): Array<Placed<Panel> | Placed<RowPanel>> {
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

/**
 * A label of libp2p_tracker_build_info to pick values of, narrowed by the variables before
 * it. Multi-select with All = `.*`, which also matches series without the label: a fleet
 * without region, network or cluster labels still shows everything.
 */
function labelVariable (name: string, label: string, filter: string, multi: boolean): QueryVariable {
  const query = `label_values(libp2p_tracker_build_info{${filter}}, ${name})`
  return {
    name,
    label,
    type: 'query',
    datasource: DATASOURCE,
    definition: query,
    query,
    current: multi ? { selected: false, text: ['All'], value: ['$__all'] } : { selected: false, text: 'libp2p-peer-tracker', value: 'libp2p-peer-tracker' },
    hide: VariableHide.dontHide,
    includeAll: multi,
    ...(multi ? { allValue: '.*' } : {}),
    multi,
    options: [],
    refresh: VariableRefresh.onTimeRangeChanged,
    regex: '',
    skipUrlSync: false,
    sort: VariableSort.alphabeticalAsc
  }
}

const variables = [
  datasourceVariable,
  { ...labelVariable('job', 'Job', '', false), definition: 'label_values(libp2p_tracker_build_info, job)', query: 'label_values(libp2p_tracker_build_info, job)' },
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
  schemaVersion: 39,
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

const json = `${JSON.stringify(dashboard, null, 2)}\n`

if (process.argv.includes('--check')) {
  const committed = await readFile(OUTPUT, 'utf8').catch(() => '')
  if (committed !== json) {
    console.error(`${OUTPUT} is out of date: run npx tsx grafana/generate-fleet-dashboard.ts`)
    process.exit(1)
  }
  console.log(`${OUTPUT} is up to date`)
} else {
  await writeFile(OUTPUT, json)
  console.log(`wrote ${OUTPUT}`)
}
