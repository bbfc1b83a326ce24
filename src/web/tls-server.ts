/**
 * TLS for the HTTP server from the web config: the options to create it with, and the live
 * updates when the file or the certificates change (server.setSecureContext for new
 * connections; connections already open keep their session). Handshake failures (a plain
 * HTTP client, a wrong client certificate, garbage) end that connection only.
 */
import { secureContextOptions } from './web-config.js'
import type { ClientAuthType, WebConfig } from './web-config.js'
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

/** Keeps a TLS server's certificates and client authentication in step with the web config file. */
export function followWebConfig (server: HttpsServer, source: WebConfigSource, log: Logger): void {
  let clientAuth = source.current().tls?.clientAuth ?? 'NoClientCert'
  // Look at the file before the TLS socket is made from the server's context: first listener.
  server.prependListener('connection', () => { source.refresh() })
  source.onChange((config) => {
    if (config.tls === undefined || config.tlsMaterial === undefined) return
    server.setSecureContext(secureContextOptions(config.tls, config.tlsMaterial))
    // node:tls reads these two from the server for each new connection.
    Object.assign(server as unknown as ClientAuthOptions, CLIENT_AUTH[config.tls.clientAuth])
    clientAuth = config.tls.clientAuth
  })
  server.on('secureConnection', (socket: TLSSocket) => {
    const hasCert = socket.getPeerCertificate !== undefined && Object.keys(socket.getPeerCertificate() ?? {}).length > 0
    const refuse = (clientAuth === 'RequireAnyClientCert' && !hasCert) ||
      (clientAuth === 'VerifyClientCertIfGiven' && hasCert && !socket.authorized)
    if (refuse) {
      log.debug({ clientAuth, remoteAddress: socket.remoteAddress }, 'TLS client refused: client certificate missing or not verified')
      socket.destroy()
    }
  })
  server.on('tlsClientError', (err, socket) => {
    log.debug({ err: err.message, remoteAddress: socket.remoteAddress }, 'TLS handshake failed')
    socket.destroy()
  })
}
