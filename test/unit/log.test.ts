import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger, toLogfmt } from '../../src/log.js'

async function capture (format: 'json' | 'logfmt', write: (log: ReturnType<typeof createLogger>) => void): Promise<string> {
  const sink = new PassThrough()
  let out = ''
  sink.on('data', (chunk: Buffer) => { out += chunk.toString('utf8') })
  const log = createLogger({ level: 'info', format }, sink)
  write(log)
  await new Promise(resolve => setImmediate(resolve))
  return out
}

describe('logs', () => {
  it('writes JSON lines with level names and ISO times', async () => {
    const out = await capture('json', log => { log.info({ peerId: 'A', durationSeconds: 1.5 }, 'peer disconnected') })
    const record = JSON.parse(out) as Record<string, unknown>
    expect(record).toMatchObject({ level: 'info', peerId: 'A', durationSeconds: 1.5, msg: 'peer disconnected' })
    expect(record.time).toMatch(/^\d{4}-\d\d-\d\dT/)
  })

  it('writes logfmt, quoting what needs quotes', async () => {
    const out = await capture('logfmt', log => { log.info({ peerId: 'A', n: 3 }, 'peer connected') })
    expect(out).toMatch(/^level=info time=\S+ peerId=A n=3 msg="peer connected"\n$/)
    expect(toLogfmt({ a: 'x=y', b: 'say "hi"', c: [1, 2], d: undefined })).toBe('a="x=y" b="say \\"hi\\"" c=[1,2]')
  })

  it('drops records below the level', async () => {
    const out = await capture('json', log => { log.debug('hidden'); log.warn('shown') })
    expect(out.trim().split('\n').map(l => (JSON.parse(l) as { msg: string }).msg)).toEqual(['shown'])
  })
})
