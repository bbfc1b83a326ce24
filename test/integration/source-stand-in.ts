/**
 * Stand-ins for a watched node's API on 127.0.0.1 (real node:http servers), answering in the
 * shapes of the real ones, and misbehaving on demand (down, slow, HTML, wrong JSON, 500, a
 * body over the cap, an absurd list). Used by test/integration/source-*.test.ts and
 * test/unit/source-*.test.ts.
 *
 * Beacon API shapes: ethereum/beacon-APIs apis/node/{peers,identity,version}.yaml; Lodestar's
 * /eth/v1/lodestar/peers adds agent_version to the standard peer objects.
 *
 * Kubo shapes: kubo core/commands/swarm.go as read (public-repository index) in the copy at
 * marssuren/kubo@759499066ce9776967f93ffb72a947e6ed871f9d (a fork of ipfs/kubo with the
 * `identify` option): `connInfo` has Addr, Peer, Latency, Muxer, Direction, Streams and
 * Identify, all `json:",omitempty"`; Muxer is never set; Direction is go-libp2p's
 * network.Direction (0 unknown, omitted; 1 inbound; 2 outbound); Latency is "n/a" or
 * time.Duration.String(); Identify is an IdOutput struct, so omitempty does not drop it and it
 * is all zero values without verbose/identify; `Peers` is null with no connections (a nil Go
 * slice). Kubo itself was not run here (docs/limits.md).
 */
import { createServer } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Misbehaviour = 'none' | 'slow' | 'html' | 'wrong_shape' | 'error_500' | 'huge_body' | 'absurd_list' | 'hang_up'

export interface BeaconPeer {
  peer_id: string
  last_seen_p2p_address: string
  direction: 'inbound' | 'outbound'
  agent_version?: string
  agent?: string
}

export interface KuboConn {
  Addr: string
  Peer: string
  Latency?: string
  Direction?: number
  Streams?: Array<{ Protocol: string }>
  AgentVersion?: string
  Protocols?: string[]
}

type Handler = (req: IncomingMessage, url: URL) => unknown

export class StandIn {
  misbehaviour: Misbehaviour = 'none'
  /** Requests seen, as "METHOD /path?query". */
  readonly requests: string[] = []
  /** The Authorization headers seen. */
  readonly authorizations: Array<string | undefined> = []
  /** Huge bodies ('huge_body') written to the end: a client that stops at its cap leaves it at 0. */
  hugeBodiesCompleted = 0
  private server: Server | undefined
  private readonly handlers: Record<string, Handler>

  constructor (handlers: Record<string, Handler>) {
    this.handlers = handlers
  }

  private tls: { cert: Buffer, key: Buffer } | undefined

  get url (): string {
    const port = (this.server?.address() as AddressInfo).port
    return `${this.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`
  }

  /** Listens (on `port`, or one the OS picks); with `tls`, HTTPS with that certificate. */
  async start (port = 0, tls?: { cert: Buffer, key: Buffer }): Promise<this> {
    this.tls = tls ?? this.tls
    const handle = (req: IncomingMessage, res: ServerResponse): void => { this.answer(req, res) }
    const server: Server = this.tls === undefined ? createServer(handle) : createTlsServer(this.tls, handle)
    this.server = server
    await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve))
    return this
  }

  /** Closes the server and drops its connections (the API is then down: connection refused). */
  async stop (): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => { resolve() }))
  }

  private answer (req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://stand-in')
    this.requests.push(`${req.method ?? ''} ${url.pathname}${url.search}`)
    this.authorizations.push(req.headers.authorization)
    if (this.misbehave(res)) return
    const handler = this.handlers[`${req.method ?? ''} ${url.pathname}`]
    if (handler === undefined) { res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"code":404,"message":"not found"}'); return }
    const body = JSON.stringify(handler(req, url))
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body)
  }

  private misbehave (res: ServerResponse): boolean {
    switch (this.misbehaviour) {
      case 'none': return false
      case 'slow': setTimeout(() => { if (!res.destroyed) res.writeHead(200).end('{}') }, 60_000).unref(); return true
      case 'html': res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><html><body>502 Bad Gateway</body></html>'); return true
      case 'wrong_shape': res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"result":[1,2,3]}'); return true
      case 'error_500': res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"code":500,"message":"internal error"}'); return true
      case 'huge_body': streamHugeBody(res, () => { this.hugeBodiesCompleted++ }); return true
      case 'absurd_list': res.writeHead(200, { 'Content-Type': 'application/json' }).end(`{"data":[${Array(100_001).fill('{}').join(',')}],"Peers":[${Array(100_001).fill('{}').join(',')}]}`); return true
      case 'hang_up': res.socket?.destroy(); return true
    }
  }
}

