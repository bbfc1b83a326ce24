/** The "Clients and protocols" row of the per-tracker dashboard: who the peers are: clients and their versions, protocols, address families. */
import { HALF, bargauge, row, table, timeseries, type Draft } from '../panels.js'
import { sel } from './selectors.js'

export const clientsAndProtocols: Draft[] = [
  row('Clients and protocols'),
  timeseries({
    title: 'Peers by client',
    description: 'Connected peers by the client family their identify agent string names (kubo, go-libp2p, rust-libp2p, js-libp2p, lighthouse, ...; "other" for the rest, "unknown" until identify completes), one band per tracker and client, stacked. From libp2p_tracker_peers_by_agent.',
    unit: 'short',
    size: HALF,
    stack: true,
    min: 0,
    queries: [{ expr: `sum by (instance, agent) (${sel('libp2p_tracker_peers_by_agent')})`, legendFormat: '{{instance}} {{agent}}' }]
  }),
  table({
    title: 'Client versions',
    description: 'Connected peers of each tracker by client family and major.minor version, now. Per family the 5 versions with the most peers are listed, the rest as "other"; "unknown" when the agent string has no version.',
    unit: 'short',
    size: HALF,
    query: { expr: `sum by (instance, agent, version) (${sel('libp2p_tracker_peers_by_agent')}) > 0` },
    hide: { Time: true },
    rename: { instance: 'Tracker', agent: 'Client', version: 'Version', Value: 'Peers' },
    sortBy: 'Peers'
  }),
  bargauge({
    title: 'Peers by protocol',
    description: 'Connected peers speaking at least one protocol of each class (kad, bitswap, gossipsub, identify, ping, circuit relay, autonat, dcutr, ...), now; "other" counts peers with any protocol outside the list. A peer counts once per class; one bar per tracker and class. From libp2p_tracker_peers_by_protocol.',
    unit: 'short',
    size: HALF,
    query: { expr: `sum by (instance, protocol) (${sel('libp2p_tracker_peers_by_protocol')})`, legendFormat: '{{instance}} {{protocol}}' }
  }),
  timeseries({
    title: 'Peers by address family',
    description: 'Connected peers by the address family of the connection that opened their session: ip4, ip6, relayed (circuit relay, counted apart from direct connections) or other (e.g. dns); one band per tracker and family, stacked. From libp2p_tracker_peers_by_ip_version.',
    unit: 'short',
    size: HALF,
    stack: true,
    min: 0,
    queries: [{ expr: `sum by (instance, ip_version) (${sel('libp2p_tracker_peers_by_ip_version')})`, legendFormat: '{{instance}} {{ip_version}}' }]
  })
]
