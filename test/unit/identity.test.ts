import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it, vi } from 'vitest'
import { ConfigError } from '../../src/config/config-error.js'
import { loadOrCreateIdentity } from '../../src/p2p/identity.js'

/** The file-system calls identity.ts makes, in order (the real calls are made). */
const fsCalls = vi.hoisted(() => [] as string[])
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>()
  const name = (path: unknown): string => String(path).split('/').at(-1) ?? ''
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>) => {
      const handle = await real.open(...args)
      const what = `${name(args[0])} (${String(args[1])})`
      fsCalls.push(`open ${what}`)
      const sync = handle.sync.bind(handle)
      handle.sync = async () => { fsCalls.push(`fsync ${what}`); await sync() }
      return handle
    },
    link: async (...args: Parameters<typeof real.link>) => { fsCalls.push(`link ${name(args[0])} -> ${name(args[1])}`); await real.link(...args) },
    unlink: async (...args: Parameters<typeof real.unlink>) => { fsCalls.push(`unlink ${name(args[0])}`); await real.unlink(...args) }
  }
})

async function dir (): Promise<string> {
  return await mkdtemp(join(tmpdir(), 'identity-'))
}

describe('loadOrCreateIdentity', () => {
  it('makes a new Ed25519 key each time without a file', async () => {
    const a = await loadOrCreateIdentity(undefined)
    const b = await loadOrCreateIdentity(undefined)
    expect(a.privateKey.type).toBe('Ed25519')
    expect(peerIdFromPrivateKey(a.privateKey).equals(peerIdFromPrivateKey(b.privateKey))).toBe(false)
  })

  it('creates the file with mode 0600 and no temp file left, then loads the same key', async () => {
    const d = await dir()
    const file = join(d, 'id.key')
    const created = await loadOrCreateIdentity(file)
    expect(created.created).toBe(true)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(await readdir(d)).toEqual(['id.key'])
    const loaded = await loadOrCreateIdentity(file)
    expect(loaded.created).toBe(false)
    expect(peerIdFromPrivateKey(loaded.privateKey).toString()).toBe(peerIdFromPrivateKey(created.privateKey).toString())
  })

  it('writes a temp file, fsyncs it, links it to the name, removes the temp name and fsyncs the folder', async () => {
    const d = await dir()
    fsCalls.length = 0
    await loadOrCreateIdentity(join(d, 'id.key'))
    const temp = fsCalls[0]?.match(/^open (\.id\.key\.[0-9a-f]{12}\.tmp) \(wx\)$/)?.[1]
    expect(temp, fsCalls.join('; ')).toBeDefined()
    expect(fsCalls).toEqual([
      `open ${temp} (wx)`,
      `fsync ${temp} (wx)`,
      `link ${temp} -> id.key`,
      `unlink ${temp}`,
      `open ${basename(d)} (r)`,
      `fsync ${basename(d)} (r)`
    ])
  })

  it('reads a key written by another libp2p tool (protobuf encoding)', async () => {
    const file = join(await dir(), 'id.key')
    const key = await generateKeyPair('Ed25519')
    await writeFile(file, privateKeyToProtobuf(key))
    const loaded = await loadOrCreateIdentity(file)
    expect(loaded.privateKey.equals(key)).toBe(true)
  })

  it('refuses a corrupt file, an empty file and a non-Ed25519 key, naming the file and leaving it as it was', async () => {
    const d = await dir()
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['garbage.key', new TextEncoder().encode('hello'), /is not a libp2p private key/],
      ['empty.key', new Uint8Array(), /is not a libp2p private key/],
      ['secp.key', privateKeyToProtobuf(await generateKeyPair('secp256k1')), /holds a secp256k1 key; only Ed25519 is supported/]
    ]
    for (const [name, bytes, message] of cases) {
      const file = join(d, name)
      await writeFile(file, bytes)
      const err = await loadOrCreateIdentity(file).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as Error).message).toMatch(/^--p2p\.identity-file: /)
      expect((err as Error).message).toContain(file)
      expect((err as Error).message).toMatch(message)
      expect(new Uint8Array(await readFile(file))).toEqual(bytes)
    }
  })
})
