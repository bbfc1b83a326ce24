/**
 * The Beacon API source against real consensus clients: a Lodestar 1.5.1 devnet of three nodes
 * on 127.0.0.1 (test/support/lodestar/devnet.ts; installed by test/support/lodestar/install.sh,
 * which .ci/run calls), and the built CLI watching node 0's REST API with
 * --source=beacon-api. Exact counts as a peer node stops and returns with the same peer ID, its
 * history, the per-peer and session families, promtool, the peer view, and an API outage
 * (node 0 frozen with SIGSTOP) that closes nothing but the peer really gone, as `source_gap`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sumOf, parseExposition, samplesOf, valueOf } from '../support/exposition.js'
import { statusOf } from '../support/http.js'
import { startDevnet } from '../support/lodestar/devnet.js'
import { freePort } from '../support/ports.js'
import { lintFindings } from '../support/promtool.js'
import { scratchDir } from '../support/scratch.js'
import { runCli } from '../support/tracker.js'
import { waitFor } from '../support/wait.js'
import type { Exposition } from '../support/exposition.js'
import type { WaitOptions } from '../support/wait.js'
import type { Devnet } from '../support/lodestar/devnet.js'
import type { CliRun } from '../support/tracker.js'

/** The tracker's poll interval in this test, in seconds. */
const INTERVAL_S = 1
/** Each test waits on real nodes stopping and starting: minutes on a loaded machine. */
const TEST_TIMEOUT_MS = 300_000
/** Waits on the tracker: many intervals, for a loaded 2-core machine. */
const TRACKER_WAIT = { timeoutMs: 45_000, intervalMs: 100, retryErrors: true } as const
/** Waits on Lodestar itself (a node leaving a peer list, a restarted node peering again). */
const LODESTAR_WAIT = { timeoutMs: 120_000, intervalMs: 250, retryErrors: true } as const

const scratch = scratchDir('libp2p-tracker-lodestar-')

interface SessionHistory { start: string, end: string | null, durationSeconds: number, direction: string, closeReason: string | null }
interface PeerDetail {
  peerId: string
  connected: boolean
  peer: { agentFamily: string, agentVersion: string | null } | null
  sessions: number
  history: SessionHistory[]
}

let devnet: Devnet | undefined
let tracker: CliRun | undefined
let url = ''
let trackerStartedAt = 0

function net (): Devnet {
  if (devnet === undefined) throw new Error('the devnet did not start')
  return devnet
}

async function scrapeText (): Promise<string> {
  const response = await fetch(`${url}/metrics`)
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`)
  return await response.text()
}

async function scrape (): Promise<Exposition> {
  return parseExposition(await scrapeText())
}

async function getJson<T> (path: string): Promise<T> {
  const response = await fetch(`${url}${path}`)
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`)
  return await response.json() as T
}

/** Scrapes until `check` accepts the exposition; returns that exposition. */
async function scrapeUntil (what: string, check: (m: Exposition) => boolean, options: WaitOptions = TRACKER_WAIT): Promise<Exposition> {
  return await waitFor(what, async () => { const m = await scrape(); return check(m) ? m : false }, options)
}

const connected = (m: Exposition): number | undefined => valueOf(m, 'libp2p_tracker_connected_peers')
const connects = (m: Exposition): number => sumOf(m, 'libp2p_tracker_peer_connects_total')
const disconnects = (m: Exposition): number => sumOf(m, 'libp2p_tracker_peer_disconnects_total')
const successfulPolls = (m: Exposition): number => valueOf(m, 'libp2p_tracker_source_polls_total', { result: 'success' }) ?? 0
const failedPolls = (m: Exposition): number => sumOf(m, 'libp2p_tracker_source_polls_total') - successfulPolls(m)
const lastSuccess = (m: Exposition): number => valueOf(m, 'libp2p_tracker_source_last_success_timestamp_seconds') ?? 0
const sourceGapCloses = (m: Exposition): number => valueOf(m, 'libp2p_tracker_connection_close_reasons_total', { reason: 'source_gap' }) ?? 0
const peerAge = (m: Exposition, peerId: string): number | undefined => valueOf(m, 'libp2p_tracker_peer_connection_duration_seconds', { peer_id: peerId })
const peerSeries = (m: Exposition): string[] => samplesOf(m, 'libp2p_tracker_peer_connection_duration_seconds').map(s => s.labels.peer_id ?? '').sort()

