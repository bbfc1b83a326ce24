/**
 * The peer view at `/` in a real browser (Debian's chromium driven by playwright-core) against
 * the built CLI: with real libp2p peers, the count on the page equals /metrics, a peer that
 * leaves disappears from the table, sorting, filtering and the detail view work; the demo's
 * printed URL shows the swarm coming and going; behind TLS and basic auth with
 * --web.disable-peer-api the page works and says why there is no table. Every test fails on
 * any console error or warning, page error, failed request, HTTP error or CSP violation.
 * Screenshots go to a temporary folder; with PEER_VIEW_SCREENSHOTS=1 (`npm run screenshots`)
 * the demo's goes to docs/images/peer-view.png.
 */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CLOSE_REASONS } from '../../src/insight/close-reasons.js'
import { openWatchedPage, launchChromium, screenshotDir } from '../support/browser.js'
import { runCli, startCliTracker } from '../support/tracker.js'
import { parseExposition, valueOf } from '../support/exposition.js'
import { createTestPeer } from '../support/peers.js'
import { waitFor } from '../support/wait.js'
import { bcryptHash, httpsGet, makePki } from '../support/web.js'
import type { Browser, Page } from 'playwright-core'
import type { Libp2p } from '@libp2p/interface'

const SCREENSHOTS = process.env.PEER_VIEW_SCREENSHOTS === '1'
/** The page polls every second here (?refresh=1): waits on it allow many refreshes on a loaded machine. */
const PAGE_WAIT = { timeout: 30_000, interval: 100 }

let browser: Browser
beforeAll(async () => { browser = await launchChromium() })
afterAll(async () => { await browser?.close() })

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {})
})

async function connectedPeersMetric (url: string): Promise<number | undefined> {
  return valueOf(parseExposition(await (await fetch(`${url}/metrics`)).text()), 'libp2p_tracker_connected_peers')
}

/** The table's peer IDs in order, read in one step (row by row, a refresh in between could make a row vanish under the read). */
async function rowIds (page: Page): Promise<string[]> {
  return await page.locator('#peers tbody tr[data-peer-id]').evaluateAll((rows) => rows.map((row) => String(row.getAttribute('data-peer-id'))))
}

async function text (page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).textContent() ?? '').trim()
}

/** How many times the page has refreshed its data (polled from the DOM: the page's CSP forbids eval, so no waitForFunction). */
async function refreshes (page: Page): Promise<number> {
  return Number(await page.locator('body').getAttribute('data-refreshes') ?? '0')
}

/** Waits until the page has refreshed once more than it had when called. */
async function nextRefresh (page: Page): Promise<void> {
  const seen = await refreshes(page)
  await expect.poll(async () => await refreshes(page), PAGE_WAIT).toBeGreaterThan(seen)
}

