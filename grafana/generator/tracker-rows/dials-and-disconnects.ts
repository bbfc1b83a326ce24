/** The "Dials and disconnects" row of the per-tracker dashboard: outbound dials by outcome, the failure ratio, dial errors and why connections closed. */
import { HALF, row, timeseries, type Draft } from '../panels.js'
import { rate } from './selectors.js'

export const dialsAndDisconnects: Draft[] = [
  row('Dials and disconnects'),
  timeseries({
    title: 'Dials by outcome',
    description: 'Outbound dials per second, by tracker and outcome, stacked: every dial libp2p makes (the bootstrap keeper, Kad-DHT queries, the reconnect queue, services such as ping). A dial answered by an already-open connection is not counted. From libp2p_tracker_dials_total.',
    unit: 'cps',
    size: HALF,
    stack: true,
    min: 0,
    queries: [{ expr: `sum by (instance, outcome) (${rate('libp2p_tracker_dials_total')})`, legendFormat: '{{instance}} {{outcome}}' }]
  }),
  timeseries({
    title: 'Dial failure ratio',
    description: 'Failed dials / all outbound dials of the tracker. Dials to stale DHT records fail routinely on public networks, so a high ratio alone is normal. Gaps mean no dial in the interval. Over 95% for 15 minutes with 10 or more dials fires LibP2PTrackerDialFailureRatioHigh.',
    unit: 'percentunit',
    size: HALF,
    min: 0,
    max: 1,
    queries: [{
      expr: `sum by (instance) (${rate('libp2p_tracker_dials_total', 'outcome="failure"')}) / sum by (instance) (${rate('libp2p_tracker_dials_total')})`,
      legendFormat: '{{instance}}'
    }]
  }),
  timeseries({
    title: 'Dial errors by reason',
    description: 'Failed dials per second by tracker and error class: timeout, refused, unreachable, peer_id_mismatch, no_valid_addresses, encryption_failed, muxer_failed, aborted, resource_limit, denied (the IP filter), other. Refused or unreachable: the peers or the network are down; timeout: the network or a handshake that never finished. From libp2p_tracker_dial_errors_total.',
    unit: 'cps',
    size: HALF,
    stack: true,
    min: 0,
    queries: [{ expr: `sum by (instance, reason) (${rate('libp2p_tracker_dial_errors_total')})`, legendFormat: '{{instance}} {{reason}}' }]
  }),
  timeseries({
    title: 'Connection close reasons',
    description: 'Connections closed per second by tracker and cause: local (this node closed it), pruned (the connection manager, over --p2p.max-connections), remote (the peer closed it), reset, timeout (e.g. a failed ping), shutdown; source_gap (a polling source found the connection gone when the node\'s API answered again after failed polls). A polling source knows no cause of the closes it sees between two answered polls. From libp2p_tracker_connection_close_reasons_total.',
    unit: 'cps',
    size: HALF,
    stack: true,
    min: 0,
    queries: [{ expr: `sum by (instance, reason) (${rate('libp2p_tracker_connection_close_reasons_total')})`, legendFormat: '{{instance}} {{reason}}' }]
  })
]
