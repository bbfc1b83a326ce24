import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/config/config-error.js'
import { loadWebConfig } from '../../src/web-security/web-config.js'
import { BCRYPT_MAX_COST, parseWebConfig } from '../../src/web-security/web-config-schema.js'
import { WebConfigSource, refusedReload } from '../../src/web-security/web-config-source.js'
import { clientRefusal, subjectAltNames } from '../../src/web-security/tls-server.js'
import { createLogger } from '../../src/log.js'
import { PassThrough } from 'node:stream'
import { bcryptHash, makePki } from '../support/web.js'
import type { WebConfig } from '../../src/web-security/web-config.js'
import type { X509Certificate } from 'node:crypto'

const HASH = '$2y$10$Z4qGH5u3o0C6Q1zX9bS1be6o0i6Q1Ih3wG7w9lQfTfS3Q6v5d9bQW'
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
const TLS = 'tls_server_config:\n  cert_file: c\n  key_file: k\n'

function errorOf (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    const message = (err as Error).message
    expect(message).not.toContain('\n')
    expect(message.startsWith('--web.config.file: ')).toBe(true)
    return message
  }
  throw new Error('expected a ConfigError')
}

describe('parseWebConfig (exporter-toolkit schema)', () => {
  it('reads TLS, users and headers, resolving paths against the file\'s folder', () => {
    const spec = parseWebConfig([
      'tls_server_config:',
      '  cert_file: server.crt',
      '  key_file: /abs/server.key',
      '  client_ca_file: ca.crt',
      '  client_auth_type: RequireAndVerifyClientCert',
      '  min_version: TLS13',
      'http_server_config:',
      '  headers:',
      '    X-Frame-Options: deny',
      '    strict-transport-security: max-age=31536000',
      'basic_auth_users:',
      `  alice: ${HASH}`
    ].join('\n'), '/etc/tracker/web.yml')
    expect(spec.tls).toEqual({
      cert: { file: '/etc/tracker/server.crt' },
      key: { file: '/abs/server.key' },
      clientCa: { file: '/etc/tracker/ca.crt' },
      clientAuth: 'RequireAndVerifyClientCert',
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      ciphers: undefined,
      ecdhCurve: undefined,
      honorCipherOrder: true,
      clientAllowedSans: undefined
    })
    expect([...spec.basicAuthUsers]).toEqual([['alice', HASH]])
    expect(spec.headers).toEqual([['X-Frame-Options', 'deny'], ['Strict-Transport-Security', 'max-age=31536000']])
    expect(spec.rateLimit).toBeUndefined()
  })

  it('reads the rest of exporter-toolkit\'s schema: inline PEM, cipher suites, curves, SANs, the RequireClientCert alias, rate_limit', () => {
    const spec = parseWebConfig([
      'tls_server_config:',
      `  cert: ${JSON.stringify(PEM)}`,
      `  key: ${JSON.stringify(PEM.replace(/CERTIFICATE/g, 'PRIVATE KEY'))}`,
      `  client_ca: ${JSON.stringify(PEM)}`,
      '  client_auth_type: RequireClientCert',
      '  client_allowed_sans: [scraper.example.org, 10.0.0.1]',
      '  max_version: TLS12',
      '  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256]',
      '  curve_preferences: [X25519, CurveP384]',
      '  prefer_server_cipher_suites: false',
      'http_server_config:',
      '  http2: false',
      'rate_limit:',
      '  interval: 1m30s',
      '  burst: 5'
    ].join('\n'), '/etc/tracker/web.yml')
    expect(spec.tls?.cert).toEqual({ pem: PEM })
    expect(spec.tls?.clientCa).toEqual({ pem: PEM })
    expect(spec.tls?.clientAuth).toBe('RequireAnyClientCert')
    expect(spec.tls?.clientAllowedSans).toEqual(['scraper.example.org', '10.0.0.1'])
    expect(spec.tls?.maxVersion).toBe('TLSv1.2')
    // TLS 1.3 suites are accepted and, as in Go, leave TLS 1.3 as it is.
    expect(spec.tls?.ciphers).toBe('ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305')
    expect(spec.tls?.ecdhCurve).toBe('X25519:P-384')
    expect(spec.tls?.honorCipherOrder).toBe(false)
    expect(spec.rateLimit).toEqual({ intervalMs: 90_000, burst: 5 })
    expect(parseWebConfig('rate_limit:\n  interval: 0\n  burst: 3', 'web.yml').rateLimit).toBeUndefined()
    expect(parseWebConfig('rate_limit:\n  interval: 250ms\n  burst: 1', 'web.yml').rateLimit).toEqual({ intervalMs: 250, burst: 1 })
  })

  it('takes an empty file, and an empty tls_server_config, as no TLS (as exporter-toolkit does)', () => {
    for (const text of ['', '# just a comment\n', '---\n', 'tls_server_config: {}\n', 'tls_server_config:\n  cert_file: ""\n']) {
      const spec = parseWebConfig(text, 'web.yml')
      expect(spec.tls).toBeUndefined()
      expect(spec.basicAuthUsers.size).toBe(0)
      expect(spec.headers).toEqual([])
    }
  })

  it.each([
    ['tls_server_config: [1, 2', 'web.yml: not valid YAML (line 2)'],
    ['- a\n- b', 'web.yml: the top level must be a mapping'],
    ['tls_config: {}', 'web.yml: unknown field "tls_config" in the top level'],
    ['tls_server_config:\n  key_file: k', 'web.yml: tls_server_config.cert_file (or cert) is required'],
    ['tls_server_config:\n  cert_file: c', 'web.yml: tls_server_config.key_file (or key) is required'],
    [`${TLS}  cert: ${JSON.stringify(PEM)}`, 'give tls_server_config.cert or tls_server_config.cert_file, not both'],
    ['tls_server_config:\n  cert: server.crt\n  key_file: k', 'tls_server_config.cert must be PEM text'],
    ['tls_server_config:\n  min_version: TLS13', 'tls_server_config.min_version is set but there is no cert_file or cert: TLS would be off'],
    [`${TLS}  min_version: TLS14`, 'web.yml: tls_server_config.min_version "TLS14" is not one of TLS10, TLS11, TLS12, TLS13'],
    [`${TLS}  min_version: TLS13\n  max_version: TLS12`, 'web.yml: tls_server_config.min_version is above max_version'],
    [`${TLS}  client_auth_type: Whatever`, 'web.yml: tls_server_config.client_auth_type "Whatever" is not one of'],
    [`${TLS}  client_auth_type: constructor`, 'tls_server_config.client_auth_type "constructor" is not one of'],
    [`${TLS}  client_auth_type: RequireAndVerifyClientCert`, 'needs tls_server_config.client_ca_file'],
    [`${TLS}  client_auth_type: VerifyClientCertIfGiven`, 'needs tls_server_config.client_ca_file'],
    // exporter-toolkit: "client CA's have been configured without a Client Auth Policy".
    [`${TLS}  client_ca_file: ca.crt`, 'tls_server_config.client_ca_file is set but client_auth_type is not set (NoClientCert)'],
    [`${TLS}  client_ca_file: ca.crt\n  client_auth_type: NoClientCert`, 'tls_server_config.client_ca_file is set but client_auth_type is NoClientCert'],
    [`${TLS}  client_ca: ${JSON.stringify(PEM)}`, 'tls_server_config.client_ca is set but client_auth_type is not set'],
    [`${TLS}  client_allowed_sans: [a]`, 'tls_server_config.client_allowed_sans needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert (not NoClientCert)'],
    [`${TLS}  client_ca_file: ca.crt\n  client_auth_type: VerifyClientCertIfGiven\n  client_allowed_sans: [a]`, 'client_allowed_sans needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert (not VerifyClientCertIfGiven)'],
    [`${TLS}  client_auth_type: RequireAnyClientCert\n  client_allowed_sans: []`, 'tls_server_config.client_allowed_sans is empty'],
    [`${TLS}  client_auth_type: RequireAnyClientCert\n  client_allowed_sans: a`, 'tls_server_config.client_allowed_sans must be a list of non-empty strings'],
    [`${TLS}  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]`, 'tls_server_config.cipher_suites: "TLS_RSA_WITH_RC4_128_SHA" is not one of'],
    [`${TLS}  curve_preferences: [CurveP224]`, 'tls_server_config.curve_preferences: "CurveP224" is not one of CurveP256, CurveP384, CurveP521, X25519'],
    [`${TLS}  prefer_server_cipher_suites: yes please`, 'tls_server_config.prefer_server_cipher_suites must be true or false'],
    ['basic_auth_users:\n  alice: plaintext', 'web.yml: basic_auth_users.alice is not a bcrypt hash'],
    ['basic_auth_users:\n  alice: $2x$10$Z4qGH5u3o0C6Q1zX9bS1be6o0i6Q1Ih3wG7w9lQfTfS3Q6v5d9bQW', 'web.yml: basic_auth_users.alice is not a bcrypt hash'],
    ['basic_auth_users:\n  alice: $2y$03$Z4qGH5u3o0C6Q1zX9bS1be6o0i6Q1Ih3wG7w9lQfTfS3Q6v5d9bQW', 'web.yml: basic_auth_users.alice: bcrypt cost 3 is outside bcrypt\'s range 4..31'],
    ['basic_auth_users:\n  alice: $2y$32$Z4qGH5u3o0C6Q1zX9bS1be6o0i6Q1Ih3wG7w9lQfTfS3Q6v5d9bQW', 'web.yml: basic_auth_users.alice: bcrypt cost 32 is outside bcrypt\'s range 4..31'],
    [`basic_auth_users:\n  bob: $2y$${BCRYPT_MAX_COST + 1}$Z4qGH5u3o0C6Q1zX9bS1be6o0i6Q1Ih3wG7w9lQfTfS3Q6v5d9bQW`, `web.yml: basic_auth_users.bob: bcrypt cost ${BCRYPT_MAX_COST + 1} is above ${BCRYPT_MAX_COST}, the most accepted`],
    ['basic_auth_users: [alice]', 'web.yml: basic_auth_users must be a mapping'],
    ['http_server_config:\n  headers:\n    Set-Cookie: a=b', 'web.yml: http_server_config.headers: "Set-Cookie" is not one of'],
    ['http_server_config:\n  headers:\n    X-Content-Type-Options: sniff', 'web.yml: http_server_config.headers.X-Content-Type-Options "sniff" is not one of nosniff'],
    ['http_server_config:\n  http2: maybe', 'web.yml: http_server_config.http2 must be true or false'],
    ['rate_limit:\n  interval: 1s\n  burst: 0', 'web.yml: rate_limit.burst is 0 with an interval set'],
    ['rate_limit:\n  interval: soon\n  burst: 1', 'web.yml: rate_limit.interval "soon" is not a duration'],
    ['rate_limit:\n  interval: 1s\n  burst: -1', 'web.yml: rate_limit.burst must be a whole number'],
    ['rate_limit:\n  per_ip: true', 'web.yml: unknown field "per_ip" in rate_limit']
  ])('rejects %j with one line naming the flag, file and key', (text, expected) => {
    expect(errorOf(() => parseWebConfig(text, 'web.yml'))).toContain(expected)
  })

  it('accepts the bcrypt costs from 4 to the maximum', () => {
    for (const cost of [4, 5, 10, BCRYPT_MAX_COST]) {
      const hash = `$2y$${String(cost).padStart(2, '0')}$Z4qGH5u3o0C6Q1zX9bS1be6o0i6Q1Ih3wG7w9lQfTfS3Q6v5d9bQW`
      expect(parseWebConfig(`basic_auth_users:\n  alice: ${hash}`, 'web.yml').basicAuthUsers.get('alice')).toBe(hash)
    }
  })
})

