import { mkdtemp, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, isAbsolute, join } from 'node:path'
import { PATHS, TOOLS } from './paths.js'
import { freePort } from '../ports.js'
import { startReadyServer, type RunningChild } from '../process.js'
import { scaleRuleFile, type RuleFile } from './rule-scaling.js'
import { readYaml, toYaml } from './yaml.js'

/** The parts of prometheus.yml the harness reads and rewrites. */
export interface PrometheusConfig {
  global?: Record<string, unknown>
  rule_files?: string[]
  alerting?: Record<string, unknown>
  scrape_configs: Array<{ job_name: string, [key: string]: unknown }>
  [key: string]: unknown
}

export const TRACKER_JOB = 'libp2p-peer-tracker'

export async function readProjectPrometheusConfig (): Promise<PrometheusConfig> {
  return await readYaml(PATHS.prometheusConfig) as PrometheusConfig
}

/**
 * The files a rule_files pattern names, as Prometheus globs them: wildcards (`*`, `?`) in
 * the last path element only, which is all this project uses (Node 20 has no fs.glob).
 */
async function globFiles (pattern: string): Promise<string[]> {
  const name = basename(pattern)
  if (!/[*?]/.test(name)) return [pattern]
  const source = name
    .replace(/[.+^$()|[\]{}\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]')
  const regex = new RegExp(`^${source}$`)
  const dir = dirname(pattern)
  return (await readdir(dir)).filter((entry) => regex.test(entry)).map((entry) => join(dir, entry))
}

/** The rule files prometheus.yml loads, as absolute paths. */
export async function projectRuleFiles (config: PrometheusConfig): Promise<string[]> {
  const base = dirname(PATHS.prometheusConfig)
  const files: string[] = []
  for (const pattern of config.rule_files ?? []) {
    files.push(...await globFiles(isAbsolute(pattern) ? pattern : join(base, pattern)))
  }
  return files.sort()
}

export interface TestPrometheusOptions {
  /** host:port of each tracker to scrape as job libp2p-peer-tracker. */
  trackers: string[]
  /** host:port of the Alertmanager to send alerts to, if any. */
  alertmanager?: string
  /** Scrape and evaluation interval (default 1s). */
  interval?: string
  /**
   * Multiply every duration of the project's rules by this factor (see rule-scaling.ts);
   * 1 loads the rules unchanged. With a 1 s interval, 1/30 makes `for: 2m` 4 s and
   * `offset 15m` 30 s.
   */
  ruleTimeScale?: number
}

export interface TestPrometheus {
  url: string
  address: string
  process: RunningChild
  /** The rule files it loaded (scaled copies when ruleTimeScale != 1). */
  ruleFiles: string[]
  stop: () => Promise<void>
}

/**
 * A test copy of the project's prometheus.yml: the same jobs, relabeling and rules, but
 * short intervals, the given tracker addresses instead of the compose service names and
 * service discovery, and the given Alertmanager.
 */
export function testPrometheusConfig (
  project: PrometheusConfig,
  options: TestPrometheusOptions & { self: string, ruleFiles: string[] }
): PrometheusConfig {
  const interval = options.interval ?? '1s'
  const scrapeConfigs = project.scrape_configs.map((job) => {
    const { static_configs: _static, file_sd_configs: _file, dns_sd_configs: _dns, ...rest } = job
    const targets = job.job_name === TRACKER_JOB
      ? options.trackers
      : job.job_name === 'prometheus'
        ? [options.self]
        : job.job_name === 'alertmanager' && options.alertmanager !== undefined
          ? [options.alertmanager]
          : []
    return { ...rest, static_configs: [{ targets }] }
  })
  return {
    ...project,
    global: { ...project.global, scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: options.ruleFiles,
    alerting: options.alertmanager === undefined
      ? { alertmanagers: [] }
      : { alertmanagers: [{ static_configs: [{ targets: [options.alertmanager] }] }] },
    scrape_configs: scrapeConfigs
  }
}

/** Starts Debian's Prometheus on 127.0.0.1 with a test copy of the project's config. */
export async function startTestPrometheus (options: TestPrometheusOptions): Promise<TestPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'libp2p-tracker-prometheus-'))
  const project = await readProjectPrometheusConfig()
  const scale = options.ruleTimeScale ?? 1
  const ruleFiles: string[] = []
  for (const file of await projectRuleFiles(project)) {
    if (scale === 1) {
      ruleFiles.push(file)
    } else {
      const scaled = join(dir, `scaled-${ruleFiles.length}.yml`)
      await writeFile(scaled, toYaml(scaleRuleFile(await readYaml(file) as RuleFile, scale)))
      ruleFiles.push(scaled)
    }
  }
  const port = await freePort()
  const address = `127.0.0.1:${port}`
  const configFile = join(dir, 'prometheus.yml')
  await writeFile(configFile, toYaml(testPrometheusConfig(project, { ...options, self: address, ruleFiles })))
  const { url, process, stop } = await startReadyServer('Prometheus', TOOLS.prometheus, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=${address}`,
    '--rules.alert.resend-delay=1s',
    '--log.level=warn'
  ], address, dir)
  return { url, address, process, ruleFiles, stop }
}

interface ApiResponse<T> { status: 'success' | 'error', data: T, error?: string, errorType?: string }

async function api<T> (url: string): Promise<T> {
  const response = await fetch(url)
  const body = await response.json() as ApiResponse<T>
  if (body.status !== 'success') throw new Error(`${url}: ${body.errorType ?? ''} ${body.error ?? response.statusText}`)
  return body.data
}

export interface InstantSample { metric: Record<string, string>, value: [number, string] }

/** Runs an instant query; throws with Prometheus' message if the query is invalid. */
export async function instantQuery (prometheusUrl: string, expr: string): Promise<InstantSample[]> {
  const data = await api<{ resultType: string, result: InstantSample[] | [number, string] }>(
    `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)
  if (data.resultType === 'vector') return data.result as InstantSample[]
  if (data.resultType === 'scalar') return [{ metric: {}, value: data.result as [number, string] }]
  return []
}

export interface LoadedRule {
  name: string
  query: string
  type: 'alerting' | 'recording'
  health: 'ok' | 'err' | 'unknown'
  lastError?: string
  lastEvaluation: string
  duration?: number
  state?: string
}

export interface LoadedRuleGroup { name: string, file: string, rules: LoadedRule[] }

export async function loadedRules (prometheusUrl: string): Promise<LoadedRuleGroup[]> {
  return (await api<{ groups: LoadedRuleGroup[] }>(`${prometheusUrl}/api/v1/rules`)).groups
}

export interface ActiveTarget { labels: Record<string, string>, health: string, lastError: string, scrapePool: string }

export async function activeTargets (prometheusUrl: string): Promise<ActiveTarget[]> {
  return (await api<{ activeTargets: ActiveTarget[] }>(`${prometheusUrl}/api/v1/targets?state=active`)).activeTargets
}
