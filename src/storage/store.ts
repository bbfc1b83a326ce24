/**
 * The embedded store behind --storage.path: one LevelDB (datastore-level, the js-libp2p
 * datastore Helia uses) holding libp2p's peer store under /peers/ and the tracker's history
 * under /tracker/. Opening it either gives a store this version can read or a StoreError: one
 * line naming --storage.path and the path, the reason, and what the user can do. A store is
 * never deleted, repaired or rewritten on its own: only `storage reset` / `storage repair` do that.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { LevelDatastore } from 'datastore-level'
import { ConfigError } from '../config/config-error.js'
import { FORMAT_KEY, FORMAT_VERSION } from './history-codec.js'

/** A store that cannot be used: exit 2 with this one line. */
export class StoreError extends ConfigError {}

export interface OpenStore {
  path: string
  datastore: LevelDatastore
  /** The store was created by this open (nothing was there before). */
  created: boolean
  close: () => Promise<void>
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function fail (path: string, reason: string): StoreError {
  return new StoreError(`--storage.path: cannot open the store at ${path}: ${reason}`)
}

/** The reason for a file-system error the user can fix (permissions, a file in the way), or undefined. */
function fileSystemReason (code: string | undefined, message: string): string | undefined {
  if (code === 'EACCES' || code === 'EPERM' || /permission denied|operation not permitted/i.test(message)) return `no permission to use it (${message})`
  if (code === 'ENOTDIR' || /not a directory/i.test(message)) return `a part of the path is not a directory (${message})`
  if (code === 'EROFS' || /read-only file system/i.test(message)) return `it is on a read-only file system (${message})`
  return undefined
}

/** One line from a LevelDB open error: its cause's message without the path repeated. */
function levelReason (err: unknown): { code: string | undefined, message: string } {
  const cause = (err as { cause?: { code?: string, message?: string } })?.cause
  const code = cause?.code ?? (err as { code?: string })?.code
  const message = (cause?.message ?? (err as Error)?.message ?? String(err)).split('\n')[0] ?? ''
  return { code, message }
}

/**
 * Opens (creating if missing) the store at `path`. Refuses: a non-empty directory that is not
 * a LevelDB (so a wrong path never fills someone's directory), a store another process holds,
 * a corrupt one, one of another format version, and one that holds data but no format key.
 */
export async function openStore (path: string, options: { createIfMissing?: boolean } = {}): Promise<OpenStore> {
  const absolute = resolve(path)
  const createIfMissing = options.createIfMissing ?? true
  if (existsSync(absolute)) {
    let entries: string[]
    try {
      if (!statSync(absolute).isDirectory()) throw fail(absolute, 'it is not a directory')
      entries = readdirSync(absolute)
    } catch (err) {
      if (err instanceof StoreError) throw err
      const { code, message } = err as NodeJS.ErrnoException
      throw fail(absolute, fileSystemReason(code, message) ?? `it cannot be read (${message})`)
    }
    if (entries.length > 0 && !entries.includes('CURRENT')) {
      throw fail(absolute, 'the directory is not empty and holds no LevelDB store (give an empty or new directory)')
    }
  } else if (!createIfMissing) {
    throw fail(absolute, 'there is no store there')
  }
  const datastore = new LevelDatastore(absolute)
  try {
    // Opened here rather than by datastore.open(), which keeps only the message of the error.
    await datastore.db.open({ createIfMissing, errorIfExists: false })
  } catch (err) {
    const { code, message } = levelReason(err)
    if (code === 'LEVEL_LOCKED') throw fail(absolute, 'another process holds its lock (is another tracker running with this --storage.path?)')
    if (code === 'LEVEL_CORRUPTION' || /corrupt/i.test(message)) {
      throw fail(absolute, `it is corrupt (${message}); it was left as it is: try "libp2p-peer-tracker storage repair --storage.path=${absolute}", or move it away to start afresh`)
    }
    const fsReason = fileSystemReason(code, message)
    if (fsReason !== undefined) throw fail(absolute, fsReason)
    throw fail(absolute, `${message}${code === undefined ? '' : ` (${code})`}; it was left as it is: if it is damaged, try "libp2p-peer-tracker storage repair --storage.path=${absolute}"`)
  }
  const close = async (): Promise<void> => { await datastore.close() }
  try {
    const created = await checkFormat(datastore, absolute)
    return { path: absolute, datastore, created, close }
  } catch (err) {
    await close().catch(() => {})
    throw err
  }
}

/** Writes the format key into a new store; refuses a store of another version or without the key. */
async function checkFormat (datastore: LevelDatastore, path: string): Promise<boolean> {
  let format: Uint8Array | undefined
  try {
    format = await datastore.db.get(FORMAT_KEY.toString())
  } catch (err) {
    const { message } = levelReason(err)
    throw fail(path, `it cannot be read (${message}); it was left as it is: try "libp2p-peer-tracker storage repair --storage.path=${path}"`)
  }
  if (format === undefined) {
    let empty = true
    for await (const _key of datastore.db.keys({ limit: 1 })) empty = false
    if (!empty) throw fail(path, 'it holds data but no format key: it was not written by libp2p-peer-tracker, and was left as it is')
    await datastore.db.put(FORMAT_KEY.toString(), encoder.encode(String(FORMAT_VERSION)))
    return true
  }
  const version = decoder.decode(format)
  if (version !== String(FORMAT_VERSION)) {
    throw fail(path, `it is in format version ${JSON.stringify(version.slice(0, 20))} and this tracker reads version ${FORMAT_VERSION}; it was left as it is (use a tracker of that version, or "storage reset" to start afresh)`)
  }
  return false
}

/** Size on disk of the store's files, in bytes. */
export function storeBytesOnDisk (path: string): number {
  let total = 0
  for (const name of readdirSync(path)) {
    try {
      const st = statSync(`${path}/${name}`)
      if (st.isFile()) total += st.size
    } catch {
      // a file LevelDB removed while we looked
    }
  }
  return total
}

/** Rebuilds a damaged store with LevelDB's repair (keeps what it can read); the store must not be open. */
export async function repairStore (path: string): Promise<void> {
  const absolute = resolve(path)
  if (!existsSync(absolute)) throw fail(absolute, 'there is no store there')
  // The LevelDB class, from an instance: a Level opens itself when constructed (deferred open),
  // so it is closed again (or its failed open settled) before repair takes the lock.
  const instance = (new LevelDatastore(absolute, { createIfMissing: false })).db
  await instance.close().catch(() => {})
  const level = instance as unknown as { constructor: { repair?: (location: string) => Promise<void> } }
  const repair = level.constructor.repair
  if (typeof repair !== 'function') throw fail(absolute, 'this LevelDB binding cannot repair')
  try {
    await repair.call(level.constructor, absolute)
  } catch (err) {
    const { code, message } = levelReason(err)
    if (code === 'LEVEL_LOCKED' || /lock/i.test(message)) throw fail(absolute, 'another process holds its lock (is another tracker running with this --storage.path?)')
    throw fail(absolute, `repair failed (${message})`)
  }
}

/** Compacts every key (they all start with "/", and "0" sorts right after it): LevelDB drops deleted and overwritten values. */
export async function compactStore (store: OpenStore): Promise<void> {
  const db = store.datastore.db as unknown as { compactRange?: (start: string, end: string) => Promise<void> }
  if (typeof db.compactRange !== 'function') throw new Error('this LevelDB binding cannot compact')
  await db.compactRange('/', '0')
}