describe('loadWebConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-config-'))
  const pki = makePki(dir)
  const server = pki.issue('server', 'serverAuth')
  const other = makePki(dir, 'other-ca').issue('other', 'serverAuth')

  it('reads the certificate files and checks they make a TLS context', () => {
    const file = join(dir, 'ok.yml')
    writeFileSync(file, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n')
    const config = loadWebConfig(file)
    expect(config.tlsMaterial?.cert.equals(server.cert)).toBe(true)
    expect(config.tlsMaterial?.key.equals(server.key)).toBe(true)
  })

  it('takes certificate, key and client CA inline', () => {
    const file = join(dir, 'inline.yml')
    writeFileSync(file, [
      'tls_server_config:',
      `  cert: ${JSON.stringify(server.cert.toString())}`,
      `  key: ${JSON.stringify(server.key.toString())}`,
      `  client_ca: ${JSON.stringify(pki.ca.toString())}`,
      '  client_auth_type: RequireAndVerifyClientCert'
    ].join('\n'))
    const config = loadWebConfig(file)
    expect(config.tlsMaterial?.cert.equals(server.cert)).toBe(true)
    expect(config.tlsMaterial?.ca?.equals(pki.ca)).toBe(true)
  })

  it('rejects a missing file, a missing certificate and a key that does not match the certificate', () => {
    expect(errorOf(() => loadWebConfig(join(dir, 'absent.yml')))).toBe(`--web.config.file: cannot read ${join(dir, 'absent.yml')}: ENOENT`)
    const missing = join(dir, 'missing.yml')
    writeFileSync(missing, 'tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n')
    expect(errorOf(() => loadWebConfig(missing))).toBe(`--web.config.file: ${missing}: cannot read tls_server_config.cert_file ${join(dir, 'nope.crt')}: ENOENT`)
    const mismatched = join(dir, 'mismatched.yml')
    writeFileSync(mismatched, `tls_server_config:\n  cert_file: server.crt\n  key_file: ${other.keyFile}\n`)
    expect(errorOf(() => loadWebConfig(mismatched))).toContain('the certificate, key or CA cannot be used')
  })
})

