/**
 * --web.max-requests: at most this many requests are served at once; the next one gets
 * 503 at once (a scraper retries at its next interval) instead of queueing without bound.
 * Health checks are exempt so that a scrape storm does not get a healthy tracker restarted.
 */
import type { RequestHandler } from 'express'

export function requestLimit (maxRequests: number, exemptPaths: readonly string[] = []): RequestHandler & { inFlight: () => number } {
  let inFlight = 0
  const handler: RequestHandler = (req, res, next) => {
    if (maxRequests === 0 || exemptPaths.includes(req.path)) {
      next()
      return
    }
    if (inFlight >= maxRequests) {
      res.status(503).set('Retry-After', '1').type('text').send('Too many concurrent requests; try again later.\n')
      return
    }
    inFlight++
    let released = false
    const release = (): void => {
      if (released) return
      released = true
      inFlight--
    }
    res.once('finish', release)
    res.once('close', release)
    next()
  }
  return Object.assign(handler, { inFlight: () => inFlight })
}
