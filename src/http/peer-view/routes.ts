/**
 * The peer view's routes: the page at `/` (with its Content-Security-Policy), its assets under
 * /peer-view/ (the page's script and style from ./assets, uPlot from its npm package), and the
 * JSON it polls: /api/v1/overview, /api/v1/history and /api/v1/peer-table. Mounted by
 * createHttpApp after the access middleware, so basic auth, TLS and the request limit cover
 * every one of them. Under --web.disable-peer-api the table's JSON answers 404 like the peer API.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { gzipSync } from 'node:zlib'
import express from 'express'
import { ASSET_PREFIX, PEER_VIEW_CSP, peerViewPage } from './page.js'
import { overviewView, parsePeerTableQuery, peerTableView } from './views.js'
import type { PeerCountHistory } from './peer-count-history.js'
import type { PeerViewPageInfo } from './page.js'
import type { PeerViewAccount } from './views.js'

export interface PeerViewSources {
  account: PeerViewAccount
  history: PeerCountHistory
  /** The page's facts; peerApi comes from peerApiEnabled. */
  page: () => Omit<PeerViewPageInfo, 'peerApi'>
  peerApiEnabled: boolean
  /** Wall-clock ms for the overview's time (default Date.now). */
  now?: () => number
}

interface Asset {
  type: string
  body: Buffer
  gzipped: Buffer
}

const require = createRequire(import.meta.url)

function asset (type: string, body: Buffer): Asset {
  return { type, body, gzipped: gzipSync(body) }
}

/** The files served under /peer-view/, read once (a missing one is a packaging bug: it fails at start). */
export function loadPeerViewAssets (): Map<string, Asset> {
  const own = (file: string): Buffer => readFileSync(new URL(`./assets/${file}`, import.meta.url))
  const uplot = (file: string): Buffer => readFileSync(require.resolve(`uplot/dist/${file}`))
  return new Map([
    ['peer-view.js', asset('text/javascript; charset=utf-8', own('peer-view.js'))],
    ['peer-view.css', asset('text/css; charset=utf-8', own('peer-view.css'))],
    ['icon.svg', asset('image/svg+xml', own('icon.svg'))],
    ['uPlot.iife.min.js', asset('text/javascript; charset=utf-8', uplot('uPlot.iife.min.js'))],
    ['uPlot.min.css', asset('text/css; charset=utf-8', uplot('uPlot.min.css'))]
  ])
}

export function peerViewRouter (sources: PeerViewSources): express.Router {
  const router = express.Router({ caseSensitive: true, strict: true })
  const assets = loadPeerViewAssets()
  const now = sources.now ?? Date.now

  router.get('/', (_req, res) => {
    // A Content-Security-Policy from --web.config.file's headers, already set, is the operator's choice and stays.
    if (!res.hasHeader('Content-Security-Policy')) res.set('Content-Security-Policy', PEER_VIEW_CSP)
    res.set('X-Content-Type-Options', 'nosniff')
    res.set('Referrer-Policy', 'no-referrer')
    res.set('Cache-Control', 'no-store')
    res.type('html').send(peerViewPage({ ...sources.page(), peerApi: sources.peerApiEnabled }))
  })

  for (const [file, a] of assets) {
    router.get(`${ASSET_PREFIX}${file}`, (req, res) => {
      res.set('Content-Type', a.type)
      res.set('X-Content-Type-Options', 'nosniff')
      // Behind basic auth: private. The page asks with ?v=<version>, so an upgrade is fetched anew.
      res.set('Cache-Control', 'private, max-age=3600')
      res.set('Vary', 'Accept-Encoding')
      if (req.acceptsEncodings('gzip', 'identity') === 'gzip') {
        res.set('Content-Encoding', 'gzip')
        res.send(a.gzipped)
      } else {
        res.send(a.body)
      }
    })
  }

  router.get('/api/v1/overview', (_req, res) => {
    res.set('Cache-Control', 'no-store')
    res.json(overviewView(sources.account, sources.peerApiEnabled, now()))
  })

  router.get('/api/v1/history', (req, res) => {
    const since = req.query.since
    let sinceMs: number | undefined
    if (since !== undefined) {
      if (typeof since !== 'string' || !/^\d{1,12}(\.\d{1,3})?$/.test(since)) {
        res.status(400).json({ error: 'since: must be a time in seconds since the epoch, as the t values of this endpoint' })
        return
      }
      sinceMs = Number(since) * 1000
    }
    res.set('Cache-Control', 'no-store')
    res.json({
      intervalSeconds: sources.history.intervalMs / 1000,
      capacity: sources.history.capacity,
      series: sources.history.series(sinceMs),
      perMinute: sources.history.perMinute()
    })
  })

  router.get('/api/v1/peer-table', (req, res) => {
    if (!sources.peerApiEnabled) {
      res.status(404).type('text').send('Not found.\n')
      return
    }
    const parsed = parsePeerTableQuery(req.query as Record<string, unknown>)
    if ('error' in parsed) {
      res.status(400).json({ error: parsed.error })
      return
    }
    res.set('Cache-Control', 'no-store')
    res.json(peerTableView(sources.account, parsed.query))
  })

  return router
}
