/**
 * The tracker's families in a prom-client registry (src/metrics/prom-client-families.ts), with a
 * real prom-client Registry and the real collectors over an account the test drives: counters
 * keep `_total` in getMetricsAsJSON() whatever the registry's content type (prom-client's cluster
 * aggregation rebuilds a registry from that JSON), and every render reads the account as it is
 * then, also a second render in the same event-loop turn.
 */
import { AggregatorRegistry, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { ALL_METRICS, METRICS } from '../../src/metrics/definitions.js'
import { registerFamilies } from '../../src/metrics/prom-client-families.js'
import { TrackerCollector } from '../../src/metrics/tracker-collector.js'
import { PeerAccount } from '../../src/tracker/peer-account.js'
import { parseExposition, valueOf } from '../support/exposition.js'
import type { RegistryContentType } from 'prom-client'

const COUNTERS = ALL_METRICS.filter(m => m.type === 'counter').map(m => m.name)

function trackedRegistry (contentType: RegistryContentType): { registry: Registry<RegistryContentType>, account: PeerAccount, open: (n: number) => void } {
  const account = new PeerAccount({ now: () => 1_000_000 }, [])
  const collector = new TrackerCollector(account, {
    maxPeerSeries: 10,
    buildInfo: { version: '1', revision: 'r', libp2pVersion: '3', nodejsVersion: 'v20' },
    startTimeSeconds: 1,
    dhtRoutingTablePeers: () => 0
  })
  const registry = new Registry<RegistryContentType>()
  registry.setContentType(contentType)
  registerFamilies(registry, ALL_METRICS, (sink) => { collector.collect(sink) })
  let next = 0
  const open = (n: number): void => {
    for (let i = 0; i < n; i++, next++) {
      account.connectionOpened({ id: `c${next}`, peerId: `peer${next}`, remoteAddr: '/ip4/127.0.0.1/tcp/1', direction: 'inbound', transport: 'tcp', encryption: 'noise', muxer: 'yamux' })
    }
  }
  return { registry, account, open }
}

describe('the tracker\'s families in a prom-client registry', () => {
  it('names every counter with _total in getMetricsAsJSON(), also in an OpenMetrics registry, before and after an OpenMetrics render', async () => {
    const { registry, open } = trackedRegistry(Registry.OPENMETRICS_CONTENT_TYPE)
    open(2)
    const before = (await registry.getMetricsAsJSON()).map(f => f.name)
    const om = await registry.metrics()
    const after = (await registry.getMetricsAsJSON()).map(f => f.name)
    for (const names of [before, after]) {
      expect(names).toEqual(ALL_METRICS.map(m => m.name))
      for (const counter of COUNTERS) expect(names).toContain(counter)
    }
    // The OpenMetrics render itself still names the family without _total and its samples with it.
    expect(om).toContain(`# TYPE ${METRICS.peerConnects.name.replace(/_total$/, '')} counter\n`)
    expect(om).toContain(`${METRICS.peerConnects.name}{direction="inbound"} 2\n`)
  })

  it('survives prom-client\'s cluster aggregation of an OpenMetrics worker registry with the counters\' _total names', async () => {
    const { registry, open } = trackedRegistry(Registry.OPENMETRICS_CONTENT_TYPE)
    open(3)
    // What a cluster worker sends its primary, aggregated there into a text registry.
    const aggregated = AggregatorRegistry.aggregate([await registry.getMetricsAsJSON()])
    const text = await aggregated.metrics()
    for (const counter of COUNTERS) expect(text, counter).toContain(`# TYPE ${counter} counter\n`)
    expect(valueOf(parseExposition(text), METRICS.peerConnects.name, { direction: 'inbound' })).toBe(3)
  })

  it('reads the account as it is at each render, also two renders in one event-loop turn', async () => {
    const { registry, open } = trackedRegistry(Registry.PROMETHEUS_CONTENT_TYPE)
    open(1)
    const first = parseExposition(await registry.metrics())
    open(2) // no macrotask between the renders: only microtasks ran since the first
    const second = parseExposition(await registry.metrics())
    const json = await registry.getMetricsAsJSON()
    expect(valueOf(first, METRICS.connectedPeers.name)).toBe(1)
    expect(valueOf(second, METRICS.connectedPeers.name)).toBe(3)
    expect(json.find(f => f.name === METRICS.connectedPeers.name)?.values).toEqual([{ value: 3, labels: {} }])
  })

  it('gives every family of one render the same instant, also to a consumer that awaits between families', async () => {
    const { registry, account, open } = trackedRegistry(Registry.PROMETHEUS_CONTENT_TYPE)
    open(1)
    const values = new Map<string, number>()
    // prom-client's typings leave get() out of getMetricsAsArray()'s objects; every metric has it.
    for (const metric of registry.getMetricsAsArray() as unknown as Array<{ get: () => Promise<{ name: string, values: Array<{ value: number, metricName?: string }> }> }>) {
      const family = await metric.get()
      const sum = family.values.reduce((total, v) => total + (v.metricName === undefined ? v.value : 0), 0)
      values.set(family.name, sum)
      if (family.name === METRICS.connectedPeers.name) open(1) // the state changes between two families
    }
    expect(account.connectedPeers).toBe(2)
    // connected peers and the connects counter come from one render: connects - disconnects = connected
    expect(values.get(METRICS.connectedPeers.name)).toBe(1)
    expect(values.get(METRICS.peerConnects.name)).toBe(1)
  })
})
