/**
 * alertmanager/alertmanager.yml checked by amtool: the file, its commented receiver
 * examples, and the routes of the tracker's alerts and of the Watchdog, with a broken copy
 * as negative control. alertmanager.test.ts runs the file in a real Alertmanager.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { uncommentFrom } from '../support/stack/commented-examples.js'
import { PATHS, TOOLS } from '../support/stack/paths.js'
import { parseDuration } from '../support/stack/rule-scaling.js'
import { runTool } from '../support/process.js'
import { scratchDir } from '../support/scratch.js'
import { readYaml } from '../support/stack/yaml.js'

const scratch = scratchDir('libp2p-tracker-alertmanager-config-')

describe('alertmanager/alertmanager.yml', () => {
  it('passes amtool check-config', async () => {
    const result = await runTool(TOOLS.amtool, ['check-config', PATHS.alertmanagerConfig])
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain('SUCCESS')
    expect(result.output).toMatch(/5 inhibit rules/)
  })

  it('has valid commented receiver examples', async () => {
    const text = uncommentFrom(await readFile(PATHS.alertmanagerConfig, 'utf8'), /^ {4}# slack_configs:/, '    ')
    expect(text).toMatch(/^ {4}slack_configs:$/m)
    expect(text).toMatch(/^ {4}email_configs:$/m)
    const file = join(scratch(), 'alertmanager-examples.yml')
    await writeFile(file, text)
    const result = await runTool(TOOLS.amtool, ['check-config', file])
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain('SUCCESS')
  })

  it('fails amtool check-config when an inhibit matcher is broken (negative control)', async () => {
    const text = (await readFile(PATHS.alertmanagerConfig, 'utf8'))
      .replace('equal: [job, instance]', 'equal: job')
    const file = join(scratch(), 'alertmanager-broken.yml')
    await writeFile(file, text)
    const result = await runTool(TOOLS.amtool, ['check-config', file])
    expect(result.code).not.toBe(0)
    expect(result.output).toContain('FAILED')
  })

  it('sends the default receiver to a webhook URL that is not inside the Alertmanager container', async () => {
    const config = await readYaml(PATHS.alertmanagerConfig) as { receivers: Array<{ name: string, webhook_configs?: Array<{ url: string }> }> }
    const urls = config.receivers.flatMap((r) => (r.webhook_configs ?? []).map((w) => w.url))
    // One URL to edit, marked as such in the file.
    expect(urls).toHaveLength(1)
    const url = new URL(urls[0] ?? '')
    // 127.0.0.1 or localhost would be the Alertmanager container itself.
    expect(url.hostname).not.toMatch(/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/)
    const text = await readFile(PATHS.alertmanagerConfig, 'utf8')
    expect(text).toMatch(new RegExp(`>>> The one place to edit.*\\n(?:\\s*#.*\\n)*\\s*- url: ${urls[0] ?? ''}\\n`))
  })

  it.each([
    ['LibP2PTrackerNoPeers', 'critical'],
    ['LibP2PTrackerPeerCountDrop', 'warning'],
    ['LibP2PTrackerPeerSeriesCapReached', 'info'],
    ['LibP2PTrackerCrashLooping', 'critical'],
    ['LibP2PTrackerSourceDown', 'warning'],
    ['LibP2PTrackerAlertmanagerNotificationsFailing', 'critical']
  ])('routes %s (%s) to the default receiver', async (alertname, severity) => {
    const result = await runTool(TOOLS.amtool, [
      'config', 'routes', 'test', `--config.file=${PATHS.alertmanagerConfig}`,
      `alertname=${alertname}`, `severity=${severity}`, 'job=libp2p-peer-tracker', 'instance=tracker:9089'
    ])
    expect(result.code, result.output).toBe(0)
    expect(result.stdout.trim()).toBe('default')
  })

  it('routes the Watchdog, and only the Watchdog, to the receiver "watchdog", which is repeated every 5 minutes', async () => {
    const route = async (...labels: string[]) => (await runTool(TOOLS.amtool, [
      'config', 'routes', 'test', `--config.file=${PATHS.alertmanagerConfig}`, ...labels
    ])).stdout.trim()
    expect(await route('alertname=LibP2PTrackerWatchdog', 'severity=none')).toBe('watchdog')
    expect(await route('alertname=LibP2PTrackerNoPeers', 'severity=none')).toBe('default')
    const config = await readYaml(PATHS.alertmanagerConfig) as {
      route: { routes: Array<{ receiver: string, repeat_interval?: string, group_interval?: string }> }
      receivers: Array<{ name: string, webhook_configs?: unknown[] }>
    }
    const watchdog = config.route.routes.find((r) => r.receiver === 'watchdog')
    // A heartbeat service expects a ping every few minutes: a long repeat would trip it.
    expect(parseDuration(watchdog?.repeat_interval ?? '0s')).toBe(5 * 60_000)
    expect(parseDuration(watchdog?.group_interval ?? '0s')).toBeLessThanOrEqual(5 * 60_000)
    // It sends nothing until the user gives it a heartbeat URL (no failing placeholder).
    expect(config.receivers.find((r) => r.name === 'watchdog')).toEqual({ name: 'watchdog' })
  })

  it('holds back a warning while the critical alert of the same name and tracker fires', async () => {
    const config = await readYaml(PATHS.alertmanagerConfig) as { inhibit_rules: Array<Record<string, unknown>> }
    expect(config.inhibit_rules).toContainEqual({
      source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['alertname', 'job', 'instance']
    })
  })
})
