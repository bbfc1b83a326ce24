/**
 * Property tests (fast-check) of every input the process reads: flags as buildConfig gets
 * them, the command line as commander parses it, the environment, the web config file and the
 * identity file. Each case ends in a valid result or a one-line ConfigError (or commander's
 * usage error for the command line), never another exception.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command, CommanderError } from 'commander'
import fc from 'fast-check'
import yaml from 'js-yaml'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { describe, expect, it } from 'vitest'
import { FLAGS, addTrackerFlags, envName, flagsFromEnvironment, rawConfigOf } from '../../src/cli/flags.js'
import { ConfigError } from '../../src/config/config-error.js'
import { buildConfig } from '../../src/config/parse.js'
import { parseCidr } from '../../src/p2p/connection-gater.js'
import { loadOrCreateIdentity } from '../../src/p2p/identity.js'
import { parseWebConfig } from '../../src/web-security/web-config-schema.js'
import type { RawConfig } from '../../src/config/parse.js'

const RUNS = 300

/** A flag's error names it; one that came from the environment names the variable first. */
const NAMES_FLAG = /^--[a-z0-9.-]+: /
const NAMES_VARIABLE = /^LIBP2P_TRACKER_[A-Z0-9_]+ \(--[a-z0-9.-]+\): /

/** Asserts that an error is a one-line ConfigError naming what the user must fix. */
function expectConfigError (err: unknown, names = NAMES_FLAG): void {
  if (!(err instanceof ConfigError)) throw err
  expect(err.message).not.toMatch(/[\n\r]/)
  expect(err.message).toMatch(names)
}

function outcome (fn: () => unknown, names = NAMES_FLAG): void {
  try {
    fn()
  } catch (err) {
    expectConfigError(err, names)
  }
}

// Every flag of flags.ts, by kind: a new flag is fuzzed without touching this file.
const STRING_FLAGS = FLAGS.filter(f => f.arg !== undefined && f.repeatable !== true).map(f => f.flag)
const LIST_FLAGS = FLAGS.filter(f => f.arg !== undefined && f.repeatable === true).map(f => f.flag)
const BOOLEAN_FLAGS = FLAGS.filter(f => f.arg === undefined).map(f => f.flag)
const ALL_FLAGS = [...STRING_FLAGS, ...LIST_FLAGS, ...BOOLEAN_FLAGS]

/** Strings near what users type: numbers, durations, addresses, CIDRs, and anything at all. */
const value = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.nat().map(String),
  fc.constantFrom('', ' ', '0', '-1', '1e3', '30s', '1h30m', '5x', ':9089', '[::1]:0', '127.0.0.1:65536', '/metrics', '/ip4/127.0.0.1/tcp/0',
    '/ip4/1.2.3.4/tcp/1/p2p/12D3KooWApmhCDoUFED7qJcRjPVrbmAjmATuxCeZrMD9d5CLPFNf', '/dnsaddr/x', '10.0.0.0/8', '::/0', '1.2.3.4/33', 'yamux,mplex', 'a\nb',
    // Bounds of the peer-insight flags, and peer IDs that are not.
    '1', '2', '1000', '1001', '10000000', '10000001', '99ms', '100ms', '999ms', '1s', '7d', '8d', '9007199254740993',
    '/ip4/1.2.3.4/tcp/1/p2p/notapeerid', '/ip4/1.2.3.4/tcp/1/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGA'),
  fc.tuple(fc.ipV4(), fc.integer({ min: -1, max: 40 })).map(([ip, p]) => `${ip}/${p}`),
  fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 140 })).map(([ip, p]) => `${ip}/${p}`)
)

const rawConfig: fc.Arbitrary<RawConfig> = fc.record({
  ...Object.fromEntries(STRING_FLAGS.map(f => [f, value])),
  ...Object.fromEntries(LIST_FLAGS.map(f => [f, fc.array(value, { maxLength: 3 })])),
  ...Object.fromEntries(BOOLEAN_FLAGS.map(f => [f, fc.boolean()]))
}, { requiredKeys: [] }) as fc.Arbitrary<RawConfig>

function command (): Command {
  return addTrackerFlags(new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} }).allowExcessArguments(false))
}

