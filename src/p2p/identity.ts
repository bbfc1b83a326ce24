/**
 * The node's Ed25519 identity: ephemeral, or kept in a file so the peer ID survives restarts.
 * The file holds the libp2p protobuf encoding of the private key (the bytes go-libp2p's
 * MarshalPrivateKey and js-libp2p's privateKeyToProtobuf produce). An existing file is never
 * overwritten; a new one is written atomically with mode 0600.
 */
import { randomBytes } from 'node:crypto'
import { link, open, readFile, unlink } from 'node:fs/promises'
import { dirname, basename, join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { ConfigError } from '../config/config-error.js'
import type { PrivateKey } from '@libp2p/interface'

export interface Identity {
  privateKey: PrivateKey
  /** True when this run created the identity file. */
  created: boolean
}

export async function loadOrCreateIdentity (file: string | undefined): Promise<Identity> {
  if (file === undefined) return { privateKey: await generateKeyPair('Ed25519'), created: false }

  const existing = await readIdentityFile(file)
  if (existing !== undefined) return { privateKey: existing, created: false }

  const privateKey = await generateKeyPair('Ed25519')
  await writeFileAtomically(file, privateKeyToProtobuf(privateKey))
  return { privateKey, created: true }
}

/** The key in the file, undefined when there is no file; a ConfigError naming the file otherwise. */
async function readIdentityFile (file: string): Promise<PrivateKey | undefined> {
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    throw new ConfigError(`--p2p.identity-file: cannot read ${file}: ${code ?? String(err)}`)
  }
  let key: PrivateKey
  try {
    key = privateKeyFromProtobuf(bytes)
  } catch {
    throw new ConfigError(`--p2p.identity-file: ${file} is not a libp2p private key (left untouched; move it away to create a new identity)`)
  }
  if (key.type !== 'Ed25519') {
    throw new ConfigError(`--p2p.identity-file: ${file} holds a ${key.type} key; only Ed25519 is supported`)
  }
  return key
}

/**
 * Temp file in the same folder, fsync, then hard-link it to the target name, which fails
 * rather than replace a file that appeared meanwhile, then fsync the folder so the new name
 * itself survives a crash: a kill at any moment leaves either no identity file or a complete
 * one, and an existing file is never overwritten. (A kill may leave a `.<name>.<random>.tmp`
 * file behind; it is never read.)
 */
async function writeFileAtomically (file: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  let handle
  try {
    handle = await open(temp, 'wx', 0o600)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new ConfigError(`--p2p.identity-file: cannot create ${file}: ${code ?? String(err)}`)
  }
  let tempLeft = true
  try {
    await handle.writeFile(bytes)
    await handle.sync()
    await handle.close()
    handle = undefined
    await link(temp, file)
    // The identity file is in place: a temp name that cannot be removed is no reason to fail.
    await unlink(temp).catch(() => {})
    tempLeft = false
    await syncDirectory(dirname(file))
  } catch (err) {
    await handle?.close().catch(() => {})
    const code = (err as NodeJS.ErrnoException).code
    throw new ConfigError(`--p2p.identity-file: cannot write ${file}: ${code ?? String(err)}`)
  } finally {
    if (tempLeft) await unlink(temp).catch(() => {})
  }
}

/** Filesystems and permissions where a folder cannot be opened or fsynced: the file itself is synced. */
const DIRECTORY_SYNC_UNSUPPORTED = new Set(['EINVAL', 'ENOTSUP', 'EISDIR', 'EPERM', 'EACCES'])

/** fsync a folder, so the names just changed in it (the new link, the removed temp) are on disk. */
async function syncDirectory (dir: string): Promise<void> {
  let handle
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch (err) {
    if (!DIRECTORY_SYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err
  } finally {
    await handle?.close()
  }
}
