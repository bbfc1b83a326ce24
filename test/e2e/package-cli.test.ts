/**
 * The CLI's package as a user gets it: `npm pack` of packages/cli (its prepack compiles src/
 * into packages/cli/dist), installed alone with `npm install --global` into a prefix outside the
 * repository, and run from the command npm put on that prefix's bin/: its version, then a
 * tracker on 127.0.0.1 with its store (LevelDB's native module) and a WebRTC-direct listener
 * (node-datachannel's), dialled by a real peer; its /metrics, the peer view and its chart's
 * files; a clean stop. The library's package is test/e2e/package-library.test.ts.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseExposition, valueOf } from '../support/exposition.js'
import { REPO, packCli } from '../support/package-apps.js'
import { createTestPeer } from '../support/peers.js'
import { runToolOrFail, startChild } from '../support/process.js'
import { waitFor } from '../support/wait.js'
import type { Packed } from '../support/package-apps.js'

let work: string
let packed: Packed
/** The command as npm installed it: PREFIX/bin/libp2p-peer-tracker. */
let command: string
/** The installed command's environment: this Node first on PATH, for the command's `#!/usr/bin/env node`. */
let env: NodeJS.ProcessEnv

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tracker-cli-package-'))
  packed = await packCli(work)
  const prefix = join(work, 'prefix')
  await runToolOrFail('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', packed.tarball], { cwd: work, timeoutMs: 300_000 })
  command = join(prefix, 'bin', 'libp2p-peer-tracker')
  env = { PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter), HOME: work }
}, 420_000)

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

describe('the CLI package installed alone', () => {
  it('holds the compiled tree with the peer view\'s files, and nothing from src/ or test/', () => {
    for (const file of ['dist/cli/main.js', 'dist/app.js', 'dist/index.js', 'dist/swarm/worker.js', 'dist/http/peer-view/assets/peer-view.js', 'LICENSE', 'README.md', 'package.json']) {
      expect(packed.files, file).toContain(file)
    }
    expect(packed.files.filter(f => !f.startsWith('dist/') && !['LICENSE', 'README.md', 'package.json'].includes(f))).toEqual([])
  })

  it('installs one command, libp2p-peer-tracker, that prints the version both packages share', async () => {
    expect(await readdir(dirname(command))).toEqual(['libp2p-peer-tracker'])
    const { stdout } = await runToolOrFail(command, ['--version'], { env, timeoutMs: 60_000 })
    expect(stdout.trim()).toBe((JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string }).version)
  }, 90_000)

  it('runs a tracker with its store and every transport\'s native module: a real peer counted, the peer view served, a clean stop', async () => {
    const tracker = startChild(command, [
      '--web.listen-address=127.0.0.1:0', '--p2p.listen=/ip4/127.0.0.1/tcp/0', '--p2p.listen=/ip4/127.0.0.1/udp/0/webrtc-direct',
      '--p2p.bootstrap=', '--p2p.dht=off', `--storage.path=${join(work, 'store')}`
    ], { name: 'the installed CLI', env })
    const peer = await createTestPeer({ listen: false })
    try {
      const logs = (): Array<Record<string, unknown>> => tracker.stdout().split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Record<string, unknown>)
      await waitFor('the installed CLI to serve metrics', () => {
        if (tracker.exitedYet()) throw new Error(`the installed CLI exited early: ${tracker.output()}`)
        return logs().some(l => l.msg === 'serving metrics')
      }, 60_000)
      const address = logs().find(l => l.msg === 'serving metrics')?.address as string
      const url = `http://127.0.0.1:${address.slice(address.lastIndexOf(':') + 1)}`
      const listening = logs().filter(l => l.msg === 'listening for peers').map(l => l.addr as string)
      expect(listening.some(a => a.includes('/webrtc-direct/'))).toBe(true)
      await peer.start()
      await peer.dial(multiaddr(listening.find(a => a.includes('/tcp/')) ?? ''))
      await waitFor('the installed CLI to count the peer', async () => {
        const m = parseExposition(await (await fetch(`${url}/metrics`)).text())
        return valueOf(m, 'libp2p_tracker_connected_peers') === 1 && valueOf(m, 'libp2p_tracker_peer_connects_total', { direction: 'inbound' }) === 1
      }, 30_000)
      const page = await fetch(`${url}/`)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('<title>libp2p-peer-tracker')
      for (const asset of ['uPlot.iife.min.js', 'uPlot.min.css', 'peer-view.js']) {
        const response = await fetch(`${url}/peer-view/${asset}`)
        expect(response.status, asset).toBe(200)
        expect((await response.arrayBuffer()).byteLength, asset).toBeGreaterThan(1000)
      }
      tracker.process.kill('SIGTERM')
      expect(await tracker.exitWithin(30_000)).toBe(0)
      expect(logs().at(-1)?.msg).toBe('stopped')
    } finally {
      await peer.stop()
      await tracker.kill()
    }
  }, 150_000)
})
