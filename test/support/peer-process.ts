/**
 * A test peer (./peers.ts's createTestPeer) in a child process, for what this Node cannot run
 * in-process: QUIC needs Node 22+. Run with a Node 22+ binary (./node22.ts) and tsx:
 *
 *   node --import tsx test/support/peer-process.ts '{"transports":["tcp","quic"]}'
 *
 * It prints one JSON line per step on stdout: {"event":"started","peerId","addrs"}, then one
 * answer per command read on stdin: `dial <multiaddr>` -> {"event":"dialled","remoteAddr"} or
 * {"event":"dial-failed","error"}; `close <transport>` (tcp, quic, ws, webrtc) closes its
 * connections whose remote address has that transport -> {"event":"closed","count"};
 * `stop` (or stdin's end) stops the node -> {"event":"stopped"} and it exits.
 */
import { createInterface } from 'node:readline'
import { multiaddr } from '@multiformats/multiaddr'
import { transportOf } from '../../src/tracker/connection-labels.js'
import { createTestPeer } from './peers.js'
import type { TestPeerOptions } from './peers.js'

const say = (event: string, details: Record<string, unknown> = {}): void => { process.stdout.write(`${JSON.stringify({ event, ...details })}\n`) }

const options = JSON.parse(process.argv[2] ?? '{}') as TestPeerOptions
const node = await createTestPeer(options)
say('started', { peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) })

let stopping = false
async function stop (): Promise<void> {
  if (stopping) return
  stopping = true
  await node.stop()
  say('stopped')
  process.exit(0)
}

const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  const [command, arg = ''] = line.trim().split(/\s+/, 2)
  void (async () => {
    if (command === 'dial') {
      try {
        const connection = await node.dial(multiaddr(arg), { signal: AbortSignal.timeout(30_000), force: true })
        say('dialled', { remoteAddr: connection.remoteAddr.toString() })
      } catch (err) {
        say('dial-failed', { error: String(err) })
      }
    } else if (command === 'close') {
      const closing = node.getConnections().filter(c => transportOf(c.remoteAddr.toString()) === arg)
      await Promise.all(closing.map(async c => { await c.close() }))
      say('closed', { count: closing.length })
    } else if (command === 'stop') {
      await stop()
    }
  })()
})
lines.on('close', () => { void stop() })
