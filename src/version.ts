/** What this build is: exported as libp2p_tracker_build_info and shown by --version. */
import { readFileSync } from 'node:fs'
import { version as libp2pVersion } from 'libp2p/version'
import type { BuildInfo } from './metrics/tracker-collector.js'

// The package this file was installed with: the library (libp2p-peer-tracker) or the CLI
// (libp2p-peer-tracker-cli), which are released together with one version number.
const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }

/** The product's name: the library's package and the CLI's command (whose package is libp2p-peer-tracker-cli). */
export const NAME = 'libp2p-peer-tracker'
export const VERSION = packageJson.version

/** The git revision is stamped at image build time (LIBP2P_TRACKER_REVISION); "unknown" otherwise. */
export function buildInfo (): BuildInfo {
  return {
    version: VERSION,
    revision: process.env.LIBP2P_TRACKER_REVISION ?? 'unknown',
    libp2pVersion,
    nodejsVersion: process.version
  }
}
