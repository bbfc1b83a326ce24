import { readFile } from 'node:fs/promises'
import { PATHS } from './paths.js'

export interface DatasourceRef { type?: string, uid?: string }

export interface DashboardTarget {
  refId: string
  expr?: string
  datasource?: DatasourceRef
  [key: string]: unknown
}

export interface DashboardPanel {
  id: number
  type: string
  title?: string
  description?: string
  datasource?: DatasourceRef | null
  fieldConfig?: { defaults?: { unit?: string } }
  targets?: DashboardTarget[]
  panels?: DashboardPanel[]
  [key: string]: unknown
}

export interface DashboardVariable {
  name: string
  type: string
  query?: unknown
  definition?: string
  datasource?: DatasourceRef
  [key: string]: unknown
}

export interface Dashboard {
  id: null | number
  uid: string
  title: string
  panels: DashboardPanel[]
  templating: { list: DashboardVariable[] }
  annotations?: { list: Array<{ name: string, expr?: string, datasource?: DatasourceRef }> }
  [key: string]: unknown
}

export async function readDashboard (path: string = PATHS.dashboard): Promise<Dashboard> {
  return JSON.parse(await readFile(path, 'utf8')) as Dashboard
}

/** Every panel, including those nested in collapsed rows. */
export function allPanels (dashboard: Dashboard): DashboardPanel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])])
}

/** A PromQL query of the dashboard and where it comes from. */
export interface DashboardQuery { where: string, expr: string, datasource?: DatasourceRef }

/** Every PromQL expression: panel targets and annotation queries. */
export function dashboardQueries (dashboard: Dashboard): DashboardQuery[] {
  const fromPanels = allPanels(dashboard).flatMap((panel) => (panel.targets ?? [])
    .filter((target) => typeof target.expr === 'string')
    .map((target) => ({
      where: `panel "${panel.title ?? panel.id}" target ${target.refId}`,
      expr: target.expr as string,
      ...(target.datasource === undefined ? {} : { datasource: target.datasource })
    })))
  const fromAnnotations = (dashboard.annotations?.list ?? [])
    .filter((annotation) => typeof annotation.expr === 'string')
    .map((annotation) => ({
      where: `annotation "${annotation.name}"`,
      expr: annotation.expr as string,
      ...(annotation.datasource === undefined ? {} : { datasource: annotation.datasource })
    }))
  return [...fromPanels, ...fromAnnotations]
}

/** A dashboard expression as Grafana would send it for the given variable values. */
export function withVariables (expr: string, values: { job: string, instance: string, rateInterval: string }): string {
  return expr
    .replaceAll('$__rate_interval', values.rateInterval)
    .replaceAll('$job', values.job)
    .replaceAll('$instance', values.instance)
}
