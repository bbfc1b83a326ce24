/**
 * @libp2p/websockets dials with the global WebSocket, which Node 20 has only behind a flag:
 * there the `ws` package's (which @libp2p/websockets already uses for its server) stands in.
 * Node 22+ has its own, and this module leaves it. Imported by the CLI's node (./node.ts).
 */
import { WebSocket as WsWebSocket } from 'ws'

if (typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'undefined') {
  Object.defineProperty(globalThis, 'WebSocket', { configurable: true, writable: true, enumerable: false, value: WsWebSocket })
}

export {}
