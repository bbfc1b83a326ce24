/**
 * Grafana's provisioning files (grafana/provisioning/): the Prometheus datasource with its
 * fixed uid and scrape interval, and the file dashboard provider, mounted by
 * docker-compose.yml. dashboard.test.ts checks the dashboards themselves.
 */
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { PATHS } from '../support/stack/paths.js'
import { readYaml } from '../support/stack/yaml.js'

describe('Grafana provisioning', () => {
  it('provisions the Prometheus datasource with the fixed uid and a file dashboard provider', async () => {
    const datasources = await readYaml(PATHS.grafanaDatasource) as {
      apiVersion: number
      datasources: Array<{ uid: string, type: string, url: string, jsonData: { timeInterval: string } }>
    }
    expect(datasources.apiVersion).toBe(1)
    expect(datasources.datasources).toHaveLength(1)
    const [prometheus] = datasources.datasources
    expect(prometheus).toMatchObject({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' })
    const scrape = (await readYaml(PATHS.prometheusConfig) as { global: { scrape_interval: string } }).global.scrape_interval
    expect(prometheus?.jsonData.timeInterval).toBe(scrape)

    const provider = await readYaml(PATHS.grafanaProvider) as {
      providers: Array<{ type: string, options: { path: string } }>
    }
    expect(provider.providers).toHaveLength(1)
    expect(provider.providers[0]).toMatchObject({ type: 'file', options: { path: '/etc/grafana/dashboards' } })
    const compose = await readFile(PATHS.compose, 'utf8')
    expect(compose).toContain('./grafana/dashboards:/etc/grafana/dashboards:ro')
    expect(compose).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro')
  })
})
