/**
 * What the web config file asks of every response: the configured security headers, and
 * basic authentication when users are configured. A missing or wrong credential gets 401
 * with a WWW-Authenticate challenge and no detail of what was wrong.
 */
import { BasicAuthVerifier, parseBasicAuthorization } from './basic-auth.js'
import type { WebConfigSource } from './web-config-source.js'
import type { RequestHandler } from 'express'

export function accessControl (source: WebConfigSource, verifier: BasicAuthVerifier = new BasicAuthVerifier()): RequestHandler {
  return (req, res, next) => {
    const config = source.current()
    for (const [name, value] of config.headers) res.setHeader(name, value)
    if (config.basicAuthUsers.size === 0) {
      next()
      return
    }
    verifier.verify(config.basicAuthUsers, parseBasicAuthorization(req.get('authorization'))).then(
      (ok) => {
        if (ok) {
          next()
          return
        }
        res.status(401).set('WWW-Authenticate', 'Basic realm="libp2p-peer-tracker", charset="UTF-8"').type('text').send('Unauthorized.\n')
      },
      next
    )
  }
}
