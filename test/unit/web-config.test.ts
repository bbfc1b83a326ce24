import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/config.js'
import { loadWebConfig, parseWebConfig } from '../../src/web/web-config.js'
import { WebConfigSource } from '../../src/web/web-config-source.js'
import { createLogger } from '../../src/log.js'
import { PassThrough } from 'node:stream'
import { bcryptHash, makePki } from '../e2e/web-support.js'

const HASH = '$2y$10$Z4qGH5u3o0C6Q1zX9bS1be6o0i6Q1Ih3wG7w9lQfTfS3Q6v5d9bQW'

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
      '  min_version: TLS13',
      'http_server_config:',
      '  headers:',
      '    X-Frame-Options: deny',
      '    strict-transport-security: max-age=31536000',
      'basic_auth_users:',
      `  alice: ${HASH}`
    ].join('\n'), '/etc/tracker/web.yml')
    expect(spec.tls).toEqual({
      certFile: '/etc/tracker/server.crt',
      keyFile: '/abs/server.key',
      clientCaFile: '/etc/tracker/ca.crt',
      clientAuth: 'RequireAndVerifyClientCert',
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3'
    })
    expect([...spec.basicAuthUsers]).toEqual([['alice', HASH]])
    expect(spec.headers).toEqual([['X-Frame-Options', 'deny'], ['Strict-Transport-Security', 'max-age=31536000']])
  })

  it('takes an empty file as no TLS, no users, no headers', () => {
    for (const text of ['', '# just a comment\n', '---\n']) {
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
    ['tls_server_config:\n  key_file: k', 'web.yml: tls_server_config.cert_file is required'],
    ['tls_server_config:\n  cert_file: c', 'web.yml: tls_server_config.key_file is required'],
    ['tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS14', 'web.yml: tls_server_config.min_version "TLS14" is not one of TLS10, TLS11, TLS12, TLS13'],
    ['tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS13\n  max_version: TLS12', 'web.yml: tls_server_config.min_version is above max_version'],
    ['tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: Whatever', 'web.yml: tls_server_config.client_auth_type "Whatever" is not one of'],
    ['tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: RequireAndVerifyClientCert', 'needs tls_server_config.client_ca_file'],
    ['basic_auth_users:\n  alice: plaintext', 'web.yml: basic_auth_users.alice is not a bcrypt hash'],
    ['basic_auth_users: [alice]', 'web.yml: basic_auth_users must be a mapping'],
    ['http_server_config:\n  headers:\n    Set-Cookie: a=b', 'web.yml: http_server_config.headers: "Set-Cookie" is not one of'],
    ['http_server_config:\n  headers:\n    X-Content-Type-Options: sniff', 'web.yml: http_server_config.headers.X-Content-Type-Options "sniff" is not one of nosniff'],
    ['http_server_config:\n  http2: maybe', 'web.yml: http_server_config.http2 must be true or false']
  ])('rejects %j with one line naming the flag and file', (text, expected) => {
    expect(errorOf(() => parseWebConfig(text, 'web.yml'))).toContain(expected)
  })
})

describe('loadWebConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-config-'))
  const pki = makePki(dir)
  const server = pki.issue('server', 'serverAuth')
  const other = makePki(dir, 'other-ca').issue('other', 'serverAuth')

  it('reads the certificate files and checks they make a TLS context', () => {
    const file = join(dir, 'ok.yml')
    writeFileSync(file, `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n`)
    const config = loadWebConfig(file)
    expect(config.tlsMaterial?.cert.equals(server.cert)).toBe(true)
    expect(config.tlsMaterial?.key.equals(server.key)).toBe(true)
  })

  it('rejects a missing file, a missing certificate and a key that does not match the certificate', () => {
    expect(errorOf(() => loadWebConfig(join(dir, 'absent.yml')))).toBe(`--web.config.file: cannot read ${join(dir, 'absent.yml')}: ENOENT`)
    const missing = join(dir, 'missing.yml')
    writeFileSync(missing, `tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n`)
    expect(errorOf(() => loadWebConfig(missing))).toBe(`--web.config.file: ${missing}: cannot read tls_server_config.cert_file ${join(dir, 'nope.crt')}: ENOENT`)
    const mismatched = join(dir, 'mismatched.yml')
    writeFileSync(mismatched, `tls_server_config:\n  cert_file: server.crt\n  key_file: ${other.keyFile}\n`)
    expect(errorOf(() => loadWebConfig(mismatched))).toContain('the certificate, key or CA cannot be used')
  })
})

describe('WebConfigSource', () => {
  it('applies a changed file, keeps the last good one when it turns invalid, and reports each failure once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'web-source-'))
    const file = join(dir, 'web.yml')
    writeFileSync(file, `basic_auth_users:\n  alice: ${bcryptHash('a')}\n`)
    let now = 0
    let failures = 0
    const lines: string[] = []
    const sink = new PassThrough()
    sink.on('data', (chunk: Buffer) => { lines.push(chunk.toString('utf8')) })
    const source = new WebConfigSource(file, { log: createLogger({ level: 'info', format: 'json' }, sink), onReloadError: () => { failures++ }, checkIntervalMs: 1000, now: () => now })
    const changes: number[] = []
    source.onChange(config => { changes.push(config.basicAuthUsers.size) })
    expect([...source.current().basicAuthUsers.keys()]).toEqual(['alice'])

    writeFileSync(file, `basic_auth_users:\n  alice: ${bcryptHash('a')}\n  bob: ${bcryptHash('b')}\n`)
    now = 500 // within the check interval: not looked at yet
    expect([...source.current().basicAuthUsers.keys()]).toEqual(['alice'])
    now = 1000
    expect([...source.current().basicAuthUsers.keys()]).toEqual(['alice', 'bob'])
    expect(changes).toEqual([2])

    writeFileSync(file, 'basic_auth_users: [oops')
    now = 2000
    expect([...source.current().basicAuthUsers.keys()]).toEqual(['alice', 'bob'])
    now = 3000
    source.current()
    expect(failures).toBe(1)
    expect(lines.join('')).toContain('web config file is invalid; keeping the last good one')

    writeFileSync(file, 'tls_server_config:\n  cert_file: a\n  key_file: b\n')
    now = 4000
    expect([...source.current().basicAuthUsers.keys()]).toEqual(['alice', 'bob'])
    expect(failures).toBe(2)

    writeFileSync(file, '')
    now = 5000
    expect(source.current().basicAuthUsers.size).toBe(0)
    expect(changes).toEqual([2, 0])
  })
})
