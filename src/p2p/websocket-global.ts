/**
 * @libp2p/websockets dials with the global WebSocket. The CLI's process uses the `ws`
 * package's (which @libp2p/websockets already uses for its server) on every Node:
 * - Node 20 has no global WebSocket without a flag;
 * - Node 22's and 24's say nothing useful when a dial fails (22: "Received network error or
 *   non-101 status code", 24: an empty message), while `ws` gives the socket's error
 *   (ECONNREFUSED, EHOSTUNREACH, ...), so libp2p_tracker_dial_errors_total can tell a refused
 *   WebSocket dial from an unreachable one, the same on every Node.
 * Imported by the CLI's node (./node.ts) before anything dials; the library never imports it.
 */
import { WebSocket as WsWebSocket } from 'ws'

Object.defineProperty(globalThis, 'WebSocket', { configurable: true, writable: true, enumerable: false, value: WsWebSocket })

export {}
