/**
 * The two packages as a user gets them: `npm pack` of the library (the repository's root) and
 * of the CLI (packages/cli), and apps outside the repository that install them with npm. Used
 * by test/e2e/package-library.test.ts, test/e2e/package-cli.test.ts and bench/install-size.ts.
 */
import { lstat, mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runToolOrFail } from './process.js'

export const REPO = fileURLToPath(new URL('../../', import.meta.url))

/**
 * A plain js-libp2p 3 app that serves its own prom-client registry: what a library user has
 * before adding a metrics package. The versions are the ones this repository installed.
 */
export const PLAIN_APP_PACKAGES = [
  'libp2p', '@libp2p/tcp', '@chainsafe/libp2p-noise', '@chainsafe/libp2p-yamux', '@libp2p/identify', '@libp2p/ping', 'prom-client'
]

/** What only the CLI needs (its server, store, logger, flags, DHT, mplex, YAML, bcrypt, the peer view's chart): never in a library user's app. */
export const CLI_ONLY_PACKAGES = [
  'express', 'level', 'classic-level', 'datastore-level', 'pino', 'commander', 'js-yaml', 'bcryptjs', 'uplot', '@libp2p/kad-dht', '@libp2p/mplex'
]

export interface Packed {
  /** The tarball's path. */
  tarball: string
  /** The files in it, as `npm pack --json` lists them. */
  files: string[]
}

async function pack (args: string[], destination: string): Promise<Packed> {
  const { stdout } = await runToolOrFail('npm', ['pack', ...args, '--json', '--pack-destination', destination], { cwd: REPO, timeoutMs: 120_000 })
  const [packed] = JSON.parse(stdout) as Array<{ filename: string, files: Array<{ path: string }> }>
  if (packed === undefined) throw new Error(`npm pack printed no package: ${stdout}`)
  return { tarball: join(destination, packed.filename), files: packed.files.map(f => f.path) }
}

/**
 * The library, packed from the dist/ this run built (npm test builds first): --ignore-scripts, so
 * that prepack does not rebuild dist/ under the feet of the test files that run the CLI from it.
 */
export async function packLibrary (destination: string): Promise<Packed> {
  return await pack(['--ignore-scripts'], destination)
}

/** The CLI, packed with its prepack: compiled from src/ into packages/cli/dist (never the root's dist/). */
export async function packCli (destination: string): Promise<Packed> {
  return await pack(['--workspace', 'packages/cli'], destination)
}

/** The version this repository installed of each package, for an app's dependencies. */
export async function installedVersions (names: readonly string[]): Promise<Record<string, string>> {
  const versions: Record<string, string> = {}
  for (const name of names) {
    const manifest = JSON.parse(await readFile(join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
    versions[name] = manifest.version
  }
  return versions
}

export interface InstalledApp {
  dir: string
  /** Bytes of every file under its node_modules (apparent sizes, symlinks not followed). */
  bytes: number
  /** Every package in its tree, by name (from npm's node_modules/.package-lock.json). */
  packages: Set<string>
}

/**
 * An app in `dir` with these dependencies, installed by npm as a user would (from npm's cache
 * when it has them). --omit=peer leaves out optional peers that no Node app loads (the React
 * Native packages Helia's WebRTC transport declares).
 */
export async function installApp (dir: string, dependencies: Record<string, string>): Promise<InstalledApp> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'tracker-package-app', private: true, type: 'module', dependencies }, null, 2))
  await runToolOrFail('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=peer', '--loglevel=error'], { cwd: dir, timeoutMs: 300_000 })
  return { dir, bytes: await bytesUnder(join(dir, 'node_modules')), packages: await packagesOf(dir) }
}

/** The packages npm installed in an app (or a global --prefix), by name. */
export async function packagesOf (dir: string): Promise<Set<string>> {
  const lock = JSON.parse(await readFile(join(dir, 'node_modules', '.package-lock.json'), 'utf8')) as { packages: Record<string, unknown> }
  return new Set(Object.keys(lock.packages).map(path => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)))
}

export async function bytesUnder (dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) total += await bytesUnder(path)
    else total += (await lstat(path)).size
  }
  return total
}
