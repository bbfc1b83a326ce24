/**
 * The options of the panel plugins the dashboard uses, built from @grafana/schema's public
 * entry point only (its root export). The package publishes each plugin's own options
 * only under generated paths (`@grafana/schema/dist/esm/raw/composable/<plugin>/panelcfg/
 * x/<Plugin>PanelCfg_types.gen`), which are not its public API; these declarations repeat
 * those of @grafana/schema 12.4.2 (the version of the compose image's Grafana) field for
 * field, on top of the public shared types they extend there.
 */
import type {
  AxisConfig,
  BarGaugeDisplayMode,
  BarGaugeNamePlacement,
  BarGaugeSizing,
  BarGaugeValueMode,
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  GraphFieldConfig,
  HeatmapCalculationOptions,
  HeatmapCellLayout,
  HideableFieldConfig,
  OptionsWithAnnotations,
  OptionsWithLegend,
  OptionsWithTimezones,
  PercentChangeColorMode,
  ScaleDistributionConfig,
  SingleStatBaseOptions,
  TableFieldOptions,
  TableOptions as SharedTableOptions,
  TimeCompareOptions,
  TooltipDisplayMode,
  VisibilityMode,
  VizAnnotations,
  VizLegendOptions,
  VizOrientation,
  VizTooltipOptions
} from '@grafana/schema'

/** The stat panel (StatPanelCfg). */
export interface StatOptions extends SingleStatBaseOptions {
  colorMode: BigValueColorMode
  graphMode: BigValueGraphMode
  justifyMode: BigValueJustifyMode
  percentChangeColorMode: PercentChangeColorMode
  showPercentChange: boolean
  textMode: BigValueTextMode
  wideLayout: boolean
}

/** The bar gauge panel (BarGaugePanelCfg). */
export interface BarGaugeOptions extends OptionsWithLegend, SingleStatBaseOptions {
  displayMode: BarGaugeDisplayMode
  maxVizHeight: number
  minVizHeight: number
  minVizWidth: number
  namePlacement: BarGaugeNamePlacement
  showUnfilled: boolean
  sizing: BarGaugeSizing
  valueMode: BarGaugeValueMode
}

/** The table panel (TablePanelCfg): the shared table options. */
export interface TableOptions extends SharedTableOptions {}
export interface TableFieldConfig extends TableFieldOptions {}

/** The time series panel (TimeSeriesPanelCfg). */
export interface TimeSeriesOptions extends OptionsWithTimezones, OptionsWithAnnotations {
  disableKeyboardEvents?: boolean
  legend: VizLegendOptions
  orientation?: VizOrientation
  timeCompare?: TimeCompareOptions
  tooltip: VizTooltipOptions
}
export interface TimeSeriesFieldConfig extends GraphFieldConfig {}

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

export interface HeatmapYAxisConfig extends AxisConfig {
  decimals?: number
  max?: number
  min?: number
  reverse?: boolean
  unit?: string
}

export interface HeatmapOptions {
  annotations?: VizAnnotations
  calculate?: boolean
  calculation?: HeatmapCalculationOptions
  cellGap?: number
  cellRadius?: number
  cellValues?: { decimals?: number, unit?: string }
  color: HeatmapColorOptions
  exemplars: { color: string }
  filterValues?: { ge?: number, le?: number }
  legend: { show: boolean }
  rowsFrame?: { layout?: HeatmapCellLayout, value?: string, yBucketScale?: ScaleDistributionConfig }
  selectionMode?: HeatmapSelectionMode
  showValue: VisibilityMode
  tooltip: { maxHeight?: number, maxWidth?: number, mode: TooltipDisplayMode, showColorScale?: boolean, yHistogram?: boolean }
  yAxis: HeatmapYAxisConfig
}

export interface HeatmapFieldConfig extends HideableFieldConfig {
  scaleDistribution?: ScaleDistributionConfig
}