/** 64 MiB of a JSON string, streamed without a Content-Length (the client must stop reading at its cap). */
function streamHugeBody (res: ServerResponse, onCompleted: () => void): void {
  res.writeHead(200, { 'Content-Type': 'application/json' })
  const chunk = Buffer.alloc(1024 * 1024, 'a')
  let sent = 0
  res.write('{"data":"')
  const more = (): void => {
    while (sent < 64 && !res.destroyed) {
      sent++
      if (!res.write(chunk)) { res.once('drain', more); return }
    }
    if (!res.destroyed) res.end('"}', onCompleted)
  }
  more()
}

/** A consensus client's Beacon API; `family` picks the version string and the richer endpoint. */
export function beaconStandIn (options: { peerId: string, version?: string, lodestarEndpoint?: boolean, seqNumber?: () => string }): StandIn & { peers: BeaconPeer[], peerId: string } {
  const standIn = new StandIn({
    'GET /eth/v1/node/version': () => ({ data: { version: options.version ?? 'Lodestar/v1.5.1/stand-in' } }),
    'GET /eth/v1/node/identity': () => ({
      data: {
        peer_id: standIn.peerId,
        enr: 'enr:-stand-in',
        p2p_addresses: [`/ip4/127.0.0.1/tcp/9000/p2p/${standIn.peerId}`],
        discovery_addresses: [],
        metadata: { seq_number: options.seqNumber?.() ?? '1', attnets: '0x0000000000000000', syncnets: '0x00' }
      }
    }),
    'GET /eth/v1/node/peers': (_req, url) => {
      const data = standIn.peers.filter(() => url.searchParams.get('state') === 'connected')
        .map(({ agent_version: _agentVersion, ...standard }) => ({ ...standard, enr: null, state: 'connected' }))
      return { data, meta: { count: data.length } }
    },
    ...(options.lodestarEndpoint === false
      ? {}
      : { 'GET /eth/v1/lodestar/peers': () => ({ data: standIn.peers.map(p => ({ ...p, enr: null, state: 'connected', agent_version: p.agent_version ?? 'NA' })) }) })
  }) as StandIn & { peers: BeaconPeer[], peerId: string }
  standIn.peers = []
  standIn.peerId = options.peerId
  return standIn
}

/** Kubo's RPC API: one entry per connection, in swarm.go's shapes. */
export function kuboStandIn (options: { peerId: string }): StandIn & { conns: KuboConn[], peerId: string } {
  const standIn = new StandIn({
    'POST /api/v0/version': () => ({ Version: '0.32.1', Commit: '', Repo: '16', System: 'amd64/linux', Golang: 'go1.23.3' }),
    'POST /api/v0/id': () => ({
      ID: standIn.peerId,
      PublicKey: 'CAESIA==',
      Addresses: [`/ip4/127.0.0.1/tcp/4001/p2p/${standIn.peerId}`],
      AgentVersion: 'kubo/0.32.1/',
      Protocols: ['/ipfs/bitswap/1.2.0', '/ipfs/id/1.0.0']
    }),
    'POST /api/v0/swarm/peers': (_req, url) => {
      const verbose = url.searchParams.get('verbose') === 'true'
      const peers = [...standIn.conns].sort((a, b) => a.Addr < b.Addr ? -1 : a.Addr > b.Addr ? 1 : 0).map(c => kuboConnInfo(c, verbose))
      return { Peers: peers.length === 0 ? null : peers }
    }
  }) as StandIn & { conns: KuboConn[], peerId: string }
  standIn.conns = []
  standIn.peerId = options.peerId
  return standIn
}

/** One connInfo as encoding/json writes it: omitempty drops empty strings, 0 and nil slices, not the Identify struct. */
function kuboConnInfo (c: KuboConn, verbose: boolean): Record<string, unknown> {
  const info: Record<string, unknown> = { Addr: c.Addr, Peer: c.Peer }
  if (verbose) info.Latency = c.Latency ?? 'n/a'
  if (verbose && c.Direction !== undefined && c.Direction !== 0) info.Direction = c.Direction
  if (verbose && c.Streams !== undefined && c.Streams.length > 0) info.Streams = c.Streams
  info.Identify = verbose
    ? { ID: c.Peer, PublicKey: '', Addresses: null, AgentVersion: c.AgentVersion ?? '', Protocols: c.Protocols ?? null }
    : { ID: '', PublicKey: '', Addresses: null, AgentVersion: '', Protocols: null }
  return info
}
