/** The "Connections" row of the per-tracker dashboard: open connections by direction, transport, encryption and muxer; peers by transport; opened and closed; connections per peer. */
import { HALF, QUARTER, row, timeseries, type Draft } from '../panels.js'
import { rate, sel } from './selectors.js'

export const connections: Draft[] = [
  row('Connections'),
  ...([
    ['direction', 'Open connections by direction', 'Open connections by who dialled: inbound (the remote peer) or outbound (this node).'],
    ['transport', 'Open connections by transport', 'Open connections by transport (tcp, ws, wss, quic, webrtc for WebRTC-direct, webtransport, circuit for relayed, other).'],
    ['encryption', 'Open connections by encryption', 'Open connections by connection encrypter (noise, tls also for QUIC, plaintext, dtls for WebRTC-direct, other).'],
    ['muxer', 'Open connections by muxer', 'Open connections by stream multiplexer (yamux, mplex, quic for QUIC\'s own streams, webrtc for WebRTC data channels, other).']
  ] as const).map(([label, title, description]) => timeseries({
    title,
    description: `${description} One band per tracker and ${label}, stacked: the top is the total of the selected trackers. From libp2p_tracker_open_connections.`,
    unit: 'short',
    size: QUARTER,
    stack: true,
    min: 0,
    queries: [{ expr: `sum by (instance, ${label}) (${sel('libp2p_tracker_open_connections')})`, legendFormat: `{{instance}} {{${label}}}` }]
  })),
  timeseries({
    title: 'Connected peers by transport',
    description: 'Connected peers with at least one open connection over each transport, by tracker: how much of the network each transport reaches. A peer over TCP and QUIC at once counts under both, so the bands can add up to more than the connected peers. From libp2p_tracker_peers_by_transport.',
    unit: 'short',
    size: HALF,
    min: 0,
    queries: [{ expr: `sum by (instance, transport) (${sel('libp2p_tracker_peers_by_transport')})`, legendFormat: '{{instance}} {{transport}}' }]
  }),
  timeseries({
    title: 'Connections opened and closed',
    description: 'Connections opened (above 0) and closed (below 0) per second, by tracker and transport. Several connections can belong to one peer.',
    unit: 'cps',
    size: HALF,
    queries: [
      { expr: `sum by (instance, transport) (${rate('libp2p_tracker_connections_opened_total')})`, legendFormat: 'opened {{transport}} {{instance}}' },
      { expr: `-sum by (instance, transport) (${rate('libp2p_tracker_connections_closed_total')})`, legendFormat: 'closed {{transport}} {{instance}}' }
    ]
  }),
  timeseries({
    title: 'Connections per peer',
    description: 'Open connections divided by connected peers. Above 1, some peers hold several connections (for example one inbound and one outbound).',
    unit: 'none',
    size: HALF,
    queries: [{
      expr: `sum by (instance) (${sel('libp2p_tracker_open_connections')}) / sum by (instance) (${sel('libp2p_tracker_connected_peers')})`,
      legendFormat: '{{instance}}'
    }]
  })
]