/** Node 0's own view: the peer IDs it lists as connected (GET /eth/v1/node/peers?state=connected). */
async function node0Peers (): Promise<string[]> {
  return (await net().nodes[0]?.connectedPeers() ?? []).map(p => p.peer_id).sort()
}

/** Waits for `n` more successful polls than `m` shows, and returns that scrape. */
async function afterSuccessfulPolls (m: Exposition, n: number): Promise<Exposition> {
  const from = successfulPolls(m)
  return await scrapeUntil(`${n} more successful polls`, next => successfulPolls(next) >= from + n)
}

beforeAll(async () => {
  devnet = await startDevnet({ dir: scratch() })
  const port = await freePort()
  url = `http://127.0.0.1:${port}`
  trackerStartedAt = Date.now()
  tracker = runCli([
    `--web.listen-address=127.0.0.1:${port}`,
    '--source=beacon-api',
    `--source.url=${devnet.nodes[0]?.restUrl ?? ''}`,
    `--source.poll-interval=${INTERVAL_S}s`,
    // Shorter than the interval (polls never overlap); Lodestar answers in milliseconds.
    '--source.timeout=900ms'
  ])
  const run = tracker
  await waitFor('the tracker to serve /metrics', async () => {
    if (run.exitedYet()) throw new Error(`the tracker exited: ${run.output()}`)
    return run.logs().some(l => l.msg === 'serving metrics') && await statusOf(`${url}/-/healthy`) === 200
  }, 45_000)
}, 420_000)

afterAll(async () => {
  await tracker?.stop()
  await devnet?.stop()
}, 120_000)

