/**
 * Bounded HTTP(S) requests to the watched node's API: one JSON document per request, read as a
 * stream and abandoned past a byte cap (never buffered whole), within a timeout that covers
 * the whole exchange, with the Authorization header from --source.auth-file and the CA from
 * --source.ca-file. Every failure is a PollError whose `result` is the label of
 * libp2p_tracker_source_polls_total; its message never holds the credentials.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { IncomingMessage } from 'node:http'

export const POLL_RESULTS = ['success', 'unreachable', 'timeout', 'http_error', 'bad_response', 'too_large'] as const
export type PollResult = typeof POLL_RESULTS[number]
export type PollFailure = Exclude<PollResult, 'success'>

/** A poll that got no usable answer: the account is left as it is. */
export class PollError extends Error {
  override readonly name = 'PollError'
  constructor (readonly result: PollFailure, message: string) {
    super(message)
  }
}

/** 32 MiB: 2,000 Kubo connections with identify and streams are about 5 MB. */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024

export interface HttpSourceOptions {
  /** Base URL without a trailing `/` (src/config/source.ts). */
  baseUrl: string
  timeoutMs: number
  maxBodyBytes?: number
  /** PEM CA certificate(s) for an https base URL. */
  ca?: string
  /** The Authorization header's value. */
  authorization?: string
}

export class HttpSource {
  private readonly options: HttpSourceOptions
  private readonly maxBodyBytes: number
  private readonly https: boolean
  private readonly agent: HttpAgent | HttpsAgent

  constructor (options: HttpSourceOptions) {
    this.options = options
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
    this.https = options.baseUrl.startsWith('https:')
    // Keep-alive: a poll every few seconds reuses one connection (no handshake per poll).
    this.agent = this.https
      ? new HttpsAgent({ keepAlive: true, maxSockets: 4, ...(options.ca === undefined ? {} : { ca: options.ca }) })
      : new HttpAgent({ keepAlive: true, maxSockets: 4 })
  }

  /** GET or POST `path` (with its query) and parse the JSON answer. */
  async json (method: 'GET' | 'POST', path: string): Promise<unknown> {
    const body = await this.fetch(method, path)
    try {
      return JSON.parse(body)
    } catch {
      throw new PollError('bad_response', `${method} ${pathOnly(path)}: the answer is not JSON (it starts with ${JSON.stringify(body.slice(0, 16))})`)
    }
  }

  /** Closes the kept-alive connections. */
  close (): void {
    this.agent.destroy()
  }

  /**
   * One request; retried once when it went out on a kept-alive socket the server had just
   * closed (ECONNRESET on a reused socket: Node's advice), which is no failure of the API.
   */
  private async fetch (method: 'GET' | 'POST', path: string): Promise<string> {
    try {
      return await this.send(method, path)
    } catch (err) {
      if (!(err instanceof StaleSocket)) throw err
    }
    try {
      return await this.send(method, path)
    } catch (err) {
      if (err instanceof StaleSocket) throw new PollError('unreachable', `${method} ${pathOnly(path)}: the connection was reset`)
      throw err
    }
  }

  private async send (method: 'GET' | 'POST', path: string): Promise<string> {
    const url = new URL(this.options.baseUrl + path)
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (this.options.authorization !== undefined) headers.Authorization = this.options.authorization
    if (method === 'POST') headers['Content-Length'] = '0'
    const what = `${method} ${url.pathname}`
    return await new Promise<string>((resolve, reject) => {
      const send = this.https ? httpsRequest : httpRequest
      const req = send(url, { method, headers, agent: this.agent })
      let timedOut = false
      let answered = false
      const timer = setTimeout(() => { timedOut = true; req.destroy() }, this.options.timeoutMs)
      const fail = (err: unknown): void => {
        clearTimeout(timer)
        if (timedOut) { reject(new PollError('timeout', `${what}: no complete answer within ${this.options.timeoutMs}ms`)); return }
        const code = (err as NodeJS.ErrnoException)?.code
        if (req.reusedSocket && !answered && (code === 'ECONNRESET' || code === 'EPIPE')) { reject(new StaleSocket()); return }
        reject(asPollError(err, what))
      }
      req.on('error', fail)
      req.on('response', (res) => {
        answered = true
        readBody(res, this.maxBodyBytes, what).then(
          (body) => { clearTimeout(timer); resolve(body) },
          (err: unknown) => { req.destroy(); fail(err) })
      })
      req.end()
    })
  }
}

/** A kept-alive socket the server closed before our request reached it. */
class StaleSocket extends Error {}

/** The body of a 2xx answer, up to `max` bytes; anything else rejects with a PollError. */
async function readBody (res: IncomingMessage, max: number, what: string): Promise<string> {
  const status = res.statusCode ?? 0
  if (status < 200 || status > 299) {
    res.resume()
    throw new PollError('http_error', `${what}: HTTP ${status}`)
  }
  const declared = Number(res.headers['content-length'])
  if (Number.isFinite(declared) && declared > max) {
    res.destroy()
    throw new PollError('too_large', `${what}: the answer is ${declared} bytes, more than the ${max}-byte cap`)
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of res) {
    size += (chunk as Buffer).length
    if (size > max) {
      res.destroy()
      throw new PollError('too_large', `${what}: the answer is more than the ${max}-byte cap`)
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks, size).toString('utf8')
}

function asPollError (err: unknown, what: string): PollError {
  if (err instanceof PollError) return err
  const { code, message } = err as NodeJS.ErrnoException
  if (code === 'ETIMEDOUT') return new PollError('timeout', `${what}: ${message}`)
  return new PollError('unreachable', `${what}: ${code ?? ''}${code === undefined ? '' : ' '}${String(message ?? err).split('\n')[0] ?? ''}`.trim())
}

function pathOnly (path: string): string {
  const query = path.indexOf('?')
  return query === -1 ? path : path.slice(0, query)
}
