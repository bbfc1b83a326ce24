/**
 * What the web config file asks of every request, on every path (health checks included, as
 * exporter-toolkit does): the configured security headers, rate_limit (429), and basic
 * authentication when users are configured. A missing or wrong credential gets 401 with a
 * WWW-Authenticate challenge and no detail of what was wrong; when too many unverified
 * credentials are being checked already, 503 with Retry-After at once (no bcrypt is run).
 */
import { BasicAuthVerifier, parseBasicAuthorization } from './basic-auth.js'
import { TokenBucket } from './rate-limit.js'
import type { WebConfigSource } from './web-config-source.js'
import type { RequestHandler } from 'express'

export interface AccessControlOptions {
  now?: () => number
}

export function accessControl (source: WebConfigSource, verifier: BasicAuthVerifier = new BasicAuthVerifier(), options: AccessControlOptions = {}): RequestHandler {
  const now = options.now ?? Date.now
  let bucket: TokenBucket | undefined
  return (req, res, next) => {
    const config = source.current()
    for (const [name, value] of config.headers) res.setHeader(name, value)

    const limit = config.rateLimit
    if (limit === undefined) {
      bucket = undefined
    } else {
      if (bucket === undefined || bucket.spec.intervalMs !== limit.intervalMs || bucket.spec.burst !== limit.burst) bucket = new TokenBucket(limit, now())
      if (!bucket.take(now())) {
        res.status(429).set('Retry-After', String(bucket.retryAfterSeconds(now()))).type('text').send('Too many requests.\n')
        return
      }
    }

    if (config.basicAuthUsers.size === 0) {
      next()
      return
    }
    verifier.verify(config.basicAuthUsers, parseBasicAuthorization(req.get('authorization'))).then(
      (verdict) => {
        if (verdict === 'allowed') {
          next()
        } else if (verdict === 'busy') {
          res.status(503).set('Retry-After', '1').type('text').send('Too many concurrent requests; try again later.\n')
        } else {
          res.status(401).set('WWW-Authenticate', 'Basic realm="libp2p-peer-tracker", charset="UTF-8"').type('text').send('Unauthorized.\n')
        }
      },
      next
    )
  }
}
