/**
 * The peer view's JSON over the pure tracker (overview, peer table: filter, every sort, paging,
 * query errors) and its routes on a real socket (page and CSP, assets with gzip, history,
 * 404 for the table under --web.disable-peer-api, the landing page without the view).
 */
import { PassThrough } from 'node:stream'
import { gunzipSync } from 'node:zlib'
import { request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { PeerCountHistory } from '../../src/http/peer-view/peer-count-history.js'
import { PEER_VIEW_CSP } from '../../src/http/peer-view/page.js'
import { peerViewRouter } from '../../src/http/peer-view/routes.js'
import { MAX_TABLE_LIMIT, TABLE_SORTS, overviewView, parsePeerTableQuery, peerTableView } from '../../src/http/peer-view/views.js'
import { boundAddress, createHttpApp, listen } from '../../src/http/server.js'
import { PeerInsight } from '../../src/insight/peer-insight.js'
import { createLogger } from '../../src/log.js'
import { PeerAccount } from '../../src/tracker/peer-account.js'
import type { PeerTableQuery, PeerViewAccount } from '../../src/http/peer-view/views.js'
import type { HttpSources, Server } from '../../src/http/server.js'

const T0 = 1_700_000_000_000

interface TestPeer { id: string, agent?: string, direction?: 'inbound' | 'outbound', muxer?: 'yamux' | 'mplex', rtt?: number, ip?: string }

/** A tracker with these peers connected one second apart (the first is the oldest), identified where an agent is given. */
function account (peers: TestPeer[], monitor = new Map<string, number>()): PeerViewAccount & { clock: { t: number } } {
  const clock = { t: T0 }
  const insight = new PeerInsight()
  const tracker = new PeerAccount({ now: () => clock.t }, [], insight)
  for (const p of peers) {
    tracker.connectionOpened({ id: `c-${p.id}`, peerId: p.id, direction: p.direction ?? 'inbound', remoteAddr: `/ip4/${p.ip ?? '10.0.0.1'}/tcp/4001`, transport: 'tcp', encryption: 'noise', muxer: p.muxer ?? 'yamux' })
    if (p.agent !== undefined) tracker.peerIdentified(p.id, p.agent, ['/ipfs/id/1.0.0'])
    if (p.rtt !== undefined) insight.rttSampled(tracker.session(p.id)!, p.rtt)
    clock.t += 1000
  }
  return { tracker, insight, monitorRtts: () => (id) => monitor.get(id), clock }
}

function query (q: Record<string, string> = {}): PeerTableQuery {
  const parsed = parsePeerTableQuery(q)
  if ('error' in parsed) throw new Error(parsed.error)
  return parsed.query
}

const PEERS: TestPeer[] = [
  { id: 'peerC', agent: 'kubo/0.29.0/abc', direction: 'outbound', rtt: 30, ip: '192.0.2.7' },
  { id: 'peerA', agent: 'lighthouse/v5.3.0/x86_64-linux', muxer: 'mplex' },
  { id: 'peerD' },
  { id: 'peerB', agent: 'go-libp2p/0.36.1', rtt: 5 }
]

describe('peer table', () => {
  it('sorts by every column in both orders, unknown values last, ties longest-connected first', () => {
    const a = account(PEERS, new Map([['peerA', 12]])) // a monitor RTT where no sample is taken
    const ids = (q: Record<string, string>): string[] => peerTableView(a, query(q)).rows.map(r => r.peerId)
    expect(ids({})).toEqual(['peerC', 'peerA', 'peerD', 'peerB']) // age, longest first
    expect(ids({ sort: 'age', order: 'asc' })).toEqual(['peerB', 'peerD', 'peerA', 'peerC'])
    expect(ids({ sort: 'peerId' })).toEqual(['peerA', 'peerB', 'peerC', 'peerD'])
    expect(ids({ sort: 'peerId', order: 'desc' })).toEqual(['peerD', 'peerC', 'peerB', 'peerA'])
    expect(ids({ sort: 'agent' })).toEqual(['peerB', 'peerC', 'peerA', 'peerD'])
    expect(ids({ sort: 'agent', order: 'desc' })).toEqual(['peerA', 'peerC', 'peerB', 'peerD'])
    expect(ids({ sort: 'rtt' })).toEqual(['peerB', 'peerA', 'peerC', 'peerD'])
    expect(ids({ sort: 'rtt', order: 'desc' })).toEqual(['peerC', 'peerA', 'peerB', 'peerD'])
    expect(ids({ sort: 'direction' })).toEqual(['peerA', 'peerD', 'peerB', 'peerC'])
    expect(ids({ sort: 'transport' })).toEqual(['peerA', 'peerC', 'peerD', 'peerB'])
    expect(ids({ sort: 'sessions' })).toEqual(['peerC', 'peerA', 'peerD', 'peerB'])
    expect(ids({ sort: 'flapping' })).toEqual(['peerC', 'peerA', 'peerD', 'peerB'])
    const row = peerTableView(a, query({ sort: 'peerId', limit: '1' })).rows[0]
    expect(row).toEqual({
      peerId: 'peerA', agentVersion: 'lighthouse/v5.3.0/x86_64-linux', agentFamily: 'lighthouse', direction: 'inbound', transports: ['tcp/noise/mplex'],
      connections: 1, remoteAddr: '/ip4/10.0.0.1/tcp/4001', ageSeconds: 3, rttMs: 12, sessions: 1, flapping: false
    })
  })

  it('sorts sessions and flapping by the peer\'s history', () => {
    const a = account([{ id: 'steady' }, { id: 'flapper' }])
    for (let i = 0; i < 4; i++) { // flapper reconnects: 5 sessions in a few seconds (flapping at 4 in 10 min)
      a.tracker.connectionClosed('c-flapper')
      a.clock.t += 1000
      a.tracker.connectionOpened({ id: 'c-flapper', peerId: 'flapper', direction: 'inbound', remoteAddr: '/ip4/10.0.0.2/tcp/1', transport: 'tcp', encryption: 'noise', muxer: 'yamux' })
    }
    const rows = peerTableView(a, query({ sort: 'sessions' })).rows
    expect(rows.map(r => [r.peerId, r.sessions, r.flapping])).toEqual([['flapper', 5, true], ['steady', 1, false]])
    expect(peerTableView(a, query({ sort: 'flapping', order: 'asc' })).rows.map(r => r.peerId)).toEqual(['steady', 'flapper'])
  })

  it('filters on the server, case-insensitive: peer ID, agent, family, direction, address, transport', () => {
    const a = account(PEERS)
    const ids = (filter: string): string[] => peerTableView(a, query({ filter, sort: 'peerId' })).rows.map(r => r.peerId)
    expect(ids('PEERB')).toEqual(['peerB'])
    expect(ids('Kubo/0.29')).toEqual(['peerC'])
    expect(ids('lighthouse')).toEqual(['peerA'])
    expect(ids('outbound')).toEqual(['peerC'])
    expect(ids('192.0.2.')).toEqual(['peerC'])
    expect(ids('/mplex')).toEqual(['peerA'])
    expect(ids('nothing-matches')).toEqual([])
    const view = peerTableView(a, query({ filter: ' inbound ' }))
    expect([view.total, view.connectedPeers, view.filter]).toEqual([3, 4, 'inbound'])
  })

  it('shows each transport of a peer over several (TCP and QUIC, WebSockets and WebRTC-direct), and filters on any', () => {
    const a = account([{ id: 'peerQ' }, { id: 'peerW' }])
    a.tracker.connectionOpened({ id: 'c-peerQ-quic', peerId: 'peerQ', direction: 'inbound', remoteAddr: '/ip4/10.0.0.1/udp/4001/quic-v1', transport: 'quic', encryption: 'tls', muxer: 'quic' })
    a.tracker.connectionOpened({ id: 'c-peerW-ws', peerId: 'peerW', direction: 'outbound', remoteAddr: '/ip4/10.0.0.2/tcp/4002/ws', transport: 'ws', encryption: 'noise', muxer: 'yamux' })
    a.tracker.connectionOpened({ id: 'c-peerW-webrtc', peerId: 'peerW', direction: 'outbound', remoteAddr: '/ip4/10.0.0.2/udp/4003/webrtc-direct', transport: 'webrtc', encryption: 'dtls', muxer: 'webrtc' })
    const rows = peerTableView(a, query({ sort: 'peerId' })).rows
    expect(rows.map(r => [r.peerId, r.transports])).toEqual([
      ['peerQ', ['tcp/noise/yamux', 'quic/tls/quic']],
      ['peerW', ['tcp/noise/yamux', 'ws/noise/yamux', 'webrtc/dtls/webrtc']]
    ])
    expect(peerTableView(a, query({ filter: 'quic/' })).rows.map(r => r.peerId)).toEqual(['peerQ'])
    expect(peerTableView(a, query({ filter: 'webrtc' })).rows.map(r => r.peerId)).toEqual(['peerW'])
  })

  it('pages: limit and offset over the sorted peers, total counts every match', () => {
    const many = account(Array.from({ length: 120 }, (_, i) => ({ id: `peer${String(i).padStart(3, '0')}` })))
    const page = (offset: number): ReturnType<typeof peerTableView> => peerTableView(many, query({ sort: 'peerId', limit: '50', offset: String(offset) }))
    expect(page(0).rows.map(r => r.peerId).slice(0, 2)).toEqual(['peer000', 'peer001'])
    expect(page(100).rows.map(r => r.peerId)).toEqual(Array.from({ length: 20 }, (_, i) => `peer${100 + i}`))
    expect(page(100).total).toBe(120)
    expect(page(500).rows).toEqual([])
    expect(peerTableView(many, query()).rows).toHaveLength(50) // the default page size
  })

  it.each([
    [{ sort: 'ip' }, `sort: must be one of ${TABLE_SORTS.join(', ')}`],
    [{ order: 'up' }, 'order: must be asc or desc'],
    [{ limit: '0' }, `limit: must be a whole number from 1 to ${MAX_TABLE_LIMIT}`],
    [{ limit: String(MAX_TABLE_LIMIT + 1) }, `limit: must be a whole number from 1 to ${MAX_TABLE_LIMIT}`],
    [{ limit: '5000' }, `limit: must be a whole number from 1 to ${MAX_TABLE_LIMIT}`],
    [{ offset: '-1' }, 'offset: must be a whole number from 0'],
    [{ filter: 'x'.repeat(129) }, 'filter: at most 128 characters'],
    [{ sort: ['age', 'rtt'] }, 'sort: give it once, as a plain value']
  ] as Array<[Record<string, unknown>, string]>)('refuses %j: %s', (q, error) => {
    expect(parsePeerTableQuery(q)).toEqual({ error })
  })
})

describe('overview', () => {
  it('counts now, the agent-family mix (most first) and dial failures by reason', () => {
    const a = account(PEERS)
    a.tracker.connectionOpened({ id: 'c-peerA-2', peerId: 'peerA', direction: 'outbound', remoteAddr: '/ip4/10.0.0.1/tcp/4002', transport: 'tcp', encryption: 'noise', muxer: 'yamux' })
    a.tracker.connectionOpened({ id: 'c-kubo2', peerId: 'kubo2', direction: 'inbound', remoteAddr: '/ip4/10.0.0.9/tcp/1', transport: 'tcp', encryption: 'noise', muxer: 'yamux' })
    a.tracker.peerIdentified('kubo2', 'kubo/0.30.0/def', [])
    a.tracker.connectionClosed('c-peerD')
    a.insight.dialSucceeded()
    a.insight.dialFailed(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))
    a.insight.dialFailed(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2'), { code: 'ECONNREFUSED' }))
    a.insight.dialFailed(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))
    const o = overviewView(a, true, T0)
    expect(o).toMatchObject({
      time: new Date(T0).toISOString(),
      connectedPeers: 4,
      openConnections: 5,
      sessionsOpened: 5,
      sessionsClosed: 1,
      flappingPeers: 0,
      agentFamilies: [{ family: 'kubo', peers: 2 }, { family: 'go-libp2p', peers: 1 }, { family: 'lighthouse', peers: 1 }],
      dials: { success: 1, failure: 3 },
      peerApi: true
    })
    expect(o.dialErrors.slice(0, 2)).toEqual([{ reason: 'refused', count: 2 }, { reason: 'timeout', count: 1 }])
    expect(o.dialErrors).toHaveLength(11)
  })
})