function sourceFor (file: string): { source: WebConfigSource, failures: () => number, log: () => Array<{ level: string, msg: string, err?: string }>, tick: () => void } {
  let now = 0
  let failures = 0
  const lines: string[] = []
  const sink = new PassThrough()
  sink.on('data', (chunk: Buffer) => { lines.push(...chunk.toString('utf8').split('\n').filter(l => l !== '')) })
  const source = new WebConfigSource(file, { log: createLogger({ level: 'info', format: 'json' }, sink), onReloadError: () => { failures++ }, checkIntervalMs: 1000, now: () => now })
  return {
    source,
    failures: () => failures,
    log: () => lines.map(l => JSON.parse(l) as { level: string, msg: string, err?: string }),
    tick: () => { now += 1000; source.current() }
  }
}

describe('WebConfigSource', () => {
  it('applies a changed file, keeps the last good one when it turns invalid, and reports each failure once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'web-source-'))
    const file = join(dir, 'web.yml')
    writeFileSync(file, `basic_auth_users:\n  alice: ${bcryptHash('a')}\n`)
    const { source, failures, log, tick } = sourceFor(file)
    const changes: number[] = []
    source.onChange(config => { changes.push(config.basicAuthUsers.size) })
    expect([...source.current().basicAuthUsers.keys()]).toEqual(['alice'])

    writeFileSync(file, `basic_auth_users:\n  alice: ${bcryptHash('a')}\n  bob: ${bcryptHash('b')}\n`)
    expect([...source.current().basicAuthUsers.keys()]).toEqual(['alice']) // within the check interval: not looked at yet
    tick()
    expect([...source.current().basicAuthUsers.keys()]).toEqual(['alice', 'bob'])
    expect(changes).toEqual([2])

    writeFileSync(file, 'basic_auth_users: [oops')
    tick()
    tick()
    expect([...source.current().basicAuthUsers.keys()]).toEqual(['alice', 'bob'])
    expect(failures()).toBe(1)
    expect(log().some(l => l.msg === 'web config file is invalid; keeping the last good one')).toBe(true)

    writeFileSync(file, 'tls_server_config:\n  cert_file: a\n  key_file: b\n')
    tick()
    expect([...source.current().basicAuthUsers.keys()]).toEqual(['alice', 'bob'])
    expect(failures()).toBe(2)

    writeFileSync(file, `basic_auth_users:\n  alice: ${bcryptHash('a')}\n`)
    tick()
    expect(changes).toEqual([2, 1])
  })

  it.each([
    ['an empty file', ''],
    ['a file truncated before basic_auth_users', 'http_server_config:\n  headers:\n    X-Frame-Options: deny\n'],
    ['basic_auth_users emptied', 'basic_auth_users: {}\n']
  ])('refuses a reload that turns basic authentication off (%s): logged at error, counted, last good config kept', (_what, text) => {
    const dir = mkdtempSync(join(tmpdir(), 'web-source-'))
    const file = join(dir, 'web.yml')
    writeFileSync(file, `basic_auth_users:\n  alice: ${bcryptHash('a')}\n`)
    const { source, failures, log, tick } = sourceFor(file)
    writeFileSync(file, text)
    tick()
    expect([...source.current().basicAuthUsers.keys()]).toEqual(['alice'])
    expect(failures()).toBe(1)
    const refused = log().find(l => l.msg === 'web config file is invalid; keeping the last good one')
    expect(refused?.level).toBe('error')
    expect(refused?.err).toContain('turning basic authentication off (no basic_auth_users left) needs a restart')
    tick()
    expect(failures()).toBe(1) // reported once
  })

  it('starts open with an empty file (nothing to weaken) and accepts users added later', () => {
    const dir = mkdtempSync(join(tmpdir(), 'web-source-'))
    const file = join(dir, 'web.yml')
    writeFileSync(file, '')
    const { source, failures, tick } = sourceFor(file)
    expect(source.current().basicAuthUsers.size).toBe(0)
    writeFileSync(file, `basic_auth_users:\n  alice: ${bcryptHash('a')}\n`)
    tick()
    expect(source.current().basicAuthUsers.size).toBe(1)
    expect(failures()).toBe(0)
  })
})

