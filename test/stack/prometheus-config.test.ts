/**
 * prometheus.yml, and the file_sd example beside it (prometheus/targets/trackers.yml),
 * checked by promtool check config, with a broken file_sd file as negative control.
 */
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { uncommentFrom } from '../support/stack/commented-examples.js'
import { PATHS, REPO_ROOT, RULE_FILES, TOOLS } from '../support/stack/paths.js'
import { runTool } from '../support/process.js'
import { scratchDir } from '../support/scratch.js'

const scratch = scratchDir('libp2p-tracker-prometheus-config-')

describe('prometheus.yml', () => {
  it('passes promtool check config, with the rule files it loads and no warnings', async () => {
    const result = await runTool(TOOLS.promtool, ['check', 'config', 'prometheus.yml'], { cwd: REPO_ROOT })
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain('SUCCESS: prometheus.yml is valid prometheus config file syntax')
    for (const file of RULE_FILES) expect(result.output).toContain(`Checking ${file}`)
    expect(result.output).not.toMatch(/WARNING|FAILED/)
  })

  it('has a valid file_sd example in prometheus/targets/trackers.yml', async () => {
    const dir = join(scratch(), 'file-sd')
    await mkdir(join(dir, 'prometheus', 'targets'), { recursive: true })
    await cp(PATHS.prometheusConfig, join(dir, 'prometheus.yml'))
    await cp(PATHS.rulesDir, join(dir, 'rules'), { recursive: true })
    const example = uncommentFrom(await readFile(PATHS.fileSdTargets, 'utf8'), /^# - targets:/, '')
      .replace(/^\[\]$/m, '')
    expect(example).toMatch(/^- targets:\n {4}- tracker-a\.example\.org:9089$/m)
    await writeFile(join(dir, 'prometheus', 'targets', 'trackers.yml'), example)
    const result = await runTool(TOOLS.promtool, ['check', 'config', 'prometheus.yml'], { cwd: dir })
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain('SUCCESS: prometheus.yml is valid')
  })

  it('fails promtool check config when a file_sd file is broken (negative control)', async () => {
    const dir = join(scratch(), 'file-sd-broken')
    await mkdir(join(dir, 'prometheus', 'targets'), { recursive: true })
    await cp(PATHS.prometheusConfig, join(dir, 'prometheus.yml'))
    await cp(PATHS.rulesDir, join(dir, 'rules'), { recursive: true })
    await writeFile(join(dir, 'prometheus', 'targets', 'trackers.yml'), '- targets: tracker:9089\n')
    const result = await runTool(TOOLS.promtool, ['check', 'config', 'prometheus.yml'], { cwd: dir })
    expect(result.code).not.toBe(0)
    expect(result.output).toContain('FAILED')
  })
})
