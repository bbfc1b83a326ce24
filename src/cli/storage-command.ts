/**
 * `libp2p-peer-tracker storage info|compact|reset|repair --storage.path=DIR`: looks after the
 * store while no tracker runs on it (a running tracker holds its lock: one line, exit 2).
 * Output is one JSON line on stdout, like the tracker's logs.
 */
import { Command } from 'commander'
import { ConfigError } from '../config/config-error.js'
import { FORMAT_KEY, LIBP2P_PEERS_PREFIX, PEERS_PREFIX, SEEN_META_KEY, STATE_KEY, decodeSeenMeta, decodeState } from '../storage/history-codec.js'
import { compactStore, openStore, repairStore, storeBytesOnDisk } from '../storage/store.js'
import type { OpenStore } from '../storage/store.js'

function line (record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', ...record })}\n`)
}

function storagePath (command: Command): string {
  const path = command.optsWithGlobals<Record<string, unknown>>()['storage.path']
  if (typeof path !== 'string' || path.trim() === '') throw new ConfigError('--storage.path: required: the directory of the store')
  return path
}

async function countKeys (store: OpenStore, prefix: string): Promise<number> {
  let n = 0
  for await (const _key of store.datastore.db.keys({ gte: prefix, lt: `${prefix}\xff` })) n++
  return n
}

async function withStore<T> (command: Command, run: (store: OpenStore) => Promise<T>): Promise<T> {
  const store = await openStore(storagePath(command), { createIfMissing: false })
  try {
    return await run(store)
  } finally {
    await store.close()
  }
}

/** What the store holds, and its size on disk. */
export async function storeInfo (store: OpenStore): Promise<Record<string, unknown>> {
  const db = store.datastore.db
  const state = await db.get(STATE_KEY.toString()).then(b => b === undefined ? undefined : decodeState(b))
  const seen = await db.get(SEEN_META_KEY.toString()).then(b => b === undefined ? undefined : decodeSeenMeta(b))
  return {
    path: store.path,
    format: new TextDecoder().decode(await db.get(FORMAT_KEY.toString()) ?? new Uint8Array()),
    historyPeers: await countKeys(store, PEERS_PREFIX),
    peerStoreRecords: await countKeys(store, LIBP2P_PEERS_PREFIX),
    seenPeers: seen?.distinct ?? 0,
    connectedAtLastWrite: state?.connected.length ?? 0,
    lastWrite: state === undefined ? null : new Date(state.flushedAt).toISOString(),
    bytesOnDisk: storeBytesOnDisk(store.path)
  }
}

export function addStorageCommand (program: Command): Command {
  const storage = new Command('storage')
    .description('Looks after the store of --storage.path (stop the tracker first): info, compact, reset, repair.')
    .helpOption('-h, --help', 'print this help and exit')
  storage.command('info')
    .description('prints what the store holds (remembered peers, libp2p peer store records, seen peers) and its size on disk')
    .helpOption('-h, --help', 'print this help and exit')
    .allowExcessArguments(false)
    .action(async (_options, command: Command) => {
      await withStore(command, async (store) => { line({ msg: 'store', ...await storeInfo(store) }) })
    })
  storage.command('compact')
    .description('compacts the store (LevelDB drops deleted and overwritten values), so its size on disk comes down to what it holds')
    .helpOption('-h, --help', 'print this help and exit')
    .allowExcessArguments(false)
    .action(async (_options, command: Command) => {
      await withStore(command, async (store) => {
        const bytesBefore = storeBytesOnDisk(store.path)
        await compactStore(store)
        line({ msg: 'store compacted', path: store.path, bytesBefore, bytesAfter: storeBytesOnDisk(store.path) })
      })
    })
  storage.command('reset')
    .description('deletes everything the store holds (the peer history and libp2p\'s peer store), keeping an empty store of this format')
    .helpOption('-h, --help', 'print this help and exit')
    .allowExcessArguments(false)
    .action(async (_options, command: Command) => {
      await withStore(command, async (store) => {
        const db = store.datastore.db
        let deleted = 0
        let keys: string[] = []
        const deleteKeys = async (): Promise<void> => {
          if (keys.length > 0) await db.batch(keys.map(key => ({ type: 'del' as const, key })))
          deleted += keys.length
          keys = []
        }
        for await (const key of db.keys()) {
          if (key === FORMAT_KEY.toString()) continue
          keys.push(key)
          if (keys.length >= 1000) await deleteKeys()
        }
        await deleteKeys()
        await compactStore(store)
        line({ msg: 'store reset', path: store.path, keysDeleted: deleted, bytesAfter: storeBytesOnDisk(store.path) })
      })
    })
  storage.command('repair')
    .description('rebuilds a damaged store with LevelDB\'s repair, keeping every value it can still read')
    .helpOption('-h, --help', 'print this help and exit')
    .allowExcessArguments(false)
    .action(async (_options, command: Command) => {
      const path = storagePath(command)
      await repairStore(path)
      const info = await withStore(command, storeInfo)
      line({ msg: 'store repaired', ...info })
    })
  program.addCommand(storage)
  return storage
}
