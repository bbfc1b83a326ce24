/**
 * The page at `/`: the landing page's facts and links, and the live peer view, which
 * assets/peer-view.js fills in. No inline script or style (the Content-Security-Policy below
 * forbids them); the only dynamic parts are escaped text and data attributes.
 */
import { escapeHtml } from '../html.js'

export interface PeerViewPageInfo {
  name: string
  version: string
  peerId: string
  telemetryPath: string
  /** false under --web.disable-peer-api: no table, and the page says why. */
  peerApi: boolean
}

/** Everything from this origin only: no inline script or style, no framing, no plugins, no forms. */
export const PEER_VIEW_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

/** Where the page's assets are served (exact paths; a query string only busts caches). */
export const ASSET_PREFIX = '/peer-view/'

export function peerViewPage (info: PeerViewPageInfo): string {
  const e = escapeHtml
  const v = encodeURIComponent(info.version)
  const asset = (file: string): string => `${ASSET_PREFIX}${file}?v=${v}`
  const peersSection = info.peerApi
    ? `<section id="peers-section" class="panel wide" aria-labelledby="peers-title">
<div class="panel-head"><h2 id="peers-title">Connected peers</h2>
<input id="peer-filter" type="search" placeholder="Filter: peer ID, agent, address, transport, direction" aria-label="Filter peers" maxlength="128" autocomplete="off">
</div>
<div class="table-wrap"><table id="peers">
<thead><tr>
<th><button type="button" data-sort="peerId">Peer ID</button></th>
<th><button type="button" data-sort="agent">Agent</button></th>
<th><button type="button" data-sort="direction">Direction</button></th>
<th><button type="button" data-sort="transport">Transport / muxer</button></th>
<th class="num"><button type="button" data-sort="age">Session age</button></th>
<th class="num"><button type="button" data-sort="rtt">RTT</button></th>
<th class="num"><button type="button" data-sort="sessions">Sessions</button></th>
<th><button type="button" data-sort="flapping">Flapping</button></th>
</tr></thead>
<tbody></tbody>
</table></div>
<div class="pager"><button type="button" id="page-prev">&larr; Previous</button><span id="page-info">&nbsp;</span><button type="button" id="page-next">Next &rarr;</button></div>
</section>
<section id="peer-detail" class="panel wide" hidden aria-labelledby="detail-title">
<div class="panel-head"><h2 id="detail-title">Peer</h2><button type="button" id="detail-close">Close</button></div>
<dl id="detail-facts"></dl>
<h3>Recent sessions</h3>
<div class="table-wrap"><table id="detail-history"><thead><tr><th>Start</th><th>End</th><th class="num">Duration</th><th>Direction</th><th>Close reason</th></tr></thead><tbody></tbody></table></div>
</section>`
    : `<section id="peers-section" class="panel wide" aria-labelledby="peers-title">
<h2 id="peers-title">Connected peers</h2>
<p id="peers-off" class="notice">The peer table is off: this tracker runs with <code>--web.disable-peer-api</code>, so it does not serve per-peer details (they include peers' IP addresses). The counts and charts above still come from the tracker.</p>
</section>`

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(info.name)}: peers</title>
<link rel="icon" href="${asset('icon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${asset('uPlot.min.css')}">
<link rel="stylesheet" href="${asset('peer-view.css')}">
<script src="${asset('uPlot.iife.min.js')}" defer></script>
<script src="${asset('peer-view.js')}" defer></script>
</head>
<body data-peer-api="${info.peerApi ? 'on' : 'off'}">
<header>
<h1>${e(info.name)}</h1>
<p class="meta">Version ${e(info.version)}. Peer ID <code id="own-peer-id">${e(info.peerId)}</code></p>
<nav><ul>
<li><a href="${e(info.telemetryPath)}">Metrics</a> (Prometheus text format or OpenMetrics)</li>
<li><a href="/api/v1/status">Status</a>${info.peerApi ? ' and <a href="/api/v1/peers">connected peers</a>' : ''} (JSON)</li>
<li><a href="/api/v1/overview">Overview</a> and <a href="/api/v1/history">peer count history</a> (JSON)</li>
<li><a href="/-/healthy">Healthy</a> and <a href="/-/ready">ready</a> checks</li>
</ul></nav>
</header>
<main>
<section class="cards" aria-label="Now">
<div class="card"><span class="label">Connected peers</span><span class="value" id="connected-now">&ndash;</span></div>
<div class="card"><span class="label">Open connections</span><span class="value" id="connections-now">&ndash;</span></div>
<div class="card"><span class="label">Sessions opened / closed</span><span class="value" id="sessions-total">&ndash;</span></div>
<div class="card"><span class="label">Flapping peers</span><span class="value" id="flapping-now">&ndash;</span></div>
<div class="card"><span class="label">Dials succeeded / failed</span><span class="value" id="dials-total">&ndash;</span></div>
</section>
<section class="panel" aria-labelledby="count-title"><h2 id="count-title">Connected peers, last hour</h2><div class="chart" id="chart-peers"></div></section>
<section class="panel" aria-labelledby="churn-title"><h2 id="churn-title">Sessions opened and closed per minute</h2><div class="chart" id="chart-churn"></div><p class="hint" id="churn-hint">Whole minutes only: the first bar appears after a minute.</p></section>
<section class="panel" aria-labelledby="agents-title"><h2 id="agents-title">Agent families</h2><div id="agent-families" class="bars"></div></section>
<section class="panel" aria-labelledby="dials-title"><h2 id="dials-title">Dial failures by reason</h2><div id="dial-errors" class="bars"></div></section>
${peersSection}
</main>
<footer><span id="refresh-status">Loading&hellip;</span></footer>
</body>
</html>
`
}
