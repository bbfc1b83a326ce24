import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

/** The repository root (this file is test/support/stack/paths.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export const PATHS = {
  prometheusConfig: join(REPO_ROOT, 'prometheus.yml'),
  rulesDir: join(REPO_ROOT, 'rules'),
  alertRules: join(REPO_ROOT, 'rules', 'alerts.yml'),
  ruleTestsDir: join(REPO_ROOT, 'rules', 'tests'),
  fileSdTargets: join(REPO_ROOT, 'prometheus', 'targets', 'trackers.yml'),
  alertmanagerConfig: join(REPO_ROOT, 'alertmanager', 'alertmanager.yml'),
  dashboard: join(REPO_ROOT, 'grafana', 'dashboards', 'libp2p-peer-tracker.json'),
  dashboardGenerator: join(REPO_ROOT, 'grafana', 'generate-dashboard.ts'),
  /** The panel kinds both dashboard generators build on, typed against the panel plugins' options. */
  dashboardPanels: join(REPO_ROOT, 'grafana', 'generator', 'panels.ts'),
  /** One module per row of the per-tracker dashboard. */
  dashboardRows: join(REPO_ROOT, 'grafana', 'generator', 'tracker-rows'),
  grafanaDatasource: join(REPO_ROOT, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'),
  grafanaProvider: join(REPO_ROOT, 'grafana', 'provisioning', 'dashboards', 'provider.yml'),
  compose: join(REPO_ROOT, 'docker-compose.yml'),
  dockerfile: join(REPO_ROOT, 'Dockerfile'),
  readme: join(REPO_ROOT, 'README.md')
} as const

/** The rule files prometheus.yml loads, relative to the repository root as it names them. */
export const RULE_FILES = ['rules/alerts.yml', 'rules/records.yml'] as const

/** The Debian binaries the stack tests run (packages prometheus, prometheus-alertmanager, docker-compose). */
export const TOOLS = {
  prometheus: 'prometheus',
  promtool: 'promtool',
  alertmanager: 'prometheus-alertmanager',
  amtool: 'amtool',
  dockerCompose: 'docker-compose'
} as const
