/**
 * The project's Alertmanager routing and inhibit rules, in a real Alertmanager (Debian's
 * 0.25) with a webhook receiver in the test. Alerts are posted through the API as
 * Prometheus would post them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listAlerts, postAlerts, startTestAlertmanager, type TestAlertmanager } from '../support/stack/alertmanager.js'
import { SERVER_POLL, waitFor } from '../support/wait.js'
import { startWebhookReceiver, type WebhookReceiver } from '../support/stack/webhook.js'

let webhook: WebhookReceiver
let alertmanager: TestAlertmanager

beforeAll(async () => {
  webhook = await startWebhookReceiver()
  alertmanager = await startTestAlertmanager(webhook.url)
})

afterAll(async () => {
  await alertmanager?.stop()
  await webhook?.close()
})

const job = 'libp2p-peer-tracker'
const alert = (alertname: string, instance: string, severity: string) => ({
  labels: { alertname, job, instance, severity },
  annotations: { summary: `${alertname} on ${instance}` }
})

describe('alertmanager/alertmanager.yml in a real Alertmanager', () => {
  it('holds back the peer alerts of a target that is down, and only of that target', async () => {
    await postAlerts(alertmanager.url, [
      alert('LibP2PTrackerTargetDown', 'a:9089', 'critical'),
      alert('LibP2PTrackerPeerCountDrop', 'a:9089', 'warning'),
      alert('LibP2PTrackerChurnHigh', 'a:9089', 'warning'),
      alert('LibP2PTrackerFlappingSpike', 'a:9089', 'warning'),
      alert('LibP2PTrackerDialFailureRatioHigh', 'a:9089', 'warning'),
      alert('LibP2PTrackerInboundGone', 'a:9089', 'warning'),
      alert('LibP2PTrackerNoPeers', 'b:9089', 'critical'),
      alert('LibP2PTrackerPeersBelowFloor', 'b:9089', 'warning'),
      alert('LibP2PTrackerPeersBelowFloor', 'c:9089', 'warning')
    ])
    const key = (labels: Record<string, string>) => `${labels.alertname ?? ''}@${labels.instance ?? ''}`
    const states = await waitFor('Alertmanager to process the alerts', async () => {
      const alerts = await listAlerts(alertmanager.url)
      if (alerts.length < 9 || alerts.some((a) => a.status.state === 'unprocessed')) return undefined
      return Object.fromEntries(alerts.map((a) => [key(a.labels), a.status.inhibitedBy.length > 0 ? 'inhibited' : a.status.state]))
    }, SERVER_POLL)
    expect(states).toEqual({
      'LibP2PTrackerTargetDown@a:9089': 'active',
      'LibP2PTrackerPeerCountDrop@a:9089': 'inhibited',
      'LibP2PTrackerChurnHigh@a:9089': 'inhibited',
      'LibP2PTrackerFlappingSpike@a:9089': 'inhibited',
      'LibP2PTrackerDialFailureRatioHigh@a:9089': 'inhibited',
      'LibP2PTrackerInboundGone@a:9089': 'inhibited',
      'LibP2PTrackerNoPeers@b:9089': 'active',
      // NoPeers says it all for b; c has no NoPeers alert and is notified.
      'LibP2PTrackerPeersBelowFloor@b:9089': 'inhibited',
      'LibP2PTrackerPeersBelowFloor@c:9089': 'active'
    })

    const notified = await waitFor('the webhook to receive the three active alerts', () => {
      const names = new Set(webhook.alerts().map((a) => key(a.labels)))
      return names.size >= 3 ? names : undefined
    }, SERVER_POLL)
    expect([...notified].sort()).toEqual([
      'LibP2PTrackerNoPeers@b:9089', 'LibP2PTrackerPeersBelowFloor@c:9089', 'LibP2PTrackerTargetDown@a:9089'
    ])
    // One notification per alert and tracker (group_by alertname, job, instance).
    for (const notification of webhook.notifications) {
      expect(Object.keys(notification.groupLabels).sort()).toEqual(['alertname', 'instance', 'job'])
      expect(notification.receiver).toBe('default')
    }
  })

  it('holds back the peer alerts of a tracker whose source is down, and only of that tracker; and SourceDown itself while the target is down', async () => {
    // h polls a beacon node that does not answer; i polls one that does; j cannot be scraped at all.
    await postAlerts(alertmanager.url, [
      alert('LibP2PTrackerSourceDown', 'h:9089', 'warning'),
      alert('LibP2PTrackerNoPeers', 'h:9089', 'critical'),
      alert('LibP2PTrackerPeersBelowFloor', 'h:9089', 'warning'),
      alert('LibP2PTrackerPeerCountDrop', 'h:9089', 'warning'),
      alert('LibP2PTrackerChurnHigh', 'h:9089', 'warning'),
      alert('LibP2PTrackerFlappingSpike', 'h:9089', 'warning'),
      alert('LibP2PTrackerInboundGone', 'h:9089', 'warning'),
      alert('LibP2PTrackerInternalErrors', 'h:9089', 'warning'),
      alert('LibP2PTrackerChurnHigh', 'i:9089', 'warning'),
      alert('LibP2PTrackerTargetDown', 'j:9089', 'critical'),
      alert('LibP2PTrackerSourceDown', 'j:9089', 'warning')
    ])
    const key = (labels: Record<string, string>) => `${labels.alertname ?? ''}@${labels.instance ?? ''}`
    const mine = (labels: Record<string, string>) => ['h:9089', 'i:9089', 'j:9089'].includes(labels.instance ?? '')
    const states = await waitFor('Alertmanager to process the alerts', async () => {
      const alerts = (await listAlerts(alertmanager.url)).filter((a) => mine(a.labels))
      if (alerts.length < 11 || alerts.some((a) => a.status.state === 'unprocessed')) return undefined
      return Object.fromEntries(alerts.map((a) => [key(a.labels), a.status.inhibitedBy.length > 0 ? 'inhibited' : a.status.state]))
    }, SERVER_POLL)
    expect(states).toEqual({
      'LibP2PTrackerSourceDown@h:9089': 'active',
      'LibP2PTrackerNoPeers@h:9089': 'inhibited',
      'LibP2PTrackerPeersBelowFloor@h:9089': 'inhibited',
      'LibP2PTrackerPeerCountDrop@h:9089': 'inhibited',
      'LibP2PTrackerChurnHigh@h:9089': 'inhibited',
      'LibP2PTrackerFlappingSpike@h:9089': 'inhibited',
      'LibP2PTrackerInboundGone@h:9089': 'inhibited',
      // Not a peer alert: the tracker's own errors are notified.
      'LibP2PTrackerInternalErrors@h:9089': 'active',
      // Another tracker's peer alert is notified.
      'LibP2PTrackerChurnHigh@i:9089': 'active',
      'LibP2PTrackerTargetDown@j:9089': 'active',
      'LibP2PTrackerSourceDown@j:9089': 'inhibited'
    })
  })

  it('holds back a tiered warning while its critical alert fires, and target flapping during a crash loop', async () => {
    await postAlerts(alertmanager.url, [
      alert('LibP2PTrackerNoPeers', 'd:9089', 'warning'),
      alert('LibP2PTrackerNoPeers', 'd:9089', 'critical'),
      alert('LibP2PTrackerPeersBelowFloor', 'e:9089', 'warning'),
      alert('LibP2PTrackerCrashLooping', 'f:9089', 'critical'),
      alert('LibP2PTrackerTargetFlapping', 'f:9089', 'warning'),
      alert('LibP2PTrackerTargetFlapping', 'g:9089', 'warning')
    ])
    const key = (labels: Record<string, string>) => `${labels.alertname ?? ''}/${labels.severity ?? ''}@${labels.instance ?? ''}`
    const mine = (labels: Record<string, string>) => ['d:9089', 'e:9089', 'f:9089', 'g:9089'].includes(labels.instance ?? '')
    const states = await waitFor('Alertmanager to process the alerts', async () => {
      const alerts = (await listAlerts(alertmanager.url)).filter((a) => mine(a.labels))
      if (alerts.length < 6 || alerts.some((a) => a.status.state === 'unprocessed')) return undefined
      return Object.fromEntries(alerts.map((a) => [key(a.labels), a.status.inhibitedBy.length > 0 ? 'inhibited' : a.status.state]))
    }, SERVER_POLL)
    expect(states).toEqual({
      'LibP2PTrackerNoPeers/critical@d:9089': 'active',
      'LibP2PTrackerNoPeers/warning@d:9089': 'inhibited',
      // No critical alert of that name on e: its warning is notified.
      'LibP2PTrackerPeersBelowFloor/warning@e:9089': 'active',
      'LibP2PTrackerCrashLooping/critical@f:9089': 'active',
      'LibP2PTrackerTargetFlapping/warning@f:9089': 'inhibited',
      'LibP2PTrackerTargetFlapping/warning@g:9089': 'active'
    })
  })
})
