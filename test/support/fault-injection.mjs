/**
 * Faults injected into the built CLI from outside, for end-to-end tests: loaded with
 * `NODE_OPTIONS=--import=<this file>` and chosen by TRACKER_TEST_FAULT. Plain JavaScript,
 * since the child runs dist/ without a TypeScript loader. Nothing here is loaded in production.
 *
 * - hold-p2p-listen: libp2p's TCP listeners (every net.Server that is not an HTTP server)
 *   wait until the process gets SIGUSR2, so the test sees the tracker between "HTTP is
 *   listening" and "libp2p is listening".
 * - http-listen-throws: the HTTP server's listen() throws a TypeError (a fault, not a user
 *   error) during start-up.
 * - throw-on-sigusr2: SIGUSR2 throws an Error from an event handler, which nothing catches.
 * - reject-on-sigusr2: SIGUSR2 rejects a promise that nobody awaits (an unhandled rejection).
 * - server-close-hangs: the HTTP server closes but never says so (close()'s callback is
 *   dropped), so the tracker's stop never finishes, and a timer holds the event loop open as
 *   a stuck socket would.
 * - hold-responses: a response to a request whose URL has `hold=1` is not ended until the
 *   process gets SIGUSR2, so the test holds requests in flight inside the tracker; each one
 *   held writes `held <n>` to stderr.
 */
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'

const fault = process.env.TRACKER_TEST_FAULT

if (fault === 'hold-p2p-listen') {
  const listen = net.Server.prototype.listen
  let released = false
  const waiting = []
  process.on('SIGUSR2', () => {
    released = true
    for (const go of waiting.splice(0)) go()
  })
  net.Server.prototype.listen = function (...args) {
    if (released || this instanceof http.Server || this instanceof https.Server) return listen.apply(this, args)
    waiting.push(() => { listen.apply(this, args) })
    return this
  }
} else if (fault === 'http-listen-throws') {
  http.Server.prototype.listen = function () {
    throw new TypeError('injected fault: listen is broken\n    at a second line that must not reach stderr')
  }
} else if (fault === 'throw-on-sigusr2') {
  process.on('SIGUSR2', () => {
    throw new Error('injected fault: nobody catches this\n    at a second line that must not reach stderr')
  })
} else if (fault === 'reject-on-sigusr2') {
  process.on('SIGUSR2', () => {
    void Promise.reject(new Error('injected fault: nobody awaits this'))
  })
} else if (fault === 'server-close-hangs') {
  const close = http.Server.prototype.close
  http.Server.prototype.close = function () {
    setInterval(() => {}, 1000) // what a stuck connection would do: the process cannot just drain
    return close.call(this) // the callback is dropped: nobody hears that the server closed
  }
} else if (fault === 'hold-responses') {
  const end = http.ServerResponse.prototype.end
  let released = false
  const waiting = []
  process.on('SIGUSR2', () => {
    released = true
    for (const go of waiting.splice(0)) go()
  })
  http.ServerResponse.prototype.end = function (...args) {
    if (released || !(this.req?.url ?? '').includes('hold=1')) return end.apply(this, args)
    waiting.push(() => { end.apply(this, args) })
    process.stderr.write(`held ${waiting.length}\n`)
    return this
  }
} else if (fault !== undefined) {
  throw new Error(`unknown TRACKER_TEST_FAULT ${fault}`)
}
