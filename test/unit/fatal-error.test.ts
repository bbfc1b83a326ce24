/** How a fatal error is reported: one line on stderr, the stack only in the structured log. */
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { fatalSummary, reportFatal } from '../../src/cli/fatal-error.js'
import { createLogger } from '../../src/log.js'

function capture (): { stream: PassThrough, text: () => string } {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (chunk: Buffer) => { text += chunk.toString('utf8') })
  return { stream, text: () => text }
}

describe('fatal errors', () => {
  it('summarises an error as its name and the first line of its message, without controls, capped', () => {
    expect(fatalSummary(new TypeError('boom\n    at somewhere (file.js:1:1)'))).toBe('TypeError: boom')
    expect(fatalSummary('plain\nstring')).toBe('plain')
    expect(fatalSummary(42)).toBe('42')
    expect(fatalSummary(Object.create(null))).toBe('unprintable error')
    expect(fatalSummary(new Error('tab\there\u0007bell'))).toBe('Error: tab here bell')
    const long = fatalSummary(new Error('x'.repeat(10_000)))
    expect(long.length).toBe(300)
    expect(long.endsWith('…')).toBe(true)
  })

  it('writes one line on stderr and the stack, as a field, in one log record', async () => {
    const stderr = capture()
    const out = capture()
    const log = createLogger({ level: 'info', format: 'json' }, out.stream)
    const err = new RangeError('out of range\nwith details')
    reportFatal(err, 'start-up failed', { name: 'tool', stderr: stderr.stream, log })
    await new Promise(resolve => setImmediate(resolve))
    expect(stderr.text()).toBe('tool: fatal: start-up failed: RangeError: out of range\n')
    const records = out.text().trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({ level: 'fatal', msg: 'start-up failed; exiting', err: { type: 'RangeError', message: 'out of range\nwith details' } })
    expect((records[0]?.err as { stack: string }).stack).toContain('fatal-error.test.ts')
  })

  it('still writes the stderr line when there is no logger, or the logger fails', () => {
    const lines: string[] = []
    const stderr = { write: (text: string) => lines.push(text) }
    reportFatal(new Error('early'), 'fatal error', { name: 'tool', stderr })
    const broken = { fatal: () => { throw new Error('log is broken') } } as unknown as Parameters<typeof reportFatal>[2]['log']
    reportFatal(new Error('late'), 'uncaught exception', { name: 'tool', stderr, log: broken })
    expect(lines).toEqual(['tool: fatal: fatal error: Error: early\n', 'tool: fatal: uncaught exception: Error: late\n'])
  })
})
