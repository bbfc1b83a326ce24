/**
 * Stores the built CLI cannot use: each is one line on stderr naming --storage.path and the
 * path, exit code 2, no stack trace, and the store is left exactly as it was (never deleted or
 * rewritten). Also the storage commands (info, compact, reset, repair) on a real store.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { runCliToExit, startCliTracker } from '../support/tracker.js'
import { expectStoreRefusal } from '../support/store-refusal.js'
import { waitFor } from '../support/wait.js'

const cleanups: Array<() => Promise<unknown> | unknown> = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

function tempDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'tracker-bad-store-'))
  cleanups.push(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

/** Each case runs the CLI once or more; generous for a loaded 2-core machine. */
const TIMEOUT_MS = 120_000
/** How long one CLI run may take before it is killed (module loading alone takes seconds under load). */
const RUN_LIMIT_MS = 60_000

const BASE = ['--web.listen-address=127.0.0.1:0', '--p2p.listen=/ip4/127.0.0.1/tcp/0', '--p2p.dht=off', '--p2p.bootstrap=']

/** A store written by the tracker itself (started, stopped cleanly), made once; each test gets a copy. */
let template: string | undefined
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracker-store-template-'))
  afterAllCleanups.push(() => { rmSync(dir, { recursive: true, force: true }) })
  const path = join(dir, 'store')
  const run = await startCliTracker(['--p2p.bootstrap=', `--storage.path=${path}`, '--storage.flush-interval=100ms', '--log.level=debug'])
  await waitFor('a batch written', () => run.logs().some(l => l.msg === 'history written to the store'), 60_000)
  run.process.kill('SIGTERM')
  expect((await run.exited).code).toBe(0)
  template = path
}, TIMEOUT_MS)
const afterAllCleanups: Array<() => void> = []
afterAll(() => { for (const fn of afterAllCleanups) fn() })

async function realStore (dir: string): Promise<string> {
  const path = join(dir, 'store')
  cpSync(template as string, path, { recursive: true })
  return path
}

function snapshot (path: string): Record<string, string> {
  return Object.fromEntries(readdirSync(path).filter(f => f !== 'LOG' && f !== 'LOG.old' && f !== 'LOCK').map(f => [f, readFileSync(join(path, f)).toString('base64')]))
}

/** Runs the tracker on the store; expects exit 2 and exactly one stderr line naming the flag and the path. */
async function refused (path: string, why: RegExp): Promise<void> {
  const run = await runCliToExit([...BASE, `--storage.path=${path}`], {}, RUN_LIMIT_MS)
  expectStoreRefusal(run, path, why)
  expect(run.stdout).not.toMatch(/"stack"/)
}

