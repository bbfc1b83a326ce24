/**
 * The identity file is written atomically: processes creating identity files (the built
 * src/p2p/identity.ts) are SIGKILLed at random moments, 32 times; every file under a final
 * name is then a complete, valid key, and nothing half-written carries a final name (a kill
 * may leave a `.<name>.<random>.tmp` behind, which the tracker never reads). Checked against a
 * writer that opens the final name and writes it in place: ~10% of kills leave it truncated,
 * so 32 kills catch it nearly every run.
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { describe, expect, it } from 'vitest'
import { loadOrCreateIdentity } from '../../src/p2p/identity.js'
import { startChild } from '../support/process.js'

const WRITER = fileURLToPath(new URL('../support/identity-writer.mjs', import.meta.url))
/** Kills in all, and writers running at once (each killed at its own random moment). */
const KILLS = 32
const CONCURRENT = 4

/** Starts the writer, lets it run for a random moment after it is ready, SIGKILLs it. */
async function runAndKill (dir: string, prefix: string): Promise<void> {
  const writer = startChild(process.execPath, [WRITER, dir, prefix])
  await new Promise<void>((resolve, reject) => {
    writer.process.stdout?.on('data', (chunk: Buffer) => { if (chunk.toString('utf8').includes('ready')) resolve() })
    void writer.exited.then(() => { reject(new Error(`the writer exited before it was killed: ${writer.stderr()}`)) })
  })
  await new Promise(resolve => setTimeout(resolve, Math.random() * 40)) // a random moment, not a settle
  writer.process.kill('SIGKILL')
  expect((await writer.exited).signal).toBe('SIGKILL')
}

describe('the identity file', () => {
  it('is either absent or complete, however often its writer is killed', { timeout: 90_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'identity-kill-'))
    const keyLength = privateKeyToProtobuf(await generateKeyPair('Ed25519')).length
    for (let k = 0; k < KILLS; k += CONCURRENT) {
      await Promise.all(Array.from({ length: CONCURRENT }, async (_, i) => { await runAndKill(dir, `run${k + i}`) }))
    }

    const names = await readdir(dir)
    const finals = names.filter(n => /^run\d+-\d+\.key$/.test(n))
    const temps = names.filter(n => !finals.includes(n))
    expect(finals.length).toBeGreaterThan(0) // the writers got going before they were killed
    for (const name of temps) expect(name).toMatch(/^\.run\d+-\d+\.key\.[0-9a-f]{12}\.tmp$/)
    for (const name of finals) {
      const bytes = await readFile(join(dir, name))
      expect(bytes.length, name).toBe(keyLength)
      expect(privateKeyFromProtobuf(bytes).type, name).toBe('Ed25519')
      // And the tracker loads it as it is.
      expect((await loadOrCreateIdentity(join(dir, name))).created).toBe(false)
    }
    console.log(`identity: ${KILLS} kills, ${finals.length} complete files, ${temps.length} temp files left behind`)
  })
})
