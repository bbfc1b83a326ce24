import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PATHS, TOOLS } from './paths.js'
import { freePort } from '../ports.js'
import { startReadyServer, type RunningChild } from '../process.js'
import { readYaml, toYaml } from './yaml.js'

/** The parts of alertmanager.yml the harness reads and rewrites. */
export interface Route {
  receiver?: string
  group_wait?: string
  group_interval?: string
  repeat_interval?: string
  routes?: Route[]
  [key: string]: unknown
}

export interface AlertmanagerConfig {
  route: Route
  receivers: Array<{ name: string, [key: string]: unknown }>
  inhibit_rules?: unknown[]
  [key: string]: unknown
}

export async function readProjectAlertmanagerConfig (): Promise<AlertmanagerConfig> {
  return await readYaml(PATHS.alertmanagerConfig) as AlertmanagerConfig
}

function fastRoute (route: Route, top: boolean): Route {
  const timing = top
    ? { group_wait: '1s', group_interval: '1s', repeat_interval: '1h' }
    : {
        ...(route.group_wait === undefined ? {} : { group_wait: '1s' }),
        ...(route.group_interval === undefined ? {} : { group_interval: '1s' })
      }
  return {
    ...route,
    ...timing,
    ...(route.routes === undefined ? {} : { routes: route.routes.map((r) => fastRoute(r, false)) })
  }
}

/**
 * A test copy of the project's alertmanager.yml: the same routing tree and inhibit rules,
 * with 1 s grouping times and every receiver replaced by a webhook to `webhookUrl`.
 */
export function testAlertmanagerConfig (project: AlertmanagerConfig, webhookUrl: string): AlertmanagerConfig {
  return {
    ...project,
    route: fastRoute(project.route, true),
    receivers: project.receivers.map(({ name }) => ({
      name,
      webhook_configs: [{ url: webhookUrl, send_resolved: true }]
    }))
  }
}

export interface TestAlertmanager {
  url: string
  address: string
  process: RunningChild
  stop: () => Promise<void>
}

/** Starts Debian's Alertmanager on 127.0.0.1, clustering off, with a test copy of the project's config. */
export async function startTestAlertmanager (webhookUrl: string): Promise<TestAlertmanager> {
  const dir = await mkdtemp(join(tmpdir(), 'libp2p-tracker-alertmanager-'))
  const configFile = join(dir, 'alertmanager.yml')
  await writeFile(configFile, toYaml(testAlertmanagerConfig(await readProjectAlertmanagerConfig(), webhookUrl)))
  const port = await freePort()
  const address = `127.0.0.1:${port}`
  const { url, process, stop } = await startReadyServer('Alertmanager', TOOLS.alertmanager, [
    `--config.file=${configFile}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=${address}`,
    '--cluster.listen-address=',
    '--log.level=warn'
  ], address, dir)
  return { url, address, process, stop }
}

export interface PostableAlert {
  labels: Record<string, string>
  annotations?: Record<string, string>
  startsAt?: string
  endsAt?: string
}

/** Posts alerts as Prometheus does (API v2). */
export async function postAlerts (alertmanagerUrl: string, alerts: PostableAlert[]): Promise<void> {
  const response = await fetch(`${alertmanagerUrl}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts)
  })
  if (!response.ok) throw new Error(`POST /api/v2/alerts: ${response.status} ${await response.text()}`)
}

export interface AlertmanagerAlert {
  labels: Record<string, string>
  status: { state: 'active' | 'suppressed' | 'unprocessed', inhibitedBy: string[], silencedBy: string[] }
  fingerprint: string
}

export async function listAlerts (alertmanagerUrl: string): Promise<AlertmanagerAlert[]> {
  const response = await fetch(`${alertmanagerUrl}/api/v2/alerts`)
  if (!response.ok) throw new Error(`GET /api/v2/alerts: ${response.status}`)
  return await response.json() as AlertmanagerAlert[]
}