describe('the Beacon API source watching a real Lodestar 1.5.1 devnet', () => {
  it('counts exactly the peers node 0 lists, under agent family lodestar, with one age series each', async () => {
    const [first, second, third] = net().nodes
    if (first === undefined || second === undefined || third === undefined) throw new Error('a devnet of 3')
    const followers = [second.peerId, third.peerId].sort()
    expect(await node0Peers()).toEqual(followers)
    expect(await first.connectedCount()).toBe(2)

    // The tracker's count equals node 0's own once it has polled; the peers are the same ones.
    const m = await scrapeUntil('the tracker to count node 0\'s peers', next => connected(next) === 2 && valueOf(next, 'libp2p_tracker_source_up') === 1)
    expect(valueOf(m, 'libp2p_tracker_source_poll_interval_seconds')).toBe(INTERVAL_S)
    const info = samplesOf(m, 'libp2p_tracker_source_info')
    expect(info).toHaveLength(1)
    // From GET /eth/v1/node/version: "Lodestar/v1.5.1/2115aa7".
    expect(info[0]?.labels).toEqual({ source: 'beacon-api', client: 'lodestar', version: '1.5' })
    expect(info[0]?.value).toBe(1)
    // The devnet peered before the tracker started: two sessions opened, none closed.
    expect(connects(m)).toBe(2)
    expect(disconnects(m)).toBe(0)
    expect(sumOf(m, 'libp2p_tracker_peer_session_duration_seconds_count')).toBe(0)
    const listed = (await getJson<Array<{ peerId: string }>>('/api/v1/peers')).map(p => p.peerId).sort()
    expect(listed).toEqual(followers)

    // One age series per connected peer, no more; an age, bounded by the tracker's own life.
    expect(peerSeries(m)).toEqual(followers)
    const later = await afterSuccessfulPolls(m, 2)
    for (const id of followers) {
      const age = peerAge(later, id) as number
      expect(age).toBeGreaterThan(0)
      expect(age).toBeGreaterThanOrEqual(peerAge(m, id) as number)
      expect(age).toBeLessThanOrEqual((Date.now() - trackerStartedAt) / 1000)
    }

    // Identified from Lodestar's /eth/v1/lodestar/peers: both are lodestar.
    await scrapeUntil('both peers under agent family lodestar', next =>
      sumOf(next, 'libp2p_tracker_peers_by_agent') === 2 && samplesOf(next, 'libp2p_tracker_peers_by_agent').filter(s => s.labels.agent === 'lodestar').reduce((n, s) => n + s.value, 0) === 2)
  }, TEST_TIMEOUT_MS)

  it('counts a peer node that stops once, and once more when it returns with the same peer ID; its history has both sessions', async () => {
    const [, second, third] = net().nodes
    if (second === undefined || third === undefined) throw new Error('a devnet of 3')
    const leaving = third.peerId
    const staying = second.peerId
    const before = await scrapeUntil('node 2\'s age series', m => connected(m) === 2 && peerAge(m, leaving) !== undefined)
    const ageBefore = peerAge(before, leaving) as number

    await net().stopNode(2)
    await waitFor('node 0 to drop node 2', async () => (await node0Peers()).length === 1, LODESTAR_WAIT)
    const closed = await scrapeUntil('the tracker to close node 2\'s session', m => connected(m) === 1 && disconnects(m) > disconnects(before))
    expect(disconnects(closed)).toBe(disconnects(before) + 1)
    expect(connects(closed)).toBe(connects(before))
    // The finished session is in the histogram: one more, at least as long as its age was.
    const count = (m: Exposition): number => sumOf(m, 'libp2p_tracker_peer_session_duration_seconds_count')
    const sum = (m: Exposition): number => sumOf(m, 'libp2p_tracker_peer_session_duration_seconds_sum')
    expect(count(closed)).toBe(count(before) + 1)
    expect(sum(closed) - sum(before)).toBeGreaterThanOrEqual(ageBefore)
    expect(sum(closed) - sum(before)).toBeLessThanOrEqual((Date.now() - trackerStartedAt) / 1000)
    expect(peerSeries(closed)).toEqual([staying])
    // Polls that still do not list it count nothing more.
    const steady = await afterSuccessfulPolls(closed, 3)
    expect(disconnects(steady)).toBe(disconnects(before) + 1)
    expect(connected(steady)).toBe(1)

    await net().startNode(2)
    expect(third.peerId).toBe(leaving)
    await net().waitPeered(LODESTAR_WAIT.timeoutMs)
    const back = await scrapeUntil('the tracker to see node 2 again', m => connected(m) === 2 && connects(m) > connects(closed))
    expect(connects(back)).toBe(connects(before) + 1)
    expect(disconnects(back)).toBe(disconnects(before) + 1)
    expect(valueOf(back, 'libp2p_tracker_returning_peers_total')).toBe((valueOf(before, 'libp2p_tracker_returning_peers_total') ?? 0) + 1)
    expect(peerSeries(back)).toEqual([leaving, staying].sort())
    // A new session: younger than the one that stayed.
    expect(peerAge(back, leaving) as number).toBeLessThan(peerAge(back, staying) as number)

    const detail = await waitFor('node 2\'s history under agent family lodestar', async () => {
      const d = await getJson<PeerDetail>(`/api/v1/peers/${leaving}`)
      return d.peer?.agentFamily === 'lodestar' ? d : false
    }, TRACKER_WAIT)
    expect(detail.connected).toBe(true)
    expect(detail.peer?.agentVersion).toMatch(/^lodestar\/v1\.5\.1/)
    expect(detail.sessions).toBe(2)
    expect(detail.history).toHaveLength(2)
    const [current, previous] = detail.history as [SessionHistory, SessionHistory]
    expect(current.end).toBeNull()
    expect(previous.end).not.toBeNull()
    expect(Date.parse(previous.end as string)).toBeLessThanOrEqual(Date.parse(current.start))
    expect(previous.durationSeconds).toBeGreaterThanOrEqual(ageBefore)
  }, TEST_TIMEOUT_MS)

  it('passes promtool check metrics in every libp2p_tracker_* family', async () => {
    await scrapeUntil('the devnet peered again', m => connected(m) === 2)
    const findings = await lintFindings(await scrapeText())
    expect(findings.filter(line => line.includes('libp2p_tracker_'))).toEqual([])
  }, TEST_TIMEOUT_MS)

  it('lists the peers in the peer view', async () => {
    const page = await fetch(`${url}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    // The page fills its peer table from /api/v1/peer-table (test/e2e/web-peer-view.test.ts runs it in a browser).
    expect(await page.text()).toContain('<table id="peers">')
    const expected = await node0Peers()
    const table = await waitFor('the peer table to list node 0\'s peers', async () => {
      const t = await getJson<{ connectedPeers: number, rows: Array<{ peerId: string, agentFamily: string, sessions: number }> }>('/api/v1/peer-table')
      return t.rows.map(r => r.peerId).sort().join() === expected.join() ? t : false
    }, TRACKER_WAIT)
    expect(table.connectedPeers).toBe(2)
    expect(table.rows.map(r => r.agentFamily)).toEqual(['lodestar', 'lodestar'])
    const overview = await getJson<{ connectedPeers: number, agentFamilies: Array<{ family: string, peers: number }> }>('/api/v1/overview')
    expect(overview.connectedPeers).toBe(2)
    expect(overview.agentFamilies).toEqual([{ family: 'lodestar', peers: 2 }])
  }, TEST_TIMEOUT_MS)

  it('closes nothing while node 0\'s API is down, and only the peer really gone, as source_gap, when it answers again', async () => {
    const [, second, third] = net().nodes
    if (second === undefined || third === undefined) throw new Error('a devnet of 3')
    const staying = second.peerId
    const leaving = third.peerId
    const before = await scrapeUntil('both peers counted, the source up', m => connected(m) === 2 && valueOf(m, 'libp2p_tracker_source_up') === 1)
    const stayingBefore = await getJson<PeerDetail>(`/api/v1/peers/${staying}`)

    net().freeze(0)
    try {
      const down = await scrapeUntil('libp2p_tracker_source_up to go 0', m => valueOf(m, 'libp2p_tracker_source_up') === 0)
      // Node 2 leaves while nobody can ask node 0.
      await net().stopNode(2)
      // Several more intervals of unanswered polls, all of them sent after node 2 left (so
      // none queued at node 0 from before can be answered with node 2 still in its list).
      const during = await scrapeUntil('3 more failed polls', m => failedPolls(m) >= failedPolls(down) + 3, { ...TRACKER_WAIT, timeoutMs: 60_000 })
      expect(valueOf(during, 'libp2p_tracker_source_up')).toBe(0)
      // The freshness a dashboard shows: no success since node 0 froze.
      expect(lastSuccess(during)).toBe(lastSuccess(down))
      expect(lastSuccess(down)).toBeGreaterThanOrEqual(lastSuccess(before))
      // Stale, not emptied: the account stays at what was last known.
      expect(connected(during)).toBe(2)
      expect(disconnects(during)).toBe(disconnects(before))
      expect(sourceGapCloses(during)).toBe(sourceGapCloses(before))
      expect(peerSeries(during)).toEqual([leaving, staying].sort())
    } finally {
      net().thaw(0)
    }

    const up = await scrapeUntil('libp2p_tracker_source_up to go 1 again', m => valueOf(m, 'libp2p_tracker_source_up') === 1, { ...TRACKER_WAIT, timeoutMs: 90_000 })
    expect(lastSuccess(up)).toBeGreaterThan(lastSuccess(before))
    expect(lastSuccess(up)).toBeLessThanOrEqual(Date.now() / 1000)
    expect(await node0Peers()).toEqual([staying])
    const after = await scrapeUntil('node 2 closed', m => connected(m) === 1)
    // Exactly one close, node 2's, with its own reason; node 1's session went on.
    expect(disconnects(after)).toBe(disconnects(before) + 1)
    expect(sourceGapCloses(after)).toBe(sourceGapCloses(before) + 1)
    expect(connects(after)).toBe(connects(before))
    expect(sumOf(after, 'libp2p_tracker_source_node_changes_total')).toBe(0)
    expect(peerSeries(after)).toEqual([staying])
    const stayingAfter = await getJson<PeerDetail>(`/api/v1/peers/${staying}`)
    expect(stayingAfter.connected).toBe(true)
    expect(stayingAfter.sessions).toBe(stayingBefore.sessions)
    expect(stayingAfter.history[0]?.start).toBe(stayingBefore.history[0]?.start)
    const gone = await getJson<PeerDetail>(`/api/v1/peers/${leaving}`)
    expect(gone.connected).toBe(false)
    expect(gone.history[0]?.closeReason).toBe('source_gap')
    // And it stays that way.
    const steady = await afterSuccessfulPolls(after, 3)
    expect(disconnects(steady)).toBe(disconnects(before) + 1)
    expect(sourceGapCloses(steady)).toBe(sourceGapCloses(before) + 1)
  }, TEST_TIMEOUT_MS)
})
