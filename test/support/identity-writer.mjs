/**
 * Creates identity files in a loop with the built src/p2p/identity.ts (dist/), until killed:
 * `node identity-writer.mjs <dir> <prefix>` writes <dir>/<prefix>-0.key, -1.key, ... and says
 * "ready" on stdout once the module is loaded. For the SIGKILL test of the atomic write.
 */
import { join } from 'node:path'

const [dir, prefix] = process.argv.slice(2)
const { loadOrCreateIdentity } = await import(new URL('../../dist/p2p/identity.js', import.meta.url).href)
process.stdout.write('ready\n')
for (let i = 0; ; i++) await loadOrCreateIdentity(join(dir, `${prefix}-${i}.key`))
