/** The "Churn and stability" row of the per-tracker dashboard: flapping, reconnects, the stable core, new vs returning peers, peers seen, the Sybil signal. */
import { THIRD, gaugeLines, row, timeseries, type Draft } from '../panels.js'
import { rate, sel } from './selectors.js'

export const churnAndStability: Draft[] = [
  row('Churn and stability'),
  timeseries({
    title: 'Flapping peers',
    description: 'Remembered peers with at least --tracker.flapping-sessions (default 4) session starts within --tracker.flapping-window (default 10m). Over 10 and over 10% of the connected peers for 10 minutes fires LibP2PTrackerFlappingSpike. From libp2p_tracker_flapping_peers.',
    unit: 'short',
    size: THIRD,
    min: 0,
    queries: [{ expr: sel('libp2p_tracker_flapping_peers'), legendFormat: '{{instance}}' }]
  }),
  timeseries({
    title: 'Peer reconnects',
    description: 'Sessions per second opened within --tracker.flapping-window of the same peer\'s previous session end. From libp2p_tracker_peer_reconnects_total.',
    unit: 'cps',
    size: THIRD,
    min: 0,
    queries: [{ expr: `sum by (instance) (${rate('libp2p_tracker_peer_reconnects_total')})`, legendFormat: '{{instance}}' }]
  }),
  timeseries({
    title: 'Stable core',
    description: 'Connected peers whose current session is at least 1h, 6h, 24h and 7d old: the size of the stable core (each line includes the ones below it), per tracker. From libp2p_tracker_stable_peers.',
    unit: 'short',
    size: THIRD,
    min: 0,
    queries: [{ expr: `sum by (instance, min_age) (${sel('libp2p_tracker_stable_peers')})`, legendFormat: '{{instance}} ≥ {{min_age}}' }]
  }),
  timeseries({
    title: 'New vs returning peers',
    description: 'Sessions per second of peers seen for the first time since the tracker started (new) and of peers seen before (returning). new + returning = peer connects.',
    unit: 'cps',
    size: THIRD,
    stack: true,
    min: 0,
    queries: [
      { expr: `sum by (instance) (${rate('libp2p_tracker_new_peers_total')})`, legendFormat: 'new {{instance}}' },
      { expr: `sum by (instance) (${rate('libp2p_tracker_returning_peers_total')})`, legendFormat: 'returning {{instance}}' }
    ]
  }),
  gaugeLines({
    title: 'Peers seen and remembered',
    description: 'Distinct peers seen since the tracker started (libp2p_tracker_peers_seen, a fixed-memory estimate that may undercount slightly past ~1M peers) and peers in the per-peer history (libp2p_tracker_remembered_peers, at most --tracker.history-peers).',
    unit: 'short',
    size: THIRD,
    sel,
    lines: [
      ['seen', 'libp2p_tracker_peers_seen'],
      ['remembered', 'libp2p_tracker_remembered_peers']
    ]
  }),
  gaugeLines({
    title: 'Sybil signal: peer IDs per IP',
    description: 'Remote IPs with connected peers under two or more distinct peer IDs, and the most peer IDs behind one IP (direct connections only). A few are normal (NAT, several nodes on one host); a jump points at one host posing as many peers.',
    unit: 'short',
    size: THIRD,
    sel,
    lines: [
      ['IPs with several peer IDs', 'libp2p_tracker_ips_with_multiple_peer_ids'],
      ['most peer IDs behind one IP', 'libp2p_tracker_max_peer_ids_per_ip']
    ]
  })
]
