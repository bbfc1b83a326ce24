/**
 * The panel kinds the dashboards use (time series, gauges side by side as a time series,
 * stat, table, heatmap, bar gauge and row), each typed against its plugin's options
 * (panel-options.ts) and Grafana's Panel and RowPanel types, and layout(), which numbers
 * the panels and places them on the grid.
 * Every panel gets the datasource variable, a unit and a description.
 */
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
  FieldColorModeId,
  GraphDrawStyle,
  HeatmapCellLayout,
  LegendDisplayMode,
  PercentChangeColorMode,
  SortOrder,
  StackingMode,
  TableCellDisplayMode,
  TableCellHeight,
  ThresholdsMode,
  TooltipDisplayMode,
  VisibilityMode,
  VizOrientation
} from '@grafana/schema'
import type {
  FieldConfigSource,
  GraphFieldConfig,
  GridPos,
  Panel,
  RowPanel,
  TableFieldOptions,
  Threshold,
  VizLegendOptions
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
import { DATASOURCE, targets, type Query } from './queries.js'

/** A panel's width (of 24 grid units) and height. */
export interface Size { w: number, h: number }

export const HALF: Size = { w: 12, h: 8 }
export const THIRD: Size = { w: 8, h: 8 }
export const QUARTER: Size = { w: 6, h: 8 }

/** A panel as a dashboard lists it, with its size; layout() gives it its id and place. */
export type PanelDraft = Omit<Panel, 'id'> & { gridPos: GridPos }
export type RowDraft = Omit<RowPanel, 'id'> & { gridPos: GridPos }
export type Draft = PanelDraft | RowDraft

/** What every panel has: its type, title, description, datasource and size. */
function base (type: string, title: string, description: string, size: Size): PanelDraft {
  return { type, title, description, datasource: DATASOURCE, gridPos: { ...size, x: 0, y: 0 } }
}

function thresholds (steps: Threshold[]): { mode: ThresholdsMode, steps: Threshold[] } {
  return { mode: ThresholdsMode.Absolute, steps }
}

interface Spec {
  title: string
  description: string
  unit: string
  size: Size
}

interface TimeseriesSpec extends Spec {
  queries: Query[]
  stack?: boolean
  min?: number
  max?: number
  /** A list under the graph by default. */
  legend?: VizLegendOptions
}

export function timeseries ({
  title, description, unit, queries, size, stack = false, min, max,
  legend = { displayMode: LegendDisplayMode.List, placement: 'bottom', showLegend: true, calcs: [] }
}: TimeseriesSpec): PanelDraft {
  return {
    ...base('timeseries', title, description, size),
    fieldConfig: {
      defaults: {
        unit,
        ...(min === undefined ? {} : { min }),
        ...(max === undefined ? {} : { max }),
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
      legend,
      tooltip: { mode: TooltipDisplayMode.Multi, sort: SortOrder.Descending }
    } satisfies TimeSeriesOptions,
    targets: targets(queries)
  }
}

interface GaugeLinesSpec extends Spec {
  /** The dashboard's selector of a gauge: its name with the dashboard's filter, one series per tracker. */
  sel: (gauge: string) => string
  /** Each line's name in the legend and the gauge it draws, in legend order. */
  lines: Array<[name: string, gauge: string]>
}

/** A time series of a few gauges side by side, from 0: one line per tracker and gauge, its legend "<name> <instance>". */
export function gaugeLines ({ sel, lines, ...spec }: GaugeLinesSpec): PanelDraft {
  return timeseries({ ...spec, min: 0, queries: lines.map(([name, gauge]) => ({ expr: sel(gauge), legendFormat: `${name} {{instance}}` })) })
}

interface StatSpec extends Spec {
  queries: Query[]
  /** Background colours by value; none (plain text) when left out. */
  steps?: Threshold[]
  textMode?: BigValueTextMode
  /** A sparkline behind the value; none by default. */
  graphMode?: BigValueGraphMode
  /** Instant queries (the value now) unless a query says otherwise; true by default. */
  instant?: boolean
}

export function stat ({
  title, description, unit, queries, size, steps,
  textMode = BigValueTextMode.ValueAndName, graphMode = BigValueGraphMode.None, instant = true
}: StatSpec): PanelDraft {
  return {
    ...base('stat', title, description, size),
    fieldConfig: {
      defaults: {
        unit,
        color: { mode: FieldColorModeId.Thresholds },
        thresholds: thresholds(steps ?? [{ color: 'text', value: null }])
      },
      overrides: []
    } satisfies FieldConfigSource,
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: steps === undefined ? BigValueColorMode.None : BigValueColorMode.Background,
      graphMode,
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

interface TableSpec extends Spec {
  /** An instant query in table format, one row per series. */
  query: Query
  /** Columns to leave out. */
  hide: Record<string, boolean>
  /** Column titles. */
  rename?: Record<string, string>
  /** The column to sort by, largest first. */
  sortBy: string
  /** Per-column settings, by the column's (renamed) title. */
  overrides?: FieldConfigSource['overrides']
}

export function table ({ title, description, unit, query, size, hide, rename = {}, sortBy, overrides = [] }: TableSpec): PanelDraft {
  return {
    ...base('table', title, description, size),
    fieldConfig: {
      defaults: {
        unit,
        custom: { align: 'auto', cellOptions: { type: TableCellDisplayMode.Auto }, inspect: false } satisfies TableFieldOptions
      },
      overrides
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

interface HeatmapSpec extends Spec {
  /** Buckets by `le`, in heatmap format. */
  query: Query
  /** The unit of the y axis (the buckets); `unit` is that of the cells. */
  yUnit: string
}

export function heatmap ({ title, description, unit, yUnit, query, size }: HeatmapSpec): PanelDraft {
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

interface BarGaugeSpec extends Spec {
  /** An instant query, one bar per series. */
  query: Query
}

export function bargauge ({ title, description, unit, query, size }: BarGaugeSpec): PanelDraft {
  return {
    ...base('bargauge', title, description, size),
    fieldConfig: {
      defaults: {
        unit,
        min: 0,
        color: { mode: FieldColorModeId.PaletteClassic },
        thresholds: thresholds([{ color: 'green', value: null }])
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

/** A row header, open, with its panels after it in the list. */
export function row (title: string): RowDraft {
  return { type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: 0 }, panels: [] }
}

/**
 * Numbers the panels 1, 2, ... in order and places them left to right in lines of 24
 * units, starting a new line when a panel does not fit and at every row.
 */
export function layout (list: Draft[]): Array<Panel | RowPanel> {
  let x = 0
  let y = 0
  let lineHeight = 0
  return list.map((panel, i) => {
    const { w, h } = panel.gridPos
    if (panel.type === 'row' || x + w > 24) {
      y += lineHeight
      x = 0
      lineHeight = 0
    }
    const placed = { id: i + 1, ...panel, gridPos: { h, w, x, y } }
    x += w
    lineHeight = Math.max(lineHeight, h)
    if (panel.type === 'row') {
      y += h
      x = 0
      lineHeight = 0
    }
    return placed
  })
}
