/**
 * gaugeLines(): the per-tracker dashboard's time series of a few gauges drawn side by side,
 * one line per selected tracker and gauge (legend "<name> <instance>"), with the y axis from 0.
 */
import { timeseries, type PanelDraft, type Size } from '../panels.js'
import { sel } from './selectors.js'

interface GaugeLinesSpec {
  title: string
  description: string
  unit: string
  size: Size
  /** Each line's name in the legend and the gauge it draws, in legend order. */
  lines: Array<[name: string, gauge: string]>
}

export function gaugeLines ({ title, description, unit, size, lines }: GaugeLinesSpec): PanelDraft {
  return timeseries({
    title,
    description,
    unit,
    size,
    min: 0,
    queries: lines.map(([name, gauge]) => ({ expr: sel(gauge), legendFormat: `${name} {{instance}}` }))
  })
}
