/**
 * A --storage.path the tracker did not make is never written to. Each `storage` command (and
 * the tracker itself), given a non-empty directory without the tracker's marker file (someone's
 * files, another program's LevelDB), exits 2 with one line naming --storage.path, and leaves the
 * directory byte for byte as it was: no LOCK, LOG or CURRENT created, nothing moved to lost/.
 * An empty directory holds no store: each command says so (exit 2) and leaves it empty.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { Level } from 'level'
import { describe, expect, it } from 'vitest'
import { scratchDir } from '../support/scratch.js'
import { expectStoreRefusal } from '../support/store-refusal.js'
import { runCliToExit } from '../support/tracker.js'

const scratch = scratchDir('tracker-foreign-store-')
/** Each case runs the CLI three times; generous for a loaded 2-core machine. */
const TIMEOUT_MS = 120_000
const RUN_LIMIT_MS = 60_000

/** Every file and directory under `root`: its kind, size and the SHA-256 of its contents. */
function snapshot (root: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      const st = statSync(path)
      if (st.isDirectory()) {
        out[`${relative(root, path)}/`] = 'dir'
        walk(path)
      } else {
        out[relative(root, path)] = `${st.size} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`
      }
    }
  }
  walk(root)
  return out
}

let cases = 0
function freshDir (name: string): string {
  const dir = join(scratch(), `${cases++}-${name}`)
  mkdirSync(dir)
  return dir
}

/** Someone's directory: a note, a file named like a LevelDB log, a subdirectory. */
function someonesFiles (): string {
  const dir = freshDir('home')
  writeFileSync(join(dir, 'notes.txt'), 'mine\n')
  writeFileSync(join(dir, '000005.log'), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]))
  mkdirSync(join(dir, 'photos'))
  writeFileSync(join(dir, 'photos', 'a.jpg'), Buffer.alloc(1000, 7))
  return dir
}

/** Another program's LevelDB (a datastore with a key, closed cleanly), without the tracker's marker. */
async function anotherLevelDb (): Promise<string> {
  const dir = join(freshDir('leveldb'), 'db')
  const db = new Level<string, string>(dir)
  await db.put('/blocks/abc', 'someone else\'s data')
  await db.close()
  return dir
}

async function expectRefused (args: string[], path: string, why: RegExp): Promise<void> {
  const before = snapshot(path)
  const run = await runCliToExit([...args, `--storage.path=${path}`], {}, RUN_LIMIT_MS)
  expectStoreRefusal(run, path, why)
  expect(run.stdout).toBe('')
  expect(snapshot(path)).toEqual(before)
}

describe('storage commands on a directory the tracker did not make', () => {
  for (const command of ['info', 'compact', 'repair', 'reset']) {
    it(`storage ${command}: someone's files, another LevelDB and an empty directory are left byte for byte`, async () => {
      await expectRefused(['storage', command], someonesFiles(), /the directory is not empty and holds no libp2p-peer-tracker store; it was left as it is/)
      await expectRefused(['storage', command], await anotherLevelDb(), /it holds a LevelDB store that libp2p-peer-tracker did not make \(no LIBP2P_PEER_TRACKER_STORE file\)/)
      const empty = freshDir('empty')
      await expectRefused(['storage', command], empty, /: there is no store there$/)
      expect(readdirSync(empty)).toEqual([])
    }, TIMEOUT_MS)
  }

  it('the tracker: someone\'s files and another LevelDB are left byte for byte, as is a directory with a marker file someone else wrote', async () => {
    const base = ['--web.listen-address=127.0.0.1:0', '--p2p.listen=/ip4/127.0.0.1/tcp/0', '--p2p.dht=off', '--p2p.bootstrap=']
    await expectRefused(base, someonesFiles(), /the directory is not empty and holds no libp2p-peer-tracker store/)
    await expectRefused(base, await anotherLevelDb(), /it holds a LevelDB store that libp2p-peer-tracker did not make/)
    // A directory that holds a file named like the marker, written by someone else, is no store either.
    const fake = someonesFiles()
    writeFileSync(join(fake, 'LIBP2P_PEER_TRACKER_STORE'), 'not the tracker\'s\n')
    await expectRefused(['storage', 'repair'], fake, /its LIBP2P_PEER_TRACKER_STORE file is not one libp2p-peer-tracker wrote/)
  }, TIMEOUT_MS)
})
