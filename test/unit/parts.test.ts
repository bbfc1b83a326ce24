/**
 * The parts of a composition root (src/app/parts.ts), with fake parts that record what they
 * do: stopped in reverse order of start, each once; a stop that throws is logged and the
 * others still stop; stopAll() twice stops once; a start that throws stops the parts already
 * started, in reverse, and rethrows its own error.
 */
import { describe, expect, it } from 'vitest'
import { Parts } from '../../src/app/parts.js'

function recording (): { parts: Parts, events: string[], errors: Array<{ obj: Record<string, unknown>, msg: string }> } {
  const events: string[] = []
  const errors: Array<{ obj: Record<string, unknown>, msg: string }> = []
  const parts = new Parts({ error: (obj, msg) => { errors.push({ obj, msg }) } })
  return { parts, events, errors }
}

/** A fake part: records its start and its stop; the stop waits a tick, as a real one would. */
function fake (events: string[], name: string): () => () => Promise<void> {
  return () => {
    events.push(`start ${name}`)
    return async () => {
      await new Promise(resolve => setImmediate(resolve))
      events.push(`stop ${name}`)
    }
  }
}

/** A fake part whose stop waits until release() is called. */
function held (events: string[], name: string): { start: () => () => Promise<void>, release: () => void } {
  let release = (): void => {}
  const released = new Promise<void>(resolve => { release = resolve })
  return {
    start: () => async () => {
      await released
      events.push(`stop ${name}`)
    },
    release: () => { release() }
  }
}

describe('Parts', () => {
  it('stops every started part in reverse order of start', async () => {
    const { parts, events } = recording()
    await parts.start('a', fake(events, 'a'))
    await parts.start('b', fake(events, 'b'))
    await parts.start('c', fake(events, 'c'))
    await parts.stopAll()
    expect(events).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a'])
  })

  it('hands back what open() made, and keeps a start that returns nothing in the order', async () => {
    const { parts, events } = recording()
    const made = await parts.open('store', () => ({ value: 42, stop: () => { events.push('stop store') } }))
    await parts.start('step', () => { events.push('step') })
    await parts.start('server', fake(events, 'server'))
    expect(made).toBe(42)
    await parts.stopAll()
    expect(events).toEqual(['step', 'start server', 'stop server', 'stop store'])
  })

  it('waits for each stop before the next one; a second stopAll() waits for the first to finish', async () => {
    const { parts, events } = recording()
    const slow = held(events, 'slow')
    await parts.start('first', fake(events, 'first'))
    await parts.start('slow', slow.start)
    const stopped = parts.stopAll()
    let secondDone = false
    const second = parts.stopAll().then(() => { secondDone = true })
    await new Promise(resolve => setImmediate(resolve))
    expect(events).toEqual(['start first']) // 'first' waits for 'slow'
    expect(secondDone).toBe(false)
    slow.release()
    await stopped
    await second
    expect(events).toEqual(['start first', 'stop slow', 'stop first'])
  })

  it('logs a stop that throws (sync or async) and still stops the others', async () => {
    const { parts, events, errors } = recording()
    const syncBoom = new Error('sync boom')
    const asyncBoom = new Error('async boom')
    await parts.start('a', fake(events, 'a'))
    await parts.start('throws', () => () => { throw syncBoom })
    await parts.start('b', fake(events, 'b'))
    await parts.start('rejects', () => async () => { throw asyncBoom })
    await parts.start('c', fake(events, 'c'))
    await expect(parts.stopAll()).resolves.toBeUndefined()
    expect(events).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a'])
    expect(errors).toEqual([
      { obj: { err: asyncBoom, part: 'rejects' }, msg: 'error while stopping rejects' },
      { obj: { err: syncBoom, part: 'throws' }, msg: 'error while stopping throws' }
    ])
  })

  it('stops each part once: a second stopAll() waits for the first, a third after it does nothing', async () => {
    const { parts, events } = recording()
    await parts.start('a', fake(events, 'a'))
    await parts.start('b', fake(events, 'b'))
    let secondDone = false
    const first = parts.stopAll()
    const second = parts.stopAll().then(() => { secondDone = true })
    await first
    await second
    expect(secondDone).toBe(true)
    expect(events).toEqual(['start a', 'start b', 'stop b', 'stop a'])
    await parts.stopAll()
    expect(events).toEqual(['start a', 'start b', 'stop b', 'stop a'])
  })

  it('a start that throws stops the parts already started, in reverse, and rethrows its error', async () => {
    const { parts, events } = recording()
    const refused = new Error('port in use')
    await parts.start('store', fake(events, 'store'))
    await parts.start('node', fake(events, 'node'))
    const failing = parts.start('http', async () => {
      events.push('start http')
      throw refused
    })
    await expect(failing).rejects.toBe(refused)
    expect(events).toEqual(['start store', 'start node', 'start http', 'stop node', 'stop store'])
    // Stopped: a later stopAll() stops nothing again, and nothing more starts.
    await parts.stopAll()
    expect(events).toEqual(['start store', 'start node', 'start http', 'stop node', 'stop store'])
    await expect(parts.start('late', fake(events, 'late'))).rejects.toThrow('late not started: the parts are stopping')
    expect(events).not.toContain('start late')
  })

  it('rethrows the start\'s own error even when a stop of the cleanup throws', async () => {
    const { parts, events, errors } = recording()
    const refused = new Error('store of another node')
    await parts.start('a', fake(events, 'a'))
    await parts.start('bad stop', () => () => { throw new Error('close failed') })
    await expect(parts.open('b', async () => { throw refused })).rejects.toBe(refused)
    expect(events).toEqual(['start a', 'stop a'])
    expect(errors.map(e => e.msg)).toEqual(['error while stopping bad stop'])
  })

  it('stops at once a part whose start finished after stopAll() began', async () => {
    const { parts, events } = recording()
    let finishStart = (): void => {}
    await parts.start('a', fake(events, 'a'))
    const late = parts.start('late', async () => {
      await new Promise<void>(resolve => { finishStart = resolve })
      return fake(events, 'late')()
    })
    await parts.stopAll()
    finishStart()
    await expect(late).rejects.toThrow('late stopped at once')
    expect(events).toEqual(['start a', 'stop a', 'start late', 'stop late'])
  })
})
