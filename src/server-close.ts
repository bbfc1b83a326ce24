/** Closing the CLI's HTTP server at stop, for both compositions (src/app.ts, src/app-polling.ts). */
import type { Server } from './http/server.js'

/** Stops accepting, lets requests in flight finish for up to 2 s, then drops what is left. */
export async function closeServer (server: Server): Promise<void> {
  const closed = new Promise<void>(resolve => server.close(() => { resolve() }))
  server.closeIdleConnections()
  const force = setTimeout(() => { server.closeAllConnections() }, 2000)
  force.unref()
  await closed
  clearTimeout(force)
}
