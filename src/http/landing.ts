/** The landing page at `/`: what this is and where the metrics are. */
import { escapeHtml } from './html.js'

export interface LandingInfo {
  name: string
  version: string
  peerId: string
  telemetryPath: string
}

export function landingPage (info: LandingInfo): string {
  const e = escapeHtml
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${e(info.name)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5}code{word-break:break-all}</style></head>
<body>
<h1>${e(info.name)}</h1>
<p>Version ${e(info.version)}. Peer ID <code>${e(info.peerId)}</code></p>
<ul>
<li><a href="${e(info.telemetryPath)}">Metrics</a> (Prometheus text format or OpenMetrics)</li>
<li><a href="/api/v1/status">Status</a> and <a href="/api/v1/peers">connected peers</a> (JSON)</li>
<li><a href="/-/healthy">Healthy</a> and <a href="/-/ready">ready</a> checks</li>
</ul>
</body>
</html>
`
}
