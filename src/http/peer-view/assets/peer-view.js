// The live peer view (served at /peer-view/peer-view.js; no build step, no dependency but uPlot).
// Type-checked by `npm run typecheck` (tsconfig.browser.json: checkJs with the DOM library).
// Polls the tracker's JSON every few seconds and redraws in place. Never writes HTML from data:
// agent strings and addresses come from peers, so they go in as text only.
'use strict'
;(() => {
  /** Every 5 s, or every ?refresh=N seconds (1 to 60). */
  const REFRESH_MS = (() => {
    const asked = Number(new URLSearchParams(window.location.search).get('refresh'))
    return Number.isFinite(asked) && asked >= 1 && asked <= 60 ? Math.round(asked * 1000) : 5000
  })()
  const FILTER_DEBOUNCE_MS = 250
  const PAGE_SIZE = 50
  /** The order a column starts in when first clicked. */
  const FIRST_ORDER = { peerId: 'asc', agent: 'asc', direction: 'asc', transport: 'asc', age: 'desc', rtt: 'asc', sessions: 'desc', flapping: 'desc' }

  const body = document.body
  const peerApi = body.dataset.peerApi === 'on'
  const byId = (id) => document.getElementById(id)
  const tableById = (id) => /** @type {HTMLTableElement} */ (byId(id))
  const buttonById = (id) => /** @type {HTMLButtonElement} */ (byId(id))
  /** uPlot, loaded before this script by its own <script> element. */
  const UPlot = /** @type {typeof import('uplot')} */ (/** @type {any} */ (window).uPlot)

  const state = {
    sort: 'age',
    order: 'desc',
    offset: 0,
    filter: '',
    total: 0,
    tableSeq: 0,
    detailId: null,
    detailSeq: 0,
    lastT: null,
    series: { t: [], peers: [] },
    capacity: 720,
    refreshes: 0
  }
  let charts = null
  let timer = null

  // --- formatting ----------------------------------------------------------------------------
  const num = (n) => Number(n).toLocaleString('en-US')
  function duration (seconds) {
    const s = Math.floor(seconds)
    if (s < 60) return `${s}s`
    const m = Math.floor(s / 60)
    if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`
    const h = Math.floor(m / 60)
    if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`
    return `${Math.floor(h / 24)}d ${String(h % 24).padStart(2, '0')}h`
  }
  const rtt = (ms) => ms === null || ms === undefined ? '–' : ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`
  const shortId = (id) => id.length > 20 ? `${id.slice(0, 10)}…${id.slice(-6)}` : id
  const time = (iso) => iso === null ? '–' : new Date(iso).toLocaleString()

  function el (tag, text, className) {
    const node = document.createElement(tag)
    if (text !== undefined && text !== null) node.textContent = String(text)
    if (className) node.className = className
    return node
  }

  async function getJson (url) {
    const response = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' })
    if (!response.ok) throw new Error(`${url.split('?')[0]} answered ${response.status}`)
    return await response.json()
  }

  // --- overview: cards and bars --------------------------------------------------------------
  function bars (container, items, emptyText) {
    const max = Math.max(1, ...items.map(i => i.value))
    const rows = items.map(item => {
      const row = el('div', null, 'bar-row')
      row.dataset.key = item.key
      row.append(el('span', item.key, 'bar-label'))
      const track = el('span', null, 'bar-track')
      const fill = el('span', null, 'bar-fill')
      fill.style.width = `${(item.value / max) * 100}%` // CSSOM, allowed by the page's style-src 'self'
      track.append(fill)
      row.append(track, el('span', num(item.value), 'bar-value'))
      return row
    })
    container.replaceChildren(...(rows.length > 0 ? rows : [el('p', emptyText, 'hint')]))
  }

  async function refreshOverview () {
    const o = await getJson('/api/v1/overview')
    byId('connected-now').textContent = num(o.connectedPeers)
    byId('connections-now').textContent = num(o.openConnections)
    byId('sessions-total').textContent = `${num(o.sessionsOpened)} / ${num(o.sessionsClosed)}`
    byId('flapping-now').textContent = num(o.flappingPeers)
    byId('dials-total').textContent = `${num(o.dials.success)} / ${num(o.dials.failure)}`
    bars(byId('agent-families'), o.agentFamilies.map(f => ({ key: f.family, value: f.peers })), 'No peers connected.')
    bars(byId('dial-errors'), o.dialErrors.filter(d => d.count > 0).map(d => ({ key: d.reason, value: d.count })), 'No failed dials.')
  }

  // --- history: two uPlot charts --------------------------------------------------------------
  function chartWidth (id) {
    return Math.max(280, byId(id).clientWidth)
  }

  /** Time labels as 24-hour clock times (seconds only when the ticks are less than a minute apart). */
  function clockLabels (_u, splits) {
    const step = splits.length > 1 ? splits[1] - splits[0] : 60
    /** @type {Intl.DateTimeFormatOptions} */
    const format = { hour: '2-digit', minute: '2-digit', hour12: false }
    if (step < 60) format.second = '2-digit'
    return splits.map(s => new Date(s * 1000).toLocaleTimeString('en-GB', format))
  }

  function makeCharts () {
    const common = (id) => ({
      width: chartWidth(id),
      height: 220,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      axes: [{ values: clockLabels, space: 90 }, {}]
    })
    const peers = new UPlot({
      ...common('chart-peers'),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
      series: [{}, { label: 'Connected peers', stroke: '#2563eb', fill: 'rgba(37, 99, 235, 0.12)', width: 2, value: (_u, v) => v === null ? '–' : num(v) }]
    }, [[], []], byId('chart-peers'))
    const bar = (align) => UPlot.paths.bars({ size: [0.4, 24], align })
    const churn = new UPlot({
      ...common('chart-churn'),
      scales: {
        // Half a minute of room on each side, so the first and last minutes' bars are whole.
        x: { time: true, range: (_u, min, max) => min === null || max === null ? [Date.now() / 1000 - 600, Date.now() / 1000] : [min - 30, max + 30] },
        y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] }
      },
      series: [{},
        { label: 'Opened', stroke: '#16a34a', fill: 'rgba(22, 163, 74, 0.55)', paths: bar(-1), points: { show: false } },
        { label: 'Closed', stroke: '#dc2626', fill: 'rgba(220, 38, 38, 0.55)', paths: bar(1), points: { show: false } }]
    }, [[], [], []], byId('chart-churn'))
    window.addEventListener('resize', () => {
      peers.setSize({ width: chartWidth('chart-peers'), height: 220 })
      churn.setSize({ width: chartWidth('chart-churn'), height: 220 })
    })
    return { peers, churn }
  }

  async function refreshHistory () {
    const since = state.lastT === null ? '' : `?since=${state.lastT}`
    const h = await getJson(`/api/v1/history${since}`)
    state.capacity = h.capacity
    const s = state.series
    s.t.push(...h.series.t)
    s.peers.push(...h.series.peers)
    const excess = s.t.length - state.capacity
    if (excess > 0) { s.t.splice(0, excess); s.peers.splice(0, excess) }
    if (s.t.length > 0) state.lastT = s.t[s.t.length - 1]
    if (charts === null) charts = makeCharts()
    charts.peers.setData([s.t, s.peers])
    charts.churn.setData([h.perMinute.t, h.perMinute.opened, h.perMinute.closed])
    byId('churn-hint').hidden = h.perMinute.t.length > 0
  }

  // --- the peer table --------------------------------------------------------------------------
  function tableUrl () {
    const q = new URLSearchParams({ sort: state.sort, order: state.order, limit: String(PAGE_SIZE), offset: String(state.offset) })
    if (state.filter !== '') q.set('filter', state.filter)
    return `/api/v1/peer-table?${q}`
  }

  function peerRow (p) {
    const tr = el('tr')
    tr.dataset.peerId = p.peerId
    tr.tabIndex = 0
    if (p.peerId === state.detailId) tr.className = 'selected'
    const idCell = el('td')
    idCell.append(el('code', shortId(p.peerId)))
    idCell.title = p.peerId
    const agent = el('td', p.agentVersion ?? 'not identified yet', p.agentVersion === null ? 'muted' : 'agent')
    agent.title = p.agentVersion ?? ''
    tr.append(
      idCell,
      agent,
      el('td', p.direction),
      el('td', p.transports.join(', ') + (p.connections > 1 ? ` (${p.connections} connections)` : '')),
      el('td', duration(p.ageSeconds), 'num'),
      el('td', rtt(p.rttMs), 'num'),
      el('td', num(p.sessions), 'num'),
      el('td', p.flapping ? 'flapping' : 'no', p.flapping ? 'flapping' : 'muted')
    )
    return tr
  }

  async function refreshTable () {
    const seq = ++state.tableSeq
    const t = await getJson(tableUrl())
    if (seq !== state.tableSeq) return // a newer request (sort, filter, page) answers instead
    if (t.rows.length === 0 && t.total > 0 && state.offset > 0) {
      // The page emptied (peers left): go back to the last page that has rows.
      state.offset = Math.max(0, Math.floor((t.total - 1) / PAGE_SIZE) * PAGE_SIZE)
      await refreshTable()
      return
    }
    state.total = t.total
    const tbody = tableById('peers').tBodies[0]
    if (t.rows.length === 0) {
      const tr = el('tr')
      const td = el('td', t.filter === '' ? 'No peers connected.' : 'No connected peer matches the filter.', 'muted')
      td.colSpan = 8
      tr.append(td)
      tbody.replaceChildren(tr)
    } else {
      tbody.replaceChildren(...t.rows.map(peerRow))
    }
    const first = t.rows.length === 0 ? 0 : t.offset + 1
    const filtered = t.filter === '' ? '' : ` (filtered from ${num(t.connectedPeers)})`
    byId('page-info').textContent = `${num(first)}–${num(t.offset + t.rows.length)} of ${num(t.total)}${filtered}`
    buttonById('page-prev').disabled = t.offset === 0
    buttonById('page-next').disabled = t.offset + t.rows.length >= t.total
    for (const th of tableById('peers').tHead.rows[0].cells) {
      const key = /** @type {HTMLElement} */ (th.firstElementChild).dataset.sort
      if (key === state.sort) th.setAttribute('aria-sort', state.order === 'asc' ? 'ascending' : 'descending')
      else th.removeAttribute('aria-sort')
    }
    body.dataset.tableSort = `${t.sort}:${t.order}`
  }

  // --- the detail view -------------------------------------------------------------------------
  function fact (dl, term, value) {
    dl.append(el('dt', term))
    const dd = el('dd')
    if (value instanceof Node) dd.append(value)
    else dd.textContent = value
    dl.append(dd)
  }

  async function refreshDetail () {
    const id = state.detailId
    if (id === null) return
    const seq = ++state.detailSeq
    const response = await fetch(`/api/v1/peers/${encodeURIComponent(id)}`, { headers: { accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' })
    if (seq !== state.detailSeq || id !== state.detailId) return
    if (response.status === 404) {
      // Neither connected nor remembered any more (--tracker.history-peers): say so and stop asking.
      state.detailId = null
      byId('detail-title').textContent = `Peer ${shortId(id)}: no longer connected or remembered`
      byId('detail-facts').replaceChildren()
      tableById('detail-history').tBodies[0].replaceChildren()
      return
    }
    if (!response.ok) throw new Error(`/api/v1/peers/{id} answered ${response.status}`)
    const d = await response.json()
    const section = byId('peer-detail')
    section.dataset.peerId = d.peerId
    section.dataset.connected = String(d.connected)
    byId('detail-title').textContent = `Peer ${shortId(d.peerId)}${d.connected ? '' : ' (disconnected)'}`
    const dl = byId('detail-facts')
    dl.replaceChildren()
    fact(dl, 'Peer ID', el('code', d.peerId))
    fact(dl, 'Connected', d.connected ? `yes, for ${duration(d.peer.durationSeconds)} (${d.peer.direction})` : `no; last seen ${time(d.lastSeen)}`)
    fact(dl, 'Agent', d.agentVersion ?? 'not identified')
    if (d.peer !== null) {
      fact(dl, 'Agent family', d.peer.agentFamilyVersion === null ? d.peer.agentFamily : `${d.peer.agentFamily} ${d.peer.agentFamilyVersion}`)
      fact(dl, 'Connections', d.peer.connections.map(c => `${c.direction} ${c.remoteAddr} (${c.transport}/${c.encryption}/${c.muxer})`).join('\n'))
      fact(dl, 'Protocols', d.peer.protocols.length === 0 ? 'none announced' : d.peer.protocols.join('\n'))
    }
    fact(dl, 'RTT', rtt(d.rttMs))
    fact(dl, 'Sessions', `${num(d.sessions)}${d.flapping ? ', flapping' : ''}`)
    const tbody = tableById('detail-history').tBodies[0]
    tbody.replaceChildren(...d.history.map(h => {
      const tr = el('tr')
      tr.append(el('td', time(h.start)), el('td', h.end === null ? 'open' : time(h.end)), el('td', duration(h.durationSeconds), 'num'), el('td', h.direction), el('td', h.closeReason ?? (h.end === null ? '–' : 'unknown')))
      return tr
    }))
    section.hidden = false
  }

  function openDetail (peerId) {
    state.detailId = peerId
    for (const tr of tableById('peers').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.peerId === peerId)
    refreshDetail().then(() => { byId('peer-detail').scrollIntoView({ block: 'nearest' }) }, showError)
  }

  // --- wiring and the refresh loop ---------------------------------------------------------------
  function showError (err) {
    byId('refresh-status').textContent = `Update failed: ${err instanceof Error ? err.message : String(err)}; retrying every ${REFRESH_MS / 1000} s.`
    byId('refresh-status').className = 'error'
  }

  async function refresh () {
    clearTimeout(timer)
    try {
      await Promise.all([refreshOverview(), refreshHistory(), peerApi ? refreshTable() : null, peerApi ? refreshDetail() : null])
      state.refreshes++
      body.dataset.refreshes = String(state.refreshes)
      byId('refresh-status').textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every ${REFRESH_MS / 1000} s.`
      byId('refresh-status').className = ''
    } catch (err) {
      showError(err)
    }
    timer = setTimeout(refresh, REFRESH_MS)
  }

  if (peerApi) {
    for (const button of document.querySelectorAll('#peers thead button[data-sort]')) {
      if (!(button instanceof HTMLButtonElement)) continue
      button.addEventListener('click', () => {
        const key = button.dataset.sort
        if (state.sort === key) state.order = state.order === 'asc' ? 'desc' : 'asc'
        else { state.sort = key; state.order = FIRST_ORDER[key] }
        state.offset = 0
        refreshTable().catch(showError)
      })
    }
    let debounce = null
    byId('peer-filter').addEventListener('input', (event) => {
      clearTimeout(debounce)
      debounce = setTimeout(() => {
        state.filter = /** @type {HTMLInputElement} */ (event.target).value.trim()
        state.offset = 0
        refreshTable().catch(showError)
      }, FILTER_DEBOUNCE_MS)
    })
    byId('page-prev').addEventListener('click', () => { state.offset = Math.max(0, state.offset - PAGE_SIZE); refreshTable().catch(showError) })
    byId('page-next').addEventListener('click', () => { state.offset += PAGE_SIZE; refreshTable().catch(showError) })
    const tbody = tableById('peers').tBodies[0]
    tbody.addEventListener('click', (event) => {
      const tr = /** @type {HTMLElement | null} */ (/** @type {Element} */ (event.target).closest('tr[data-peer-id]'))
      if (tr !== null) openDetail(tr.dataset.peerId)
    })
    tbody.addEventListener('keydown', (event) => {
      const tr = /** @type {HTMLElement | null} */ (/** @type {Element} */ (event.target).closest('tr[data-peer-id]'))
      if (tr !== null && (event.key === 'Enter' || event.key === ' ')) { event.preventDefault(); openDetail(tr.dataset.peerId) }
    })
    byId('detail-close').addEventListener('click', () => {
      state.detailId = null
      state.detailSeq++
      byId('peer-detail').hidden = true
      for (const tr of tbody.rows) tr.classList.remove('selected')
    })
  }

  refresh()
})()
