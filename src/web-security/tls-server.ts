/**
 * TLS for the HTTP server from the web config: the options to create it with, and the live
 * updates when the file or the certificates change (server.setSecureContext for new
 * connections; connections already open keep their session). Handshake failures (a plain
 * HTTP client, a wrong client certificate, garbage) end that connection only.
 */
import { isIP } from 'node:net'
import { secureContextOptions } from './tls-settings.js'
import type { ClientAuthType, TlsSpec } from './tls-settings.js'
import type { WebConfig } from './web-config.js'
import type { WebConfigSource } from './web-config-source.js'
import type { Logger } from '../log.js'
import type { Server as HttpsServer, ServerOptions } from 'node:https'
import type { TLSSocket } from 'node:tls'

interface ClientAuthOptions {
  requestCert: boolean
  rejectUnauthorized: boolean
}

/** How each client_auth_type maps onto node:tls (the rest is checked once the handshake is done). */
const CLIENT_AUTH: Record<ClientAuthType, ClientAuthOptions> = {
  NoClientCert: { requestCert: false, rejectUnauthorized: false },
  RequestClientCert: { requestCert: true, rejectUnauthorized: false },
  RequireAnyClientCert: { requestCert: true, rejectUnauthorized: false },
  VerifyClientCertIfGiven: { requestCert: true, rejectUnauthorized: false },
  RequireAndVerifyClientCert: { requestCert: true, rejectUnauthorized: true }
}

/** Options for https.createServer; undefined when the config has no TLS. */
export function httpsServerOptions (config: WebConfig): ServerOptions | undefined {
  if (config.tls === undefined || config.tlsMaterial === undefined) return undefined
  return { ...secureContextOptions(config.tls, config.tlsMaterial), ...CLIENT_AUTH[config.tls.clientAuth] }
}

/**
 * The subject alternative names of a certificate as Node prints them (`DNS:a, IP Address:1.2.3.4,
 * email:x@y, URI:spiffe://...`; values with special characters JSON-quoted), as plain strings,
 * IP addresses in their canonical form.
 */
export function subjectAltNames (text: string | undefined): string[] {
  const names: string[] = []
  if (text === undefined) return names
  let i = 0
  while (i < text.length) {
    const colon = text.indexOf(':', i)
    if (colon === -1) break
    const type = text.slice(i, colon)
    let j = colon + 1
    let value: string
    if (text[j] === '"') {
      let k = j + 1
      while (k < text.length && text[k] !== '"') k += text[k] === '\\' ? 2 : 1
      try {
        value = JSON.parse(text.slice(j, k + 1)) as string
      } catch {
        value = text.slice(j + 1, k)
      }
      j = k + 1
    } else {
      const end = text.indexOf(', ', j)
      value = text.slice(j, end === -1 ? text.length : end)
      j = end === -1 ? text.length : end
    }
    if (text.startsWith(', ', j)) j += 2
    if (type === 'DNS' || type === 'email' || type === 'URI') names.push(value)
    else if (type === 'IP Address') names.push(canonicalIp(value))
    i = j
  }
  return names
}

function canonicalIp (ip: string): string {
  if (isIP(ip) !== 6) return ip
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1)
  } catch {
    return ip
  }
}

/** Why a client is refused after the handshake, by client_auth_type and client_allowed_sans; undefined: served. */
export function clientRefusal (tls: Pick<TlsSpec, 'clientAuth' | 'clientAllowedSans'>, socket: Pick<TLSSocket, 'authorized' | 'getPeerX509Certificate'>): string | undefined {
  const cert = socket.getPeerX509Certificate?.()
  const hasCert = cert !== undefined
  if (tls.clientAuth === 'RequireAnyClientCert' && !hasCert) return 'no client certificate'
  if (tls.clientAuth === 'VerifyClientCertIfGiven' && hasCert && !socket.authorized) return 'client certificate not verified'
  if (tls.clientAllowedSans !== undefined) {
    if (!hasCert) return 'no client certificate to match client_allowed_sans'
    const allowed = new Set(tls.clientAllowedSans.map(s => isIP(s) !== 0 ? canonicalIp(s) : s))
    if (!subjectAltNames(cert.subjectAltName).some(name => allowed.has(name))) return 'client certificate has none of client_allowed_sans'
  }
  return undefined
}

/** Keeps a TLS server's certificates and client authentication in step with the web config file. */
export function followWebConfig (server: HttpsServer, source: WebConfigSource, log: Logger): void {
  let tls: TlsSpec | undefined = source.current().tls
  // Look at the file before the TLS socket is made from the server's context: first listener.
  server.prependListener('connection', () => { source.refresh() })
  source.onChange((config) => {
    if (config.tls === undefined || config.tlsMaterial === undefined) return
    server.setSecureContext(secureContextOptions(config.tls, config.tlsMaterial))
    // node:tls reads these two from the server for each new connection.
    Object.assign(server as unknown as ClientAuthOptions, CLIENT_AUTH[config.tls.clientAuth])
    tls = config.tls
  })
  // Runs in the same tick as the https server's own listener, before any request is read.
  server.on('secureConnection', (socket: TLSSocket) => {
    const refusal = tls === undefined ? undefined : clientRefusal(tls, socket)
    if (refusal !== undefined) {
      log.debug({ clientAuth: tls?.clientAuth, remoteAddress: socket.remoteAddress, reason: refusal }, 'TLS client refused')
      socket.destroy()
    }
  })
  server.on('tlsClientError', (err, socket) => {
    log.debug({ err: err.message, remoteAddress: socket.remoteAddress }, 'TLS handshake failed')
    socket.destroy()
  })
}
