/** The "Scrapes and alerts" row of the per-tracker dashboard: Prometheus' scrapes of the trackers and their alerts pending or firing. */
import { MappingType, TableCellDisplayMode } from '@grafana/schema'
import { THIRD, row, table, timeseries, type Draft } from '../panels.js'
import { sel, withUnlabelled } from './selectors.js'

export const scrapesAndAlerts: Draft[] = [
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
        .map((severity, i) => `${3 - i} * ${withUnlabelled.sel('ALERTS', `alertname=~"LibP2PTracker.*", severity="${severity}"`)}`)
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
