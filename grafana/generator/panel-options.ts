/**
 * The options of the panel plugins the dashboard uses, built from @grafana/schema's public
 * entry point only (its root export, imported as `schema`). The package publishes each
 * plugin's own options only under generated paths (`@grafana/schema/dist/esm/raw/composable/
 * <plugin>/panelcfg/x/<Plugin>PanelCfg_types.gen`), which are not its public API; these
 * declarations repeat those of @grafana/schema 12.4.2 (the version of the compose image's
 * Grafana) field for field, on top of the public shared types they extend there.
 */
import type * as schema from '@grafana/schema'

/** The stat panel (StatPanelCfg). */
export interface StatOptions extends schema.SingleStatBaseOptions {
  colorMode: schema.BigValueColorMode
  graphMode: schema.BigValueGraphMode
  justifyMode: schema.BigValueJustifyMode
  percentChangeColorMode: schema.PercentChangeColorMode
  showPercentChange: boolean
  textMode: schema.BigValueTextMode
  wideLayout: boolean
}

/** The bar gauge panel (BarGaugePanelCfg). */
export interface BarGaugeOptions extends schema.OptionsWithLegend, schema.SingleStatBaseOptions {
  displayMode: schema.BarGaugeDisplayMode
  maxVizHeight: number
  minVizHeight: number
  minVizWidth: number
  namePlacement: schema.BarGaugeNamePlacement
  showUnfilled: boolean
  sizing: schema.BarGaugeSizing
  valueMode: schema.BarGaugeValueMode
}

/** The table panel (TablePanelCfg): the shared table options. */
export interface TableOptions extends schema.TableOptions {}
export interface TableFieldConfig extends schema.TableFieldOptions {}

/** The time series panel (TimeSeriesPanelCfg). */
export interface TimeSeriesOptions extends schema.OptionsWithTimezones, schema.OptionsWithAnnotations {
  disableKeyboardEvents?: boolean
  legend: schema.VizLegendOptions
  orientation?: schema.VizOrientation
  timeCompare?: schema.TimeCompareOptions
  tooltip: schema.VizTooltipOptions
}
export interface TimeSeriesFieldConfig extends schema.GraphFieldConfig {}

/** The heatmap panel (HeatmapPanelCfg). */
export enum HeatmapColorMode {
  Opacity = 'opacity',
  Scheme = 'scheme'
}

export enum HeatmapColorScale {
  Exponential = 'exponential',
  Linear = 'linear'
}

export enum HeatmapSelectionMode {
  X = 'x',
  Xy = 'xy',
  Y = 'y'
}

export interface HeatmapColorOptions {
  exponent: number
  fill: string
  max?: number
  min?: number
  mode?: HeatmapColorMode
  reverse: boolean
  scale?: HeatmapColorScale
  scheme: string
  steps: number
}

export interface HeatmapYAxisConfig extends schema.AxisConfig {
  decimals?: number
  max?: number
  min?: number
  reverse?: boolean
  unit?: string
}

export interface HeatmapOptions {
  annotations?: schema.VizAnnotations
  calculate?: boolean
  calculation?: schema.HeatmapCalculationOptions
  cellGap?: number
  cellRadius?: number
  cellValues?: { decimals?: number, unit?: string }
  color: HeatmapColorOptions
  exemplars: { color: string }
  filterValues?: { ge?: number, le?: number }
  legend: { show: boolean }
  rowsFrame?: { layout?: schema.HeatmapCellLayout, value?: string, yBucketScale?: schema.ScaleDistributionConfig }
  selectionMode?: HeatmapSelectionMode
  showValue: schema.VisibilityMode
  tooltip: { maxHeight?: number, maxWidth?: number, mode: schema.TooltipDisplayMode, showColorScale?: boolean, yHistogram?: boolean }
  yAxis: HeatmapYAxisConfig
}

export interface HeatmapFieldConfig extends schema.HideableFieldConfig {
  scaleDistribution?: schema.ScaleDistributionConfig
}
