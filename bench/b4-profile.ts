/**
 * Profiles B4's subjects: `tsx bench/b4-profile.ts [--peers 1000] [--hold-s 20] [--out DIR] [--dial-rate 200] [subjects...]`.
 * Each subject holds the swarm's peers as in B4 with the V8 CPU profiler on; the connect and
 * hold phases land in separate .cpuprofile files (DIR/<subject>-connect|hold.cpuprofile),
 * summarised with bench/profile-summary.ts.
 */
import '../src/runtime/node-shims.js'
import { hold } from './b4-real-peers.js'
import type { Subject } from './b4-real-peers.js'

const args = process.argv.slice(2)
const opt = (name: string, fallback: string): string => { const i = args.indexOf(name); return i === -1 ? fallback : args.splice(i, 2)[1] ?? fallback }
const peers = Number(opt('--peers', '1000'))
const holdMs = Number(opt('--hold-s', '20')) * 1000
const out = opt('--out', '/tmp/b4-profiles')
const dialRate = Number(opt('--dial-rate', '200'))
const subjects = (args.length > 0 ? args : ['plain', 'tracker']) as Subject[]
for (const subject of subjects) {
  const r = await hold(subject, peers, holdMs, 'bench-b4', { profileDir: out, dialRate, connectTimeoutMs: 300_000, log: (t) => { process.stderr.write(`${t}\n`) } })
  process.stdout.write(JSON.stringify(r) + '\n')
}
process.exit(0)