describe('the peer view in a real browser', () => {
  it('shows the connected peers: count equal to /metrics, sorting, filtering, detail; a peer that leaves disappears', async () => {
    const run = await startCliTracker(['--p2p.bootstrap='])
    cleanups.push(run.kill)
    const agents = ['kubo/0.29.0/3f0947b', 'lighthouse/v5.3.0-5c63d0a/x86_64-linux', 'js-libp2p/2.2.3 UserAgent=v20.19.0']
    const peers: Libp2p[] = []
    for (const agentVersion of agents) {
      const peer = await createTestPeer({ agentVersion, listen: false })
      cleanups.push(async () => { await peer.stop() })
      await peer.dial(multiaddr(run.listenAddrs[0] as string))
      peers.push(peer)
    }
    const [kubo, lighthouse] = peers as [Libp2p, Libp2p, Libp2p]
    const ids = peers.map(p => p.peerId.toString())
    // Identified, so the agents are known to the table.
    await waitFor('the tracker to identify the three peers', async () => {
      const rows = await (await fetch(`${run.url}/api/v1/peer-table`)).json() as { rows: Array<{ agentVersion: string | null }> }
      return rows.rows.length === 3 && rows.rows.every(r => r.agentVersion !== null)
    }, 30_000)

    const { page, problems } = await openWatchedPage(browser)
    await page.goto(`${run.url}/?refresh=1`)
    await nextRefresh(page)

    // The count on the page equals /metrics (read after the page showed it, so both are this moment's).
    await expect.poll(async () => await text(page, '#connected-now'), PAGE_WAIT).toBe('3')
    expect(await connectedPeersMetric(run.url)).toBe(3)
    await expect.poll(async () => (await rowIds(page)).sort(), PAGE_WAIT).toEqual([...ids].sort())
    expect(await page.locator('#chart-peers canvas').count()).toBeGreaterThan(0)
    expect(await page.locator('#chart-churn canvas').count()).toBeGreaterThan(0)
    for (const family of ['kubo', 'lighthouse', 'js-libp2p']) expect(await text(page, `#agent-families .bar-row[data-key="${family}"] .bar-value`)).toBe('1')
    // The landing page's links stay.
    for (const href of ['/metrics', '/api/v1/status', '/api/v1/peers', '/-/healthy', '/-/ready']) expect(await page.locator(`nav a[href="${href}"]`).count()).toBe(1)

    // Sorting by peer ID, ascending then descending; by agent. Each click is followed by a wait
    // for the table rendered from the server's answer in that order (body[data-table-sort]): the
    // rows alone may already be in that order by chance before the click takes effect.
    const tableSort = async (): Promise<string | null> => await page.locator('body').getAttribute('data-table-sort')
    await page.click('th button[data-sort="peerId"]')
    await expect.poll(tableSort, PAGE_WAIT).toBe('peerId:asc')
    await expect.poll(async () => await rowIds(page), PAGE_WAIT).toEqual([...ids].sort())
    expect(await page.locator('th:has(button[data-sort="peerId"])').getAttribute('aria-sort')).toBe('ascending')
    await page.click('th button[data-sort="peerId"]')
    await expect.poll(tableSort, PAGE_WAIT).toBe('peerId:desc')
    await expect.poll(async () => await rowIds(page), PAGE_WAIT).toEqual([...ids].sort().reverse())
    expect(await page.locator('th:has(button[data-sort="peerId"])').getAttribute('aria-sort')).toBe('descending')
    await page.click('th button[data-sort="agent"]')
    await expect.poll(tableSort, PAGE_WAIT).toBe('agent:asc')
    const byAgent = agents.map((agent, i) => ({ agent, id: ids[i] as string })).sort((a, b) => a.agent < b.agent ? -1 : 1).map(a => a.id)
    await expect.poll(async () => await rowIds(page), PAGE_WAIT).toEqual(byAgent)

    // Filtering on the server: part of an agent string, then part of a peer ID.
    await page.fill('#peer-filter', 'LIGHTHOUSE/v5')
    await expect.poll(async () => await rowIds(page), PAGE_WAIT).toEqual([lighthouse.peerId.toString()])
    expect(await text(page, '#page-info')).toBe('1–1 of 1 (filtered from 3)')
    await page.fill('#peer-filter', kubo.peerId.toString().slice(-12))
    await expect.poll(async () => await rowIds(page), PAGE_WAIT).toEqual([kubo.peerId.toString()])
    await page.fill('#peer-filter', '')
    await expect.poll(async () => (await rowIds(page)).length, PAGE_WAIT).toBe(3)

    // The detail view of the peer that is about to leave.
    const kuboId = kubo.peerId.toString()
    await page.click(`#peers tbody tr[data-peer-id="${kuboId}"]`)
    await page.locator('#peer-detail').waitFor({ state: 'visible', timeout: PAGE_WAIT.timeout })
    expect(await page.locator('#peer-detail').getAttribute('data-peer-id')).toBe(kuboId)
    expect(await page.locator('#peer-detail').getAttribute('data-connected')).toBe('true')
    expect(await text(page, '#detail-facts')).toContain('kubo/0.29.0/3f0947b')
    expect(await text(page, '#detail-history tbody tr:first-child td:nth-child(2)')).toBe('open')
    writeFileSync(join(screenshotDir(), 'peer-view-detail.png'), await page.screenshot({ fullPage: true }))

    // It leaves: gone from the table, the count follows /metrics, the detail shows the closed session and its reason.
    await kubo.stop()
    await expect.poll(async () => await rowIds(page), PAGE_WAIT).not.toContain(kuboId)
    await expect.poll(async () => await text(page, '#connected-now'), PAGE_WAIT).toBe('2')
    expect(await connectedPeersMetric(run.url)).toBe(2)
    await expect.poll(async () => await page.locator('#peer-detail').getAttribute('data-connected'), PAGE_WAIT).toBe('false')
    expect(await text(page, '#detail-history tbody tr:first-child td:nth-child(2)')).not.toBe('open')
    await expect.poll(async () => (CLOSE_REASONS as readonly string[]).includes(await text(page, '#detail-history tbody tr:first-child td:nth-child(5)')), PAGE_WAIT).toBe(true)
    await page.click('#detail-close')
    await page.locator('#peer-detail').waitFor({ state: 'hidden', timeout: PAGE_WAIT.timeout })
    await nextRefresh(page)

    expect(problems).toEqual([])
    // The watch itself works: an inline style added now is refused by the page's policy and reported.
    await page.evaluate('document.head.append(Object.assign(document.createElement("style"), { textContent: "body { color: red }" }))')
    await waitFor('the CSP violation to be reported', () => problems.some(p => p.startsWith('CSP violation: style-src')))
  }, 180_000)

  it('demo: the printed page URL shows the swarm\'s peers coming and going', async () => {
    const run = runCli(['demo', '--web.listen-address', '127.0.0.1:0', '--peers', SCREENSHOTS ? '30' : '10', ...(SCREENSHOTS ? [] : ['--time-scale', '0.1'])])
    cleanups.push(run.kill)
    await waitFor('the demo to print the page URL', () => /peer view\s+http:\/\/\S+\//.test(run.stdout()), 60_000)
    const url = (/peer view\s+(http:\/\/\S+\/)/.exec(run.stdout()) as RegExpExecArray)[1] as string

    const { page, problems } = await openWatchedPage(browser, { viewport: { width: 1280, height: 900 } })
    await page.goto(SCREENSHOTS ? url : `${url}?refresh=1`)
    const closedOnPage = async (): Promise<number> => Number((await text(page, '#sessions-total')).split('/')[1]?.replaceAll(',', '') ?? 'NaN')
    // Coming: rows in the table; going: sessions closed, counted on the page.
    await expect.poll(async () => (await rowIds(page)).length, PAGE_WAIT).toBeGreaterThan(0)
    const churnWait = { ...PAGE_WAIT, timeout: SCREENSHOTS ? 180_000 : 60_000 }
    await expect.poll(closedOnPage, churnWait).toBeGreaterThan(0)
    const before = new Set(await rowIds(page))
    await expect.poll(async () => {
      const now = new Set(await rowIds(page))
      return [...before].some(id => !now.has(id)) && [...now].some(id => !before.has(id))
    }, churnWait).toBe(true)
    if (SCREENSHOTS) {
      // A picture worth keeping: an hour's chart has a few minutes in it, the churn chart whole minutes.
      await expect.poll(async () => await page.locator('#churn-hint').isHidden(), { interval: 1000, timeout: 200_000 }).toBe(true)
      await expect.poll(async () => await refreshes(page), { interval: 1000, timeout: 300_000 }).toBeGreaterThan(40) // 5 s apart: over 3 minutes
    }
    await nextRefresh(page)
    const file = join(screenshotDir(true), 'peer-view.png')
    writeFileSync(file, await page.screenshot({ fullPage: true }))
    expect(statSync(file).size).toBeGreaterThan(20_000)
    run.process.kill('SIGINT')
    expect((await run.exited).code).toBe(0)
    expect(problems).toEqual([])
  }, SCREENSHOTS ? 700_000 : 120_000)

  it('works behind TLS and basic auth (assets included); --web.disable-peer-api hides the table and says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peer-view-tls-'))
    const pki = makePki(dir)
    pki.issue('server', 'serverAuth')
    const file = join(dir, 'web.yml')
    writeFileSync(file, ['tls_server_config:', '  cert_file: server.crt', '  key_file: server.key', 'basic_auth_users:', `  viewer: ${bcryptHash('look')}`].join('\n'))
    const run = await startCliTracker(['--p2p.bootstrap=', `--web.config.file=${file}`, '--web.disable-peer-api'])
    cleanups.push(run.kill)
    const https = run.url.replace('http://', 'https://')
    const auth = { user: 'viewer', password: 'look' }
    const peer = await createTestPeer({ listen: false })
    cleanups.push(async () => { await peer.stop() })
    await peer.dial(multiaddr(run.listenAddrs[0] as string))

    // Everything the page needs is behind the same access control.
    for (const path of ['/', '/peer-view/peer-view.js', '/peer-view/peer-view.css', '/peer-view/uPlot.iife.min.js', '/peer-view/uPlot.min.css', '/api/v1/overview', '/api/v1/history']) {
      expect((await httpsGet(`${https}${path}`, { ca: pki.ca })).status, path).toBe(401)
      expect((await httpsGet(`${https}${path}`, { ca: pki.ca, auth })).status, path).toBe(200)
    }
    expect((await httpsGet(`${https}/api/v1/peer-table`, { ca: pki.ca, auth })).status).toBe(404)
    const metricsCount = async (): Promise<number | undefined> => valueOf(parseExposition((await httpsGet(`${https}/metrics`, { ca: pki.ca, auth })).body), 'libp2p_tracker_connected_peers')
    await waitFor('the tracker to count the peer', async () => await metricsCount() === 1)

    const { page, problems, requested } = await openWatchedPage(browser, { ignoreHTTPSErrors: true, httpCredentials: { username: 'viewer', password: 'look', send: 'always' } })
    await page.goto(`${https}/?refresh=1`)
    await nextRefresh(page)
    await expect.poll(async () => await text(page, '#connected-now'), PAGE_WAIT).toBe('1')
    expect(await metricsCount()).toBe(1)
    expect(await text(page, '#peers-off')).toContain('--web.disable-peer-api')
    expect(await page.locator('#peers').count()).toBe(0)
    expect(await page.locator('nav a[href="/api/v1/peers"]').count()).toBe(0)
    await nextRefresh(page)
    expect(requested.filter(p => p.startsWith('/api/v1/peer'))).toEqual([])
    expect(requested).toContain('/peer-view/uPlot.iife.min.js')
    writeFileSync(join(screenshotDir(), 'peer-view-no-peer-api.png'), await page.screenshot({ fullPage: true }))
    expect(problems).toEqual([])
  }, 120_000)
})
