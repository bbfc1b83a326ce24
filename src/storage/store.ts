/**
 * The embedded store behind --storage.path: one LevelDB (datastore-level, the js-libp2p
 * datastore Helia uses) holding libp2p's peer store under /peers/ and the tracker's history
 * under /tracker/. Opening it either gives a store this version can read or a StoreError: one
 * line naming --storage.path and the path, the reason, and what the user can do. A store is
 * never deleted, repaired or rewritten on its own: only `storage reset` / `storage repair` do that.
 *
 * A store the tracker made is recognised by a marker file it writes into the directory before
 * LevelDB creates anything there (STORE_MARKER_FILE). Every way in (the tracker, and each
 * `storage` command) looks at the directory with inspectStoreDirectory() first, which only
 * reads: a directory that is not empty and holds no marker (someone's files, another program's
 * LevelDB) is refused before LevelDB could create LOCK, LOG or CURRENT in it, or its repair
 * move files into lost/.
 */
import { closeSync, mkdirSync, openSync, readSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { LevelDatastore } from 'datastore-level'
import { StoreError } from '../errors.js'
import { FORMAT_KEY, FORMAT_VERSION } from './history-codec.js'

/** A store that cannot be used (exit 2 with its one line): defined with the other named errors. */
export { StoreError }

/** The file that marks a directory as a store libp2p-peer-tracker made. */
export const STORE_MARKER_FILE = 'LIBP2P_PEER_TRACKER_STORE'
/** Its first line; the rest is a note for a person who finds the file. */
const STORE_MARKER_LINE = 'libp2p-peer-tracker store'
const STORE_MARKER_TEXT = `${STORE_MARKER_LINE}\nThis directory is a store made by libp2p-peer-tracker (--storage.path). Without this file the tracker and its storage commands refuse the directory.\n`

/**
 * What is at a --storage.path, found by reading only (nothing is created, opened or locked):
 * `missing` (nothing there), `empty` (an empty directory), or `store` (a directory holding the
 * marker). Anything else is a StoreError: a file, an unreadable directory, or a non-empty
 * directory without the marker.
 */
export type StoreDirectory = 'missing' | 'empty' | 'store'

export function inspectStoreDirectory (path: string): StoreDirectory {
  const absolute = resolve(path)
  let entries: string[]
  try {
    if (!statSync(absolute).isDirectory()) throw fail(absolute, 'it is not a directory')
    entries = readdirSync(absolute)
  } catch (err) {
    if (err instanceof StoreError) throw err
    const { code, message } = err as NodeJS.ErrnoException
    if (code === 'ENOENT') return 'missing'
    throw fail(absolute, fileSystemReason(code, message) ?? `it cannot be read (${message})`)
  }
  if (entries.length === 0) return 'empty'
  if (entries.includes(STORE_MARKER_FILE)) {
    let text: string
    try {
      text = firstBytes(join(absolute, STORE_MARKER_FILE), STORE_MARKER_LINE.length + 1)
    } catch (err) {
      const { code, message } = err as NodeJS.ErrnoException
      throw fail(absolute, fileSystemReason(code, message) ?? `its ${STORE_MARKER_FILE} file cannot be read (${message})`)
    }
    if (text.split('\n')[0] === STORE_MARKER_LINE) return 'store'
    throw fail(absolute, `its ${STORE_MARKER_FILE} file is not one libp2p-peer-tracker wrote; the directory was left as it is`)
  }
  if (entries.includes('CURRENT')) {
    throw fail(absolute, `it holds a LevelDB store that libp2p-peer-tracker did not make (no ${STORE_MARKER_FILE} file); it was left as it is (give an empty or new directory; a store made by a tracker before 0.2 is marked by hand: see docs/storage.md)`)
  }
  throw fail(absolute, 'the directory is not empty and holds no libp2p-peer-tracker store; it was left as it is (give an empty or new directory)')
}

/** The first `n` bytes of a file as text (a file of that name someone else made may be of any size). */
function firstBytes (path: string, n: number): string {
  const fd = openSync(path, 'r')
  try {
    const buffer = Buffer.alloc(n)
    return buffer.subarray(0, readSync(fd, buffer, 0, n, 0)).toString('utf8')
  } finally {
    closeSync(fd)
  }
}

/** Makes the directory (if missing) and writes the marker into it, before LevelDB creates anything. */
function markNewStore (absolute: string): void {
  try {
    mkdirSync(absolute, { recursive: true })
    writeFileSync(join(absolute, STORE_MARKER_FILE), STORE_MARKER_TEXT, { flag: 'wx' })
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException
    // Another tracker starting on the same new directory wrote it first: LevelDB's lock decides.
    if (code === 'EEXIST' && inspectStoreDirectory(absolute) === 'store') return
    throw fail(absolute, fileSystemReason(code, message) ?? `it cannot be created (${message})`)
  }
}

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
 * Opens (creating if missing) the store at `path`. Refuses: a non-empty directory without the
 * marker (so a wrong path never fills someone's directory), a store another process holds,
 * a corrupt one, one of another format version, and one that holds data but no format key.
 */
export async function openStore (path: string, options: { createIfMissing?: boolean } = {}): Promise<OpenStore> {
  const absolute = resolve(path)
  const createIfMissing = options.createIfMissing ?? true
  if (inspectStoreDirectory(absolute) !== 'store') {
    if (!createIfMissing) throw fail(absolute, 'there is no store there')
    markNewStore(absolute)
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
  // A missing or empty directory has nothing to repair (and LevelDB's repair would make a store there).
  if (inspectStoreDirectory(absolute) !== 'store') throw fail(absolute, 'there is no store there')
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
  if (typeof db.compactRange !== 'function') throw new StoreError(`--storage.path: cannot compact the store at ${store.path}: this LevelDB binding cannot compact`)
  await db.compactRange('/', '0')
}
