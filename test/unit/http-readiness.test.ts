/**
 * /-/ready follows the tracker's readiness (false until libp2p listens, false again once
 * shutdown begins) while /-/healthy stays 200: the HTTP app of src/http/server.ts on a real
 * socket, with everything else stubbed.
 */
import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { boundAddress, createHttpApp, listen } from '../../src/http/server.js'
import { createLogger } from '../../src/log.js'
import type { HttpSources, Server } from '../../src/http/server.js'

let server: Server | undefined
afterEach(async () => {
  await new Promise(resolve => server?.close(resolve) ?? resolve(undefined))
  server = undefined
})

async function serve (isReady: () => boolean): Promise<string> {
  const sources = {
    telemetryPath: '/metrics',
    isReady,
    log: createLogger({ level: 'fatal', format: 'json' }, new PassThrough()),
    scraper: undefined,
    landing: () => ({ name: 'tracker', version: '0.0.0', peerId: 'peer', telemetryPath: '/metrics' }),
    status: () => { throw new Error('not used') },
    peers: () => []
  } as unknown as HttpSources
  server = await listen(createHttpApp(sources), '127.0.0.1', 0)
  return `http://127.0.0.1:${boundAddress(server).port}`
}

describe('/-/ready', () => {
  it('answers 503 while not ready, 200 once ready, 503 again when readiness is dropped; /-/healthy stays 200', async () => {
    let ready = false
    const url = await serve(() => ready)
    const get = async (path: string): Promise<[number, string]> => {
      const response = await fetch(`${url}${path}`)
      return [response.status, await response.text()]
    }
    expect(await get('/-/ready')).toEqual([503, 'Not ready: the source has not started (the libp2p node is not listening, or the watched node has not answered yet).\n'])
    expect((await get('/-/healthy'))[0]).toBe(200)
    ready = true
    expect(await get('/-/ready')).toEqual([200, 'Ready.\n'])
    ready = false // shutting down
    expect((await get('/-/ready'))[0]).toBe(503)
    expect((await get('/-/healthy'))[0]).toBe(200)
  })
})