// --- routes on a real socket ---------------------------------------------------------------------

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) { s.closeAllConnections(); await new Promise(resolve => s.close(resolve)) }
})

async function serve (peerApiEnabled: boolean, withView = true): Promise<string> {
  const a = account(PEERS)
  const history = new PeerCountHistory({ capacity: 10, intervalMs: 5000, clock: { now: () => a.clock.t } })
  history.record({ peers: 3, opened: 3, closed: 0 })
  a.clock.t += 5000
  history.record({ peers: 4, opened: 5, closed: 1 })
  const sources = {
    telemetryPath: '/metrics',
    isReady: () => true,
    log: createLogger({ level: 'fatal', format: 'json' }, new PassThrough()),
    landing: () => ({ name: 'tracker', version: '1.2.3', peerId: 'self', telemetryPath: '/metrics' }),
    status: () => { throw new Error('not used') },
    peers: () => [],
    peerApiEnabled,
    ...(withView ? { peerView: peerViewRouter({ account: a, history, peerApiEnabled, page: () => ({ name: 'tracker <x>', version: '1.2.3', peerId: 'self', telemetryPath: '/metrics' }) }) } : {})
  } as unknown as HttpSources
  const server = await listen(createHttpApp(sources), '127.0.0.1', 0)
  servers.push(server)
  return `http://127.0.0.1:${boundAddress(server).port}`
}

