/** The "Peers" row of the per-tracker dashboard: connected peers, connects and disconnects, net churn and the DHT routing table. */
import { HALF, row, timeseries, type Draft } from '../panels.js'
import { rate, sel } from './selectors.js'

export const peers: Draft[] = [
  row('Peers'),
  timeseries({
    title: 'Connected peers',
    description: 'Unique peers with at least one open connection. A peer with several connections counts once; compare with the open connections below.',
    unit: 'short',
    size: HALF,
    min: 0,
    queries: [{ expr: sel('libp2p_tracker_connected_peers'), legendFormat: '{{instance}}' }]
  }),
  timeseries({
    title: 'Peer connects and disconnects',
    description: 'Peers per second whose first connection opened (connects, above 0) or whose last connection closed (disconnects, drawn below 0), by direction.',
    unit: 'cps',
    size: HALF,
    queries: [
      { expr: `sum by (instance, direction) (${rate('libp2p_tracker_peer_connects_total')})`, legendFormat: 'connects {{direction}} {{instance}}' },
      { expr: `-sum by (instance, direction) (${rate('libp2p_tracker_peer_disconnects_total')})`, legendFormat: 'disconnects {{direction}} {{instance}}' }
    ]
  }),
  timeseries({
    title: 'Net peer churn',
    description: 'Connects minus disconnects per second: above 0 the peer count grows, below 0 it shrinks. High connects and disconnects with a net near 0 is churn (alert LibP2PTrackerChurnHigh).',
    unit: 'cps',
    size: HALF,
    queries: [{
      expr: `sum by (instance) (${rate('libp2p_tracker_peer_connects_total')}) - sum by (instance) (${rate('libp2p_tracker_peer_disconnects_total')})`,
      legendFormat: '{{instance}}'
    }]
  }),
  timeseries({
    title: 'DHT routing table size',
    description: 'Peers in the kad-dht routing table (libp2p_tracker_dht_routing_table_peers). It grows as the node learns the network; 0 for long means the DHT is not working.',
    unit: 'short',
    size: HALF,
    min: 0,
    queries: [{ expr: sel('libp2p_tracker_dht_routing_table_peers'), legendFormat: '{{instance}}' }]
  })
]
