/**
 * The HTTP face of the tracker: landing page, metrics with content negotiation, health and
 * readiness as Prometheus has them, and the JSON API. Anything else is 404.
 */
import { createServer } from 'node:http'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import express from 'express'
import { ConfigError } from '../config.js'
import { negotiateFormat } from '../metrics/scrape.js'
import { landingPage } from './landing.js'
import type { StatusView, PeerView } from './api.js'
import type { LandingInfo } from './landing.js'
import type { Logger } from '../log.js'
import type { MetricsScraper } from '../metrics/scrape.js'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

const gzipAsync = promisify(gzip)
/** Below this size gzip costs more time than it saves bytes. */
const GZIP_MIN_BYTES = 1024

export interface HttpSources {
  telemetryPath: string
  scraper: MetricsScraper
  landing: () => LandingInfo
  isReady: () => boolean
  status: () => StatusView
  peers: () => PeerView[]
  log: Logger
}

export function createHttpApp (sources: HttpSources): express.Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)

  app.get('/', (_req, res) => {
    res.type('html').send(landingPage(sources.landing()))
  })

  app.get(sources.telemetryPath, async (req, res) => {
    const exposition = await sources.scraper.scrape(negotiateFormat(req.get('accept')))
    res.set('Content-Type', exposition.contentType)
    res.set('Cache-Control', 'no-store')
    if (exposition.body.length >= GZIP_MIN_BYTES && req.acceptsEncodings('gzip', 'identity') === 'gzip') {
      res.set('Content-Encoding', 'gzip')
      res.set('Vary', 'Accept-Encoding')
      res.send(await gzipAsync(exposition.body))
    } else {
      res.send(exposition.body)
    }
  })

  app.get('/-/healthy', (_req, res) => {
    res.type('text').send('Healthy.\n')
  })

  app.get('/-/ready', (_req, res) => {
    if (sources.isReady()) res.type('text').send('Ready.\n')
    else res.status(503).type('text').send('Not ready: the libp2p node is not listening yet.\n')
  })

  app.get('/api/v1/status', (_req, res) => {
    res.json(sources.status())
  })

  app.get('/api/v1/peers', (_req, res) => {
    res.json(sources.peers())
  })

  app.use((_req, res) => {
    res.status(404).type('text').send('Not found.\n')
  })

  // Express 5 routes rejected promises here. Never leak internals to the client.
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    sources.log.error({ err }, 'error while serving an HTTP request')
    if (!res.headersSent) res.status(500).type('text').send('Internal server error.\n')
  })

  return app
}

/** Listens, or fails with a ConfigError naming --web.listen-address (port in use, bad host). */
export async function listen (app: express.Express, host: string | undefined, port: number): Promise<Server> {
  const server = createServer(app)
  server.keepAliveTimeout = 65_000
  server.headersTimeout = 66_000
  server.requestTimeout = 30_000
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const where = `${host === undefined ? '' : host.includes(':') ? `[${host}]` : host}:${port}`
      const reason = err.code === 'EADDRINUSE'
        ? 'is already in use'
        : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND'
          ? 'is not an address of this machine'
          : err.code === 'EACCES' ? 'needs privileges this process lacks' : `cannot be listened on (${err.code ?? err.message})`
      reject(new ConfigError(`--web.listen-address: ${where} ${reason}`))
    }
    server.once('error', onError)
    server.listen({ host, port }, () => {
      server.off('error', onError)
      resolve()
    })
  })
  return server
}

export function boundAddress (server: Server): { host: string, port: number } {
  const address = server.address() as AddressInfo
  return { host: address.address, port: address.port }
}
