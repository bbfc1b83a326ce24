/**
 * One ping over one open connection, for RTT samples of peers libp2p's connection monitor
 * has not measured yet.
 */
import type { Connection } from '@libp2p/interface'

export const PING_PROTOCOL = '/ipfs/ping/1.0.0'
const PING_LENGTH = 32

/**
 * One ping (the libp2p ping protocol: 32 random bytes echoed back) over this connection, in
 * ms. Unlike the ping service, which takes a peer ID or address and dials when the peer is no
 * longer connected, this only opens a stream on the given connection: if it closed, the ping
 * fails and nothing is dialled.
 */
export async function pingConnection (connection: Connection, signal: AbortSignal): Promise<number> {
  signal.throwIfAborted()
  const stream = await connection.newStream(PING_PROTOCOL, { signal, runOnLimitedConnection: true })
  try {
    const sent = crypto.getRandomValues(new Uint8Array(PING_LENGTH))
    const echo = new Uint8Array(PING_LENGTH)
    let received = 0
    let start = 0
    const rttMs = await new Promise<number>((resolve, reject) => {
      const cleanup = (): void => {
        stream.removeEventListener('message', onMessage)
        stream.removeEventListener('close', onClose)
        signal.removeEventListener('abort', onAbort)
      }
      const onMessage = (evt: { data: { subarray: () => Uint8Array } }): void => {
        const chunk = evt.data.subarray()
        const n = Math.min(chunk.byteLength, PING_LENGTH - received)
        echo.set(chunk.subarray(0, n), received)
        received += n
        if (received === PING_LENGTH) { cleanup(); resolve(performance.now() - start) }
      }
      const onClose = (evt: { error?: Error }): void => { cleanup(); reject(evt.error ?? new Error('ping stream closed before the echo')) }
      const onAbort = (): void => { cleanup(); reject(signal.reason) }
      stream.addEventListener('message', onMessage)
      stream.addEventListener('close', onClose)
      signal.addEventListener('abort', onAbort)
      start = performance.now()
      stream.send(sent)
    })
    if (!sent.every((byte, i) => echo[i] === byte)) throw new Error('ping echo does not match what was sent')
    stream.close({ signal }).catch((err: unknown) => { stream.abort(err instanceof Error ? err : new Error(String(err))) })
    return rttMs
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}
