/** An in-process tracker on 127.0.0.1 for integration tests, with its logs captured. */
import { PassThrough } from 'node:stream'
import { startTracker } from '../../src/app.js'
import { buildConfig } from '../../src/config/parse.js'
import { createLogger } from '../../src/log.js'
import { parseExposition } from './exposition.js'
import { waitFor } from './peers.js'
import type { RunningTracker } from '../../src/app.js'
import type { RawConfig } from '../../src/config/parse.js'
import type { Exposition } from './exposition.js'

export interface TestTracker extends RunningTracker {
  url: string
  /** Every log record so far, parsed. */
  logs: () => Array<Record<string, unknown>>
  scrape: () => Promise<Exposition>
}

export async function startTestTracker (raw: RawConfig = {}): Promise<TestTracker> {
  const config = buildConfig({
    'web.listen-address': '127.0.0.1:0',
    'p2p.listen': ['/ip4/127.0.0.1/tcp/0'],
    'p2p.bootstrap': [],
    'p2p.dht': 'off',
    'p2p.inbound-connection-threshold': '1000',
    'tracker.report-interval': '0',
    'log.level': 'info',
    ...raw
  })
  const lines: string[] = []
  const sink = new PassThrough()
  sink.on('data', (chunk: Buffer) => { lines.push(...chunk.toString('utf8').split('\n').filter(l => l !== '')) })
  const running = await startTracker(config, createLogger(config.log, sink))
  const url = `http://127.0.0.1:${running.http.port}`
  return {
    ...running,
    url,
    logs: () => lines.map(l => JSON.parse(l) as Record<string, unknown>),
    scrape: async () => {
      const response = await fetch(`${url}/metrics`)
      if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`)
      return parseExposition(await response.text())
    }
  }
}

/** Scrapes until `check` accepts the exposition (or waitFor's timeout); returns that exposition. */
export async function scrapeUntil (t: TestTracker, what: string, check: (m: Exposition) => boolean): Promise<Exposition> {
  let last: Exposition | undefined
  await waitFor(what, async () => { last = await t.scrape(); return check(last) })
  return last as Exposition
}
