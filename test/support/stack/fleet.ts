/**
 * A fleet on 127.0.0.1 for test/stack/fleet.test.ts: Debian's VictoriaMetrics (single node)
 * as the shared store, and Debian's Prometheus, as a server or in agent mode, scraping
 * trackers through file_sd and writing every sample into the store with remote_write.
 * The Prometheus configs are built from the project's prometheus.yml (its tracker job and
 * rule files), as docs/fleet.md tells an operator to do.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TOOLS } from './paths.js'
import { freePort } from '../ports.js'
import { startReadyServer, type RunningChild } from '../process.js'
import { projectRuleFiles, readProjectPrometheusConfig, TRACKER_JOB, type PrometheusConfig } from './prometheus.js'
import { toYaml } from './yaml.js'

/** Debian package victoria-metrics. */
export const VICTORIA_METRICS = 'victoria-metrics'

export interface VictoriaMetrics {
  /** Base URL; the Prometheus query API is at /api/v1/query. */
  url: string
  /** Where Prometheus remote_write sends samples. */
  writeUrl: string
  process: RunningChild
  stop: () => Promise<void>
}

/**
 * Starts VictoriaMetrics with its data in a temp folder and resolves once /health answers.
 * Fresh samples are queryable after 1 s (-search.latencyOffset, 30 s by default), and
 * responses are not cached, so a test can wait for a condition on the latest data.
 */
export async function startVictoriaMetrics (): Promise<VictoriaMetrics> {
  const dir = await mkdtemp(join(tmpdir(), 'libp2p-tracker-vm-'))
  const address = `127.0.0.1:${await freePort()}`
  const { url, process, stop } = await startReadyServer('VictoriaMetrics', VICTORIA_METRICS, [
    `-httpListenAddr=${address}`,
    `-storageDataPath=${join(dir, 'data')}`,
    '-retentionPeriod=1d',
    '-search.latencyOffset=1s',
    '-search.disableCache',
    '-loggerLevel=ERROR'
  ], address, dir, '/health')
  return { url, writeUrl: `${url}/api/v1/write`, process, stop }
}

/** A file_sd target group: trackers and the labels added to every series of them. */
export interface TargetGroup { targets: string[], labels: Record<string, string> }

export interface FleetPrometheusOptions {
  /** server: scrapes, stores, evaluates the rules. agent: scrapes and forwards only. */
  mode: 'server' | 'agent'
  /** external_labels of this Prometheus: they tell its series apart from other sites' in the store. */
  externalLabels: Record<string, string>
  /** The trackers, written to a file_sd file. */
  targets: TargetGroup[]
  remoteWriteUrl: string
}

/**
 * The project's prometheus.yml reduced to the tracker job, scraping the given file_sd file
 * every second and writing to the store. A server keeps the project's rule files (each
 * Prometheus evaluates the rules for its own trackers); an agent has neither rules nor
 * Alertmanagers (agent mode refuses them).
 */
export function fleetPrometheusConfig (
  project: PrometheusConfig,
  options: Omit<FleetPrometheusOptions, 'targets'> & { targetsFile: string, ruleFiles: string[] }
): PrometheusConfig {
  const job = project.scrape_configs.find((j) => j.job_name === TRACKER_JOB)
  if (job === undefined) throw new Error(`prometheus.yml has no job ${TRACKER_JOB}`)
  const { static_configs: _static, file_sd_configs: _file, ...rest } = job
  const config: PrometheusConfig = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s', external_labels: options.externalLabels },
    scrape_configs: [{ ...rest, file_sd_configs: [{ files: [options.targetsFile], refresh_interval: '5s' }] }],
    remote_write: [{
      url: options.remoteWriteUrl,
      // Send within a second rather than the default 5 s, so the test waits less.
      queue_config: { batch_send_deadline: '1s', min_backoff: '100ms', max_backoff: '1s' }
    }]
  }
  if (options.mode === 'server') config.rule_files = options.ruleFiles
  return config
}

export interface FleetPrometheus {
  url: string
  mode: 'server' | 'agent'
  process: RunningChild
  stop: () => Promise<void>
}

export async function startFleetPrometheus (options: FleetPrometheusOptions): Promise<FleetPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), `libp2p-tracker-${options.mode}-`))
  try {
    const project = await readProjectPrometheusConfig()
    const targetsFile = join(dir, 'trackers.json')
    await writeFile(targetsFile, `${JSON.stringify(options.targets, null, 2)}\n`)
    const configFile = join(dir, 'prometheus.yml')
    await writeFile(configFile, toYaml(fleetPrometheusConfig(project, { ...options, targetsFile, ruleFiles: await projectRuleFiles(project) })))
    const address = `127.0.0.1:${await freePort()}`
    const storage = options.mode === 'server'
      ? [`--storage.tsdb.path=${join(dir, 'data')}`]
      : ['--enable-feature=agent', `--storage.agent.path=${join(dir, 'agent')}`]
    const server = await startReadyServer(options.mode === 'server' ? 'Prometheus' : 'Prometheus agent', TOOLS.prometheus, [
      `--config.file=${configFile}`,
      ...storage,
      `--web.listen-address=${address}`,
      '--log.level=warn'
    ], address, dir)
    return { url: server.url, mode: options.mode, process: server.process, stop: server.stop }
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}

/** A regex matching exactly this text, for a `label=~"..."` matcher in a PromQL string literal. */
export function exactRegex (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&')
}