describe('fuzzing the inputs', () => {
  it('covers every flag of flags.ts, each of one kind', () => {
    expect(new Set(ALL_FLAGS).size).toBe(FLAGS.length)
    for (const flag of ['tracker.flapping-sessions', 'tracker.flapping-window', 'tracker.history-peers', 'tracker.history-sessions', 'tracker.rtt-sample-interval']) {
      expect(STRING_FLAGS).toContain(flag)
    }
    // The arbitrary gives each flag a value in some run.
    const seen = new Set(fc.sample(rawConfig, 400).flatMap(raw => Object.keys(raw)))
    expect([...seen].sort()).toEqual([...ALL_FLAGS].sort())
  })

  it('buildConfig: any raw flag values give a config or one ConfigError line', () => {
    fc.assert(fc.property(rawConfig, (raw) => { outcome(() => buildConfig(raw)) }), { numRuns: RUNS })
  })

  it('the command line: any argv gives a usage error, a config or one ConfigError line', () => {
    const flagNames = [...ALL_FLAGS, 'unknown.flag']
    const arg = fc.oneof(
      fc.tuple(fc.constantFrom(...flagNames), value).map(([f, v]) => `--${f}=${v}`),
      fc.constantFrom(...flagNames).map(f => `--${f}`),
      value
    )
    fc.assert(fc.property(fc.array(arg, { maxLength: 8 }), (argv) => {
      const program = command()
      try {
        program.parse(argv, { from: 'user' })
      } catch (err) {
        if (err instanceof CommanderError) return
        throw err
      }
      outcome(() => buildConfig(rawConfigOf(program)))
    }), { numRuns: RUNS })
  })

  it('the environment: any LIBP2P_TRACKER_* values give a config or one ConfigError line naming the variable', () => {
    const names = ALL_FLAGS
    fc.assert(fc.property(fc.dictionary(fc.constantFrom(...names), value.filter(v => !v.includes('\0')), { maxKeys: 5 }), (env) => {
      const saved = { ...process.env }
      try {
        for (const [flag, v] of Object.entries(env)) process.env[envName(flag)] = v
        const program = command()
        try {
          program.parse([], { from: 'user' })
        } catch (err) {
          if (err instanceof CommanderError) return
          throw err
        }
        outcome(() => buildConfig(rawConfigOf(program), { fromEnvironment: flagsFromEnvironment(program) }), NAMES_VARIABLE)
      } finally {
        for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
      }
    }), { numRuns: RUNS })
  })

  it('the web config file: any text or YAML document gives a spec or one ConfigError line', () => {
    const field = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }),
      fc.constantFrom('TLS12', 'TLS13', 'RequireAndVerifyClientCert', 'NoClientCert', '$2y$10$' + 'a'.repeat(53), 'nosniff', 'deny'))
    const doc = fc.record({
      tls_server_config: fc.oneof(field, fc.record({ cert_file: field, key_file: field, client_auth_type: field, client_ca_file: field, min_version: field, max_version: field, extra: field }, { requiredKeys: [] })),
      http_server_config: fc.oneof(field, fc.record({ headers: fc.oneof(field, fc.dictionary(fc.constantFrom('X-Frame-Options', 'Content-Security-Policy', 'X-Bad', 'x-content-type-options'), field)), http2: field }, { requiredKeys: [] })),
      basic_auth_users: fc.oneof(field, fc.dictionary(fc.string(), field, { maxKeys: 3 })),
      other: field
    }, { requiredKeys: [] })
    const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), doc.map(d => yaml.dump(d)), fc.anything().map(a => { try { return yaml.dump(a) } catch { return '' } }),
      fc.constantFrom('a: &x [*x]', '!!js/function "f(){}"', '{', 'tls_server_config: !!binary AAAA', '? [a]\n: b', 'a: *unknown'))
    fc.assert(fc.property(text, (t) => { outcome(() => parseWebConfig(t, '/etc/web.yml')) }), { numRuns: RUNS * 2 })
  })

  it('the identity file: any bytes give a key or one ConfigError line, and the file is left as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuzz-identity-'))
    const valid = privateKeyToProtobuf(await generateKeyPair('Ed25519'))
    const rsaLike = privateKeyToProtobuf(await generateKeyPair('secp256k1'))
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.integer({ min: 0, max: valid.length }).map(n => valid.slice(0, n)),
      fc.tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([i, b]) => { const c = valid.slice(); c[i] = b; return c }),
      fc.constant(rsaLike)
    )
    let n = 0
    await fc.assert(fc.asyncProperty(bytes, async (content) => {
      const file = join(dir, `key-${n++}`)
      writeFileSync(file, content)
      try {
        const identity = await loadOrCreateIdentity(file)
        expect(identity.created).toBe(false)
        expect(identity.privateKey.type).toBe('Ed25519')
      } catch (err) {
        expectConfigError(err)
      }
      expect(new Uint8Array(readFileSync(file))).toEqual(content)
    }), { numRuns: RUNS })
  })

  it('parseCidr accepts exactly the valid ranges', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' })
    expect(parseCidr('2001:db8::/32')).toEqual({ address: '2001:db8::', prefix: 32, family: 'ipv6' })
    expect(parseCidr('192.0.2.7')).toEqual({ address: '192.0.2.7', prefix: 32, family: 'ipv4' })
    for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0/8', 'host/8', '10.0.0.0/8/8', '10.0.0.0/-1', '']) expect(parseCidr(bad)).toBeUndefined()
    expect(() => buildConfig({ 'p2p.deny-cidr': ['10.0.0.0/33'] })).toThrow('--p2p.deny-cidr: "10.0.0.0/33" is not an IP range (examples: 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)')
  })
})
