/** What this build is: exported as libp2p_tracker_build_info and shown by --version. */
import { readFileSync } from 'node:fs'
import { version as libp2pVersion } from 'libp2p/version'
import type { BuildInfo } from './metrics/tracker-collector.js'

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string, version: string }

export const NAME = packageJson.name
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
