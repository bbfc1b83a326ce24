/**
 * The store (--storage.path) as a part of either composition (src/app/parts.ts): opened (one
 * that cannot be opened throws, before anything listens), and closed by its stop, which writes
 * the last batch first. Without --storage.path there is no store and nothing to close.
 */
import { TrackerStorage } from '../storage/tracker-storage.js'
import type { Config } from '../config/config.js'
import type { Logger } from '../log.js'
import type { Opened } from './parts.js'

export async function openStore (config: Config, log: Logger): Promise<Opened<TrackerStorage | undefined>> {
  const storage = config.storage.path === undefined ? undefined : await TrackerStorage.open(config.storage.path)
  return {
    value: storage,
    stop: async () => {
      await storage?.close().catch((err: unknown) => { log.error({ err, component: 'storage' }, 'error while writing the last batch to the store') })
    }
  }
}
