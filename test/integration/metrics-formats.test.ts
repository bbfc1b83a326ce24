/**
 * The CLI's /metrics in both formats, in any order: prom-client renames counters in place when
 * it renders OpenMetrics (so a later text render loses `_total`); the CLI never renders
 * through that path, so OpenMetrics, text, OpenMetrics, text scrapes each name every counter
 * as its format requires, the tracker's and the process metrics' alike. Both formats come
 * gzipped when the scraper accepts gzip, as Prometheus does, and plain when it does not.
 */
import { request } from 'node:http'
import { gunzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { ALL_METRICS } from '../../src/metrics/definitions.js'
import { parseExposition } from '../support/exposition.js'
import { createTestPeer } from '../support/peers.js'
import { waitFor } from '../support/wait.js'
import { startTestTracker } from '../support/tracker.js'

const stoppers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(stoppers.splice(0).map(async stop => { await stop() }))
})

const OPENMETRICS = 'application/openmetrics-text;version=1.0.0'
const TRACKER_COUNTERS = ALL_METRICS.filter(m => m.type === 'counter').map(m => m.name)

/** Counter families (# TYPE ... counter) and the names of their samples. */
function counters (body: string): Array<{ family: string, samples: string[] }> {
  const out: Array<{ family: string, samples: string[] }> = []
  let current: { family: string, samples: string[] } | undefined
  for (const line of body.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (type !== null) {
      current = type[2] === 'counter' ? { family: type[1] as string, samples: [] } : undefined
      if (current !== undefined) out.push(current)
    } else if (current !== undefined && line !== '' && !line.startsWith('#')) {
      current.samples.push(/^[^{ ]+/.exec(line)?.[0] ?? '')
    }
  }
  return out
}

describe('the CLI\'s /metrics in both formats', () => {
  it('names counters right in OpenMetrics, then text, then OpenMetrics and text again', { timeout: 60_000 }, async () => {
    const t = await startTestTracker()
    stoppers.push(async () => { await t.stop() })
    const p = await createTestPeer({ listen: false })
    await p.start()
    stoppers.push(async () => { await p.stop() })
    await p.dial(t.node.getMultiaddrs())
    await waitFor('a peer', () => t.tracker.connectedPeers === 1)

    const scrape = async (accept: string | undefined): Promise<{ contentType: string | null, body: string }> => {
      const response = await fetch(`${t.url}/metrics`, accept === undefined ? {} : { headers: { accept } })
      return { contentType: response.headers.get('content-type'), body: await response.text() }
    }
    for (const round of [1, 2]) {
      const om = await scrape(OPENMETRICS)
      expect(om.contentType, `round ${round}`).toMatch(/^application\/openmetrics-text/)
      const omCounters = counters(om.body)
      expect(omCounters.map(c => c.family)).toEqual(expect.arrayContaining([...TRACKER_COUNTERS.map(n => n.replace(/_total$/, '')), 'process_cpu_seconds']))
      for (const { family, samples } of omCounters) {
        expect(family, `round ${round}`).not.toMatch(/_total$/)
        for (const sample of samples) expect(sample).toBe(`${family}_total`)
      }

      const text = await scrape(undefined)
      expect(text.contentType).toMatch(/^text\/plain; version=0\.0\.4/)
      const textCounters = counters(text.body)
      expect(textCounters.map(c => c.family)).toEqual(expect.arrayContaining([...TRACKER_COUNTERS, 'process_cpu_seconds_total']))
      for (const { family, samples } of textCounters) {
        expect(family, `round ${round}`).toMatch(/_total$/)
        for (const sample of samples) expect(sample).toBe(family)
      }
      // The same counter samples in both formats.
      expect(textCounters.flatMap(c => c.samples).sort()).toEqual(omCounters.flatMap(c => c.samples).sort())
      expect(parseExposition(text.body).samples.length).toBeGreaterThan(0)
    }
  })
})

describe('gzip on /metrics', () => {
  /** GET with these headers through node:http, which (unlike fetch) does not decompress. */
  async function get (url: string, headers: Record<string, string>): Promise<{ headers: Record<string, string | string[] | undefined>, body: Buffer }> {
    return await new Promise((resolve, reject) => {
      const req = request(url, { headers, agent: false }, res => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.once('end', () => { resolve({ headers: res.headers, body: Buffer.concat(chunks) }) })
        res.once('error', reject)
      })
      req.once('error', reject)
      req.end()
    })
  }

  it('answers gzip to a scraper that accepts it, in both formats, and plain text to one that does not', async () => {
    const t = await startTestTracker()
    stoppers.push(async () => { await t.stop() })
    for (const accept of [OPENMETRICS, 'text/plain']) {
      const zipped = await get(`${t.url}/metrics`, { accept, 'accept-encoding': 'gzip' })
      expect(zipped.headers['content-encoding'], accept).toBe('gzip')
      expect(zipped.headers.vary).toMatch(/Accept-Encoding/i)
      const text = gunzipSync(zipped.body).toString('utf8')
      expect(text).toMatch(/^# HELP libp2p_tracker_/m)
      expect(zipped.body.length).toBeLessThan(text.length / 3) // what gzip is for

      const plain = await get(`${t.url}/metrics`, { accept })
      expect(plain.headers['content-encoding'], accept).toBeUndefined()
      expect(plain.body.toString('utf8')).toMatch(/^# HELP libp2p_tracker_/m)
    }
  })
})
