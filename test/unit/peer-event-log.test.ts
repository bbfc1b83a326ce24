import { afterEach, describe, expect, it, vi } from 'vitest'
import { PeerEventLog } from '../../src/service/peer-event-log.js'
import type { TrackerLogger } from '../../src/service/logger.js'

interface Line { level: string, message: string, fields: Record<string, unknown> }

function recorder (): { log: TrackerLogger, lines: Line[] } {
  const lines: Line[] = []
  const at = (level: string) => (fields: Record<string, unknown>, message: string): void => { lines.push({ level, message, fields }) }
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines }
}

describe('peer connect/disconnect log lines', () => {
  afterEach(() => { vi.useRealTimers() })

  it('logs every event at info while there are few', () => {
    const { log, lines } = recorder()
    let now = 0
    const events = new PeerEventLog(log, { maxPerWindow: 3, windowMs: 1000, now: () => now })
    events.connected({ peerId: 'A' })
    events.connected({ peerId: 'B' })
    events.disconnected({ peerId: 'A' })
    now = 1000 // a new window
    events.disconnected({ peerId: 'B' })
    events.close()
    expect(lines.map(l => `${l.level} ${l.message} ${String(l.fields.peerId)}`)).toEqual([
      'info peer connected A', 'info peer connected B', 'info peer disconnected A', 'info peer disconnected B'
    ])
  })

  it('beyond the limit per window: the rest at debug, then one info summary when the window ends', () => {
    vi.useFakeTimers()
    const { log, lines } = recorder()
    let now = 0
    const events = new PeerEventLog(log, { maxPerWindow: 2, windowMs: 1000, now: () => now })
    for (let i = 0; i < 5; i++) events.connected({ peerId: `P${i}` })
    events.disconnected({ peerId: 'P0' })
    expect(lines.filter(l => l.level === 'info').map(l => l.fields.peerId)).toEqual(['P0', 'P1'])
    expect(lines.filter(l => l.level === 'debug').map(l => `${l.message} ${String(l.fields.peerId)}`)).toEqual([
      'peer connected P2', 'peer connected P3', 'peer connected P4', 'peer disconnected P0'
    ])
    now = 1000
    vi.advanceTimersByTime(1000)
    expect(lines.at(-1)).toEqual({ level: 'info', message: 'peer events summarised', fields: { connected: 3, disconnected: 1, windowSeconds: 1, maxPerWindow: 2 } })
    // The next window starts with info lines again.
    events.connected({ peerId: 'Q' })
    expect(lines.at(-1)).toMatchObject({ level: 'info', message: 'peer connected', fields: { peerId: 'Q' } })
    events.close()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('close() logs the summary of the window so far and leaves no timer', () => {
    vi.useFakeTimers()
    const { log, lines } = recorder()
    const events = new PeerEventLog(log, { maxPerWindow: 1, windowMs: 60_000, now: () => 0 })
    events.connected({ peerId: 'A' })
    events.disconnected({ peerId: 'A' })
    expect(vi.getTimerCount()).toBe(1)
    events.close()
    expect(vi.getTimerCount()).toBe(0)
    expect(lines.at(-1)).toMatchObject({ level: 'info', message: 'peer events summarised', fields: { connected: 0, disconnected: 1 } })
    events.close()
    expect(lines.filter(l => l.message === 'peer events summarised')).toHaveLength(1)
  })
})