/** A GET that keeps the body as bytes (fetch would undo gzip). */
async function rawGet (url: string, headers: Record<string, string> = {}): Promise<{ status: number, headers: Record<string, string | string[] | undefined>, body: Buffer }> {
  return await new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }) })
    }).on('error', reject).end()
  })
}

describe('peer view routes', () => {
  it('serves the page with a strict CSP, its links, escaped text, and only same-origin assets', async () => {
    const url = await serve(true)
    const page = await fetch(`${url}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toBe(PEER_VIEW_CSP)
    expect(PEER_VIEW_CSP).toContain("default-src 'self'")
    expect(PEER_VIEW_CSP).not.toContain('unsafe')
    const html = await page.text()
    expect(html).toContain('<h1>tracker &#60;x&#62;</h1>')
    expect(html).not.toMatch(/<script>|<style|\sstyle=|\son[a-z]+=|https?:\/\//) // nothing inline, nothing remote
    for (const src of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(src[1]).toMatch(/^\//)
    expect(html).toContain('<table id="peers">')
    expect(html).toContain('href="/metrics"')
  })

  it('serves the assets with their types, gzip when asked, uPlot from its package', async () => {
    const url = await serve(true)
    for (const [path, type] of [['peer-view.js', 'text/javascript'], ['peer-view.css', 'text/css'], ['uPlot.iife.min.js', 'text/javascript'], ['uPlot.min.css', 'text/css'], ['icon.svg', 'image/svg+xml']]) {
      const plain = await rawGet(`${url}/peer-view/${path}?v=1.2.3`)
      expect(plain.status, path).toBe(200)
      expect(String(plain.headers['content-type'])).toContain(type)
      expect(plain.headers['content-encoding']).toBeUndefined()
      const gzipped = await rawGet(`${url}/peer-view/${path}`, { 'accept-encoding': 'gzip' })
      expect(gzipped.headers['content-encoding']).toBe('gzip')
      expect(gunzipSync(gzipped.body).equals(plain.body)).toBe(true)
    }
    expect((await rawGet(`${url}/peer-view/uPlot.iife.min.js`)).body.toString()).toContain('uPlot')
    expect((await fetch(`${url}/peer-view/other.js`)).status).toBe(404)
    expect((await fetch(`${url}/peer-view/`)).status).toBe(404)
  })

  it('answers overview, history (all or since) and the table; 400 with one line for bad parameters', async () => {
    const url = await serve(true)
    expect(await (await fetch(`${url}/api/v1/overview`)).json()).toMatchObject({ connectedPeers: 4, peerApi: true })
    const history = await (await fetch(`${url}/api/v1/history`)).json() as { intervalSeconds: number, capacity: number, series: { t: number[], peers: number[] } }
    expect(history).toMatchObject({ intervalSeconds: 5, capacity: 10, series: { peers: [3, 4], opened: [3, 5], closed: [0, 1] } })
    const since = await (await fetch(`${url}/api/v1/history?since=${history.series.t[0] as number}`)).json() as { series: { peers: number[] } }
    expect(since.series.peers).toEqual([4])
    const bad = await fetch(`${url}/api/v1/history?since=yesterday`)
    expect(bad.status).toBe(400)
    const table = await (await fetch(`${url}/api/v1/peer-table?sort=peerId&limit=2&offset=1`)).json() as { total: number, rows: Array<{ peerId: string }> }
    expect([table.total, table.rows.map(r => r.peerId)]).toEqual([4, ['peerB', 'peerC']])
    const badTable = await fetch(`${url}/api/v1/peer-table?limit=100000`)
    expect(badTable.status).toBe(400)
    expect(await badTable.json()).toEqual({ error: `limit: must be a whole number from 1 to ${MAX_TABLE_LIMIT}` })
  })

  it('under --web.disable-peer-api: the table JSON is 404 and the page says why instead of a table', async () => {
    const url = await serve(false)
    expect((await fetch(`${url}/api/v1/peer-table`)).status).toBe(404)
    expect((await fetch(`${url}/api/v1/peers`)).status).toBe(404)
    expect((await fetch(`${url}/api/v1/overview`)).status).toBe(200)
    const html = await (await fetch(`${url}/`)).text()
    expect(html).not.toContain('<table id="peers">')
    expect(html).toContain('id="peers-off"')
    expect(html).toContain('--web.disable-peer-api')
    expect(html).toContain('data-peer-api="off"')
  })

  it('without the view, / is the plain landing page and the view\'s paths are 404', async () => {
    const url = await serve(true, false)
    const page = await fetch(`${url}/`)
    expect(page.headers.get('content-security-policy')).toBeNull()
    expect(await page.text()).toContain('href="/metrics"')
    expect((await fetch(`${url}/api/v1/overview`)).status).toBe(404)
  })
})