describe('refusedReload', () => {
  const config = (tls: Partial<NonNullable<WebConfig['tls']>> | undefined, users = 0): WebConfig => ({
    tls: tls === undefined
      ? undefined
      : { cert: { file: 'c' }, key: { file: 'k' }, clientCa: undefined, clientAuth: 'NoClientCert', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: undefined, ecdhCurve: undefined, honorCipherOrder: true, clientAllowedSans: undefined, ...tls },
    basicAuthUsers: new Map(Array.from({ length: users }, (_, i) => [`u${i}`, HASH])),
    headers: [],
    rateLimit: undefined,
    tlsMaterial: undefined
  })

  it('refuses what would turn TLS or authentication off or weaken client certificates, and allows the rest', () => {
    expect(refusedReload(config({}), config(undefined))).toBe('turning TLS off')
    expect(refusedReload(config(undefined), config({}))).toBe('turning TLS on')
    expect(refusedReload(config(undefined, 2), config(undefined, 0))).toContain('turning basic authentication off')
    expect(refusedReload(config({ clientAuth: 'RequireAndVerifyClientCert' }), config({ clientAuth: 'VerifyClientCertIfGiven' }))).toBe('weakening client certificate authentication (client_auth_type RequireAndVerifyClientCert to VerifyClientCertIfGiven)')
    expect(refusedReload(config({ clientAuth: 'RequireAndVerifyClientCert' }), config({ clientAuth: 'RequireAnyClientCert' }))).toContain('weakening')
    expect(refusedReload(config({ clientAuth: 'RequireAnyClientCert' }), config({ clientAuth: 'NoClientCert' }))).toContain('weakening')
    expect(refusedReload(config({ clientAuth: 'RequireAnyClientCert', clientAllowedSans: ['a'] }), config({ clientAuth: 'RequireAnyClientCert' }))).toBe('removing tls_server_config.client_allowed_sans')
    expect(refusedReload(config({}, 1), config({ clientAuth: 'RequireAndVerifyClientCert' }, 2))).toBeUndefined()
    expect(refusedReload(config(undefined, 2), config(undefined, 1))).toBeUndefined()
    expect(refusedReload(config({ clientAuth: 'RequestClientCert' }), config({ clientAuth: 'NoClientCert' }))).toBeUndefined()
  })
})

