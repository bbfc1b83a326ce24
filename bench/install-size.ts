/**
 * What the library adds to a plain js-libp2p app, against what @libp2p/prometheus-metrics adds
 * to the same app, measured in one run (BENCHMARKS.md, "The library installed into a plain
 * js-libp2p app"). Each app is installed by npm from its cache into a fresh folder; the size is
 * every file's bytes under node_modules, the count every package in npm's tree.
 *
 *   npm run build && npx tsx bench/install-size.ts [--previous PACKAGE.tgz]
 *
 * --previous also measures another tarball of libp2p-peer-tracker (e.g. one packed before the
 * package split) in the same run.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { CLI_ONLY_PACKAGES, PLAIN_APP_PACKAGES, installApp, installedVersions, packLibrary } from '../test/support/package-apps.js'
import type { InstalledApp } from '../test/support/package-apps.js'

const { values } = parseArgs({ options: { previous: { type: 'string' } } })
const work = await mkdtemp(join(tmpdir(), 'tracker-install-size-'))
try {
  const versions = await installedVersions(PLAIN_APP_PACKAGES)
  const { tarball } = await packLibrary(work)
  const subjects: Array<[string, Record<string, string>]> = [
    ['plain js-libp2p app', {}],
    ['+ libp2p-peer-tracker (this tree)', { 'libp2p-peer-tracker': `file:${tarball}` }],
    ['+ @libp2p/prometheus-metrics', await installedVersions(['@libp2p/prometheus-metrics'])]
  ]
  if (values.previous !== undefined) subjects.push(['+ libp2p-peer-tracker (--previous)', { 'libp2p-peer-tracker': `file:${values.previous}` }])
  const apps: InstalledApp[] = []
  for (const [index, [, extra]] of subjects.entries()) apps.push(await installApp(join(work, `app-${index}`), { ...versions, ...extra }))
  const plain = apps[0] as InstalledApp
  const mb = (bytes: number): string => (bytes / 1e6).toFixed(2)
  console.log(`node ${process.version}; the plain app: ${PLAIN_APP_PACKAGES.map(n => `${n}@${versions[n] ?? ''}`).join(', ')}`)
  console.log('| app | node_modules MB | packages | added MB | added packages | CLI-only packages in the tree |')
  console.log('|---|---|---|---|---|---|')
  for (const [index, [name]] of subjects.entries()) {
    const app = apps[index] as InstalledApp
    const added = [...app.packages].filter(p => !plain.packages.has(p))
    const cliOnly = CLI_ONLY_PACKAGES.filter(p => app.packages.has(p))
    console.log(`| ${name} | ${mb(app.bytes)} | ${app.packages.size} | ${index === 0 ? '' : mb(app.bytes - plain.bytes)} | ${index === 0 ? '' : added.length} | ${cliOnly.length === 0 ? 'none' : cliOnly.join(', ')} |`)
  }
} finally {
  await rm(work, { recursive: true, force: true })
}
