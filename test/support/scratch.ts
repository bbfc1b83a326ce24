import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'

/**
 * A temporary folder for the calling test file: made before its tests run, removed after
 * them (nothing is made when the file is only collected, e.g. by `vitest list`). Call it at
 * the top level of the file, and the returned function inside tests:
 * `const scratch = scratchDir('libp2p-tracker-compose-')`, then `join(scratch(), 'a.yml')`.
 */
export function scratchDir (prefix: string): () => string {
  let dir: string | undefined
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix))
  })
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })
  return () => {
    if (dir === undefined) throw new Error(`scratchDir(${prefix}): used outside a test`)
    return dir
  }
}