describe('storage: stores the tracker cannot use', () => {
  it('corrupt: one line, exit 2, the files left as they were', async () => {
    const path = await realStore(tempDir())
    const manifest = readdirSync(path).find(f => f.startsWith('MANIFEST-')) as string
    writeFileSync(join(path, manifest), Buffer.alloc(200, 0x5a))
    const before = snapshot(path)
    await refused(path, /it is corrupt .*storage repair/)
    expect(snapshot(path)).toEqual(before)
  }, TIMEOUT_MS)

  it('a CURRENT file naming a missing manifest (a damaged store): one line, exit 2, left as it was', async () => {
    const path = await realStore(tempDir())
    writeFileSync(join(path, 'CURRENT'), 'MANIFEST-999999\n')
    const before = snapshot(path)
    await refused(path, /storage repair/)
    expect(snapshot(path)).toEqual(before)
  }, TIMEOUT_MS)

  it('locked by a running tracker: the second one gets one line and exit 2; the first keeps running', async () => {
    const path = join(tempDir(), 'store')
    const first = await startCliTracker(['--p2p.bootstrap=', `--storage.path=${path}`])
    cleanups.push(first.kill)
    await refused(path, /another process holds its lock/)
    const storageCommand = await runCliToExit(['storage', 'compact', `--storage.path=${path}`], {}, RUN_LIMIT_MS)
    expect(storageCommand.code).toBe(2)
    expect(storageCommand.stderr).toMatch(/^libp2p-peer-tracker: --storage.path: cannot open the store at .*another process holds its lock/)
    expect((await fetch(`${first.url}/-/healthy`)).status).toBe(200)
  }, TIMEOUT_MS)

  it('a path under a regular file: one line, exit 2', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'file'), 'not a directory')
    await refused(join(dir, 'file', 'store'), /a part of the path is not a directory/)
  }, TIMEOUT_MS)

  it('no permission: one line, exit 2 (chmod 000 as a user; as root, which ignores modes, an immutable directory, or a directory sysfs refuses)', async () => {
    const path = await realStore(tempDir())
    if (process.getuid?.() !== 0) {
      chmodSync(path, 0o000)
      cleanups.push(() => { chmodSync(path, 0o700) })
      await refused(path, /no permission to use it/)
      return
    }
    let immutable = true
    try {
      execFileSync('chattr', ['+i', path], { stdio: 'ignore' })
    } catch {
      immutable = false // no chattr, or no CAP_LINUX_IMMUTABLE in this container
    }
    if (immutable) {
      cleanups.push(() => { execFileSync('chattr', ['-i', path]) })
      await refused(path, /no permission to use it/)
    } else {
      // Even root may not create a directory in sysfs (EPERM; EROFS where /sys is mounted read-only).
      await refused('/sys/libp2p-peer-tracker-test-store', /no permission to use it|read-only file system/)
    }
  }, TIMEOUT_MS)

  it('another format version, or data without a format key: one line, exit 2, nothing rewritten', async () => {
    const path = await realStore(tempDir())
    const db = new Level<string, string>(path)
    await db.put('/tracker/format', '99')
    await db.close()
    const keysOf = async (): Promise<Record<string, string>> => {
      const reader = new Level<string, string>(path)
      const entries = Object.fromEntries(await reader.iterator().all())
      await reader.close()
      return entries
    }
    const before = await keysOf()
    await refused(path, /format version "99" and this tracker reads version 1/)
    // LevelDB may move its log into a table when it opens, but what the store holds is the same.
    expect(await keysOf()).toEqual(before)
    expect(before['/tracker/format']).toBe('99')

    const foreign = join(tempDir(), 'foreign')
    const other = new Level<string, string>(foreign)
    await other.put('/blocks/abc', 'someone else\'s data')
    await other.close()
    // Refused before LevelDB opens it: byte for byte as it was (test/e2e/storage-foreign-directory.test.ts).
    await refused(foreign, /it holds a LevelDB store that libp2p-peer-tracker did not make/)
  }, TIMEOUT_MS)

  it('a non-empty directory that is no store of the tracker is not filled with one', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'home'))
    writeFileSync(join(dir, 'home', 'notes.txt'), 'mine')
    await refused(join(dir, 'home'), /not empty and holds no libp2p-peer-tracker store/)
    expect(readdirSync(join(dir, 'home'))).toEqual(['notes.txt'])
  }, TIMEOUT_MS)
})

describe('storage commands', () => {
  it('info, compact, repair and reset a real store', async () => {
    const path = await realStore(tempDir())
    // The tracker marked the store it made, before LevelDB wrote anything there.
    expect(readFileSync(join(path, 'LIBP2P_PEER_TRACKER_STORE'), 'utf8')).toMatch(/^libp2p-peer-tracker store\n/)
    const info = await runCliToExit(['storage', 'info', `--storage.path=${path}`], {}, RUN_LIMIT_MS)
    expect(info.code, info.stderr).toBe(0)
    expect(JSON.parse(info.stdout)).toMatchObject({ msg: 'store', path, format: '1', peerStoreRecords: 1 })
    const compact = await runCliToExit(['storage', 'compact', `--storage.path=${path}`], {}, RUN_LIMIT_MS)
    expect(compact.code, compact.stderr).toBe(0)
    expect(JSON.parse(compact.stdout)).toMatchObject({ msg: 'store compacted', path })
    const repair = await runCliToExit(['storage', 'repair'], { LIBP2P_TRACKER_STORAGE_PATH: path }, RUN_LIMIT_MS)
    expect(repair.code, repair.stderr).toBe(0)
    expect(JSON.parse(repair.stdout)).toMatchObject({ msg: 'store repaired', format: '1', peerStoreRecords: 1 })
    expect(readdirSync(path)).toContain('LIBP2P_PEER_TRACKER_STORE') // LevelDB's repair leaves files it did not make
    const reset = await runCliToExit(['storage', 'reset', `--storage.path=${path}`], {}, RUN_LIMIT_MS)
    expect(reset.code, reset.stderr).toBe(0)
    expect(JSON.parse(reset.stdout)).toMatchObject({ msg: 'store reset', keysDeleted: expect.any(Number) as number })
    const after = await runCliToExit(['storage', 'info', `--storage.path=${path}`], {}, RUN_LIMIT_MS)
    expect(JSON.parse(after.stdout)).toMatchObject({ format: '1', historyPeers: 0, peerStoreRecords: 0, seenPeers: 0, lastWrite: null })
    // A missing store is not created by a storage command.
    const missing = await runCliToExit(['storage', 'info', `--storage.path=${join(path, '..', 'nothing')}`], {}, RUN_LIMIT_MS)
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/--storage.path: cannot open the store at .*nothing: there is no store there/)
    const noPath = await runCliToExit(['storage', 'info'], {}, RUN_LIMIT_MS)
    expect(noPath.code).toBe(2)
    expect(noPath.stderr).toMatch(/--storage.path: required/)
  }, TIMEOUT_MS)
})
