/**
 * The HTTP face of the tracker: landing page, metrics with content negotiation, health and
 * readiness as Prometheus has them, and the JSON API. Routing is exact: paths are
 * case-sensitive and a trailing slash is a different path, so anything else is 404.
 */
import { STATUS_CODES, createServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import express from 'express'
import { ConfigError } from '../config/config-error.js'
import { negotiateFormat } from '../metrics/scrape.js'
import { landingPage } from './landing.js'
import { parsePeersQuery } from './api.js'
import type { StatusView, PeerView, PeerDetailView, PeersQuery } from '../insight/peer-views.js'
import type { LandingInfo } from './landing.js'
import type { Logger } from '../log.js'
import type { MetricsScraper } from '../metrics/scrape.js'
import type { Server as PlainServer } from 'node:http'
import type { Server as HttpsServer, ServerOptions as HttpsServerOptions } from 'node:https'
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
  /** Connected peers; ?sort= and ?limit= are validated before this is called. */
  peers: (query: PeersQuery) => PeerView[]
  /** One peer, connected or remembered, with its last sessions; undefined: 404. */
  peer?: (peerId: string) => PeerDetailView | undefined
  log: Logger
  /** Run before every route, in order (request limit, headers, authentication). */
  middleware?: express.RequestHandler[]
  /** false: /api/v1/peers and everything under it answer 404 (--web.disable-peer-api). */
  peerApiEnabled?: boolean
  /** Told of each request that failed inside the tracker (answered 500). */
  onInternalError?: () => void
  /** The peer view (src/http/peer-view/routes.ts): `/`, its assets and JSON. Without it `/` is the plain landing page. */
  peerView?: express.Router
}

/** Plain HTTP, or HTTPS when the web config file has tls_server_config. */
export type Server = PlainServer | HttpsServer

export interface ListenOptions {
  /** Serve HTTPS with these options. */
  tls?: HttpsServerOptions
  /** Server timeouts in ms (defaults below); shorter ones for tests. */
  timeouts?: Partial<ServerTimeouts>
}

export interface ServerTimeouts {
  /** Time a TLS client has to finish the handshake (HTTPS only). */
  handshakeTimeout: number
  /** Time a client has to send a request's headers, from its first byte (slowloris). */
  headersTimeout: number
  /** Time a client has to send a whole request (no route takes a body, so it matters little). */
  requestTimeout: number
  /** Idle time before a keep-alive connection is closed. */
  keepAliveTimeout: number
  /** Inactivity on a socket (a client that stops reading a response) before it is closed. */
  socketTimeout: number
}

/**
 * headersTimeout <= requestTimeout, or the request timeout fires first; both are checked every
 * CHECK_INTERVAL_MS (a client is cut off within that much after its deadline). keepAliveTimeout
 * above 60 s keeps a connection of a scraper that scrapes once a minute.
 */
export const DEFAULT_TIMEOUTS: Readonly<ServerTimeouts> = {
  handshakeTimeout: 10_000,
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 65_000,
  socketTimeout: 120_000
}

/** How often node looks for requests past headersTimeout/requestTimeout, at most (its own default is 30 s). */
const CHECK_INTERVAL_MS = 1000

/** A client error (4xx) that express, its body parsing or URI decoding reported; undefined for anything else. */
function clientErrorStatus (err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const e = err as { status?: unknown, statusCode?: unknown }
  const status = e.status ?? e.statusCode
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 499 ? status : undefined
}

export function createHttpApp (sources: HttpSources): express.Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  // Before any route: the app's router is made with these on first use.
  app.set('case sensitive routing', true)
  app.set('strict routing', true)
  for (const handler of sources.middleware ?? []) app.use(handler)
  if (sources.peerApiEnabled === false) {
    app.use('/api/v1/peers', (_req, res) => { res.status(404).type('text').send('Not found.\n') })
  }

  if (sources.peerView !== undefined) app.use(sources.peerView)
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
    else res.status(503).type('text').send('Not ready: the source has not started (the libp2p node is not listening, or the watched node has not answered yet).\n')
  })

  app.get('/api/v1/status', (_req, res) => {
    res.json(sources.status())
  })

  app.get('/api/v1/peers', (req, res) => {
    const parsed = parsePeersQuery(req.query as Record<string, unknown>)
    if ('error' in parsed) {
      res.status(400).json({ error: parsed.error })
      return
    }
    res.json(sources.peers(parsed.query))
  })

  app.get('/api/v1/peers/:peerId', (req, res) => {
    const peerId = req.params.peerId
    const view = /^[A-Za-z0-9]{20,128}$/.test(peerId) ? sources.peer?.(peerId) : undefined
    if (view === undefined) {
      res.status(404).json({ error: `peer ${peerId.slice(0, 128)} is not connected and not remembered` })
      return
    }
    res.json(view)
  })

  app.use((_req, res) => {
    res.status(404).type('text').send('Not found.\n')
  })

  // Express 5 routes rejected promises here. A client's mistake (a malformed URI, a bad
  // body) is answered with its 4xx and is not the tracker's error; anything else is a 500,
  // logged and counted. Never leak internals to the client.
  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const clientStatus = clientErrorStatus(err)
    if (clientStatus !== undefined) {
      sources.log.debug({ status: clientStatus, method: req.method, err: (err as Error).message }, 'client error in an HTTP request')
      if (!res.headersSent) res.status(clientStatus).type('text').send(`${STATUS_CODES[clientStatus] ?? 'Bad request'}.\n`)
      else res.destroy()
      return
    }
    try {
      sources.onInternalError?.()
    } catch {
      // counting the error must not keep the request from its answer
    }
    sources.log.error({ err }, 'error while serving an HTTP request')
    if (!res.headersSent) res.status(500).type('text').send('Internal server error.\n')
    else res.destroy()
  })

  return app
}

/** Listens, or fails with a ConfigError naming --web.listen-address (port in use, bad host). */
export async function listen (app: express.Express, host: string | undefined, port: number, options: ListenOptions = {}): Promise<Server> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts }
  const checking = { connectionsCheckingInterval: Math.max(50, Math.min(CHECK_INTERVAL_MS, Math.floor(Math.min(timeouts.headersTimeout, timeouts.requestTimeout) / 4))) }
  const server: Server = options.tls === undefined
    ? createServer(checking, app)
    : createHttpsServer({ ...checking, handshakeTimeout: timeouts.handshakeTimeout, ...options.tls }, app)
  server.keepAliveTimeout = timeouts.keepAliveTimeout
  server.headersTimeout = timeouts.headersTimeout
  server.requestTimeout = timeouts.requestTimeout
  server.setTimeout(timeouts.socketTimeout)
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