describe('client certificate checks after the handshake', () => {
  it('reads SANs as Node prints them, quoted values and IPv6 included', () => {
    expect(subjectAltNames('DNS:scraper.example.org, IP Address:10.0.0.1, IP Address:0:0:0:0:0:0:0:1, email:ops@example.org, URI:spiffe://example.org/prometheus, DNS:"a, b"'))
      .toEqual(['scraper.example.org', '10.0.0.1', '::1', 'ops@example.org', 'spiffe://example.org/prometheus', 'a, b'])
    expect(subjectAltNames(undefined)).toEqual([])
  })

  it('refuses by client_auth_type and client_allowed_sans', () => {
    const cert = (subjectAltName: string): X509Certificate => ({ subjectAltName }) as unknown as X509Certificate
    const socket = (c: X509Certificate | undefined, authorized: boolean): { authorized: boolean, getPeerX509Certificate: () => X509Certificate | undefined } => ({ authorized, getPeerX509Certificate: () => c })
    expect(clientRefusal({ clientAuth: 'RequireAnyClientCert', clientAllowedSans: undefined }, socket(undefined, false))).toBe('no client certificate')
    expect(clientRefusal({ clientAuth: 'RequireAnyClientCert', clientAllowedSans: undefined }, socket(cert(''), false))).toBeUndefined()
    expect(clientRefusal({ clientAuth: 'VerifyClientCertIfGiven', clientAllowedSans: undefined }, socket(undefined, false))).toBeUndefined()
    expect(clientRefusal({ clientAuth: 'VerifyClientCertIfGiven', clientAllowedSans: undefined }, socket(cert(''), false))).toBe('client certificate not verified')
    const sans = { clientAuth: 'RequireAndVerifyClientCert' as const, clientAllowedSans: ['scraper.example.org', '::1'] }
    expect(clientRefusal(sans, socket(cert('DNS:other.example.org, DNS:scraper.example.org'), true))).toBeUndefined()
    expect(clientRefusal(sans, socket(cert('IP Address:0:0:0:0:0:0:0:1'), true))).toBeUndefined()
    expect(clientRefusal(sans, socket(cert('DNS:scraper.example.org.evil'), true))).toBe('client certificate has none of client_allowed_sans')
  })
})
