/**
 * The web config file (--web.config.file) in Prometheus exporter-toolkit's schema:
 *
 *   tls_server_config: { cert_file, key_file, client_auth_type, client_ca_file, min_version, max_version }
 *   http_server_config: { headers: { <allowed header>: value }, http2 }
 *   basic_auth_users: { <user>: <bcrypt hash> }
 *
 * Parsing is pure (text in, spec or WebConfigError out); loading reads the certificate files
 * and checks that they form a usable TLS context. Every error is one line naming the file.
 */
import { readFileSync, statSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import { dirname, resolve } from 'node:path'
import yaml from 'js-yaml'
import { ConfigError } from '../config.js'

export const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const
export type ClientAuthType = typeof CLIENT_AUTH_TYPES[number]

export const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const
export type TlsVersionName = keyof typeof TLS_VERSIONS
export type NodeTlsVersion = typeof TLS_VERSIONS[TlsVersionName]

/**
 * The security headers exporter-toolkit allows, with the values it allows (undefined: any
 * value). Keys are lower case; the header is sent in its canonical spelling.
 */
const ALLOWED_HEADERS: Record<string, { name: string, values?: readonly string[] }> = {
  'strict-transport-security': { name: 'Strict-Transport-Security' },
  'x-content-type-options': { name: 'X-Content-Type-Options', values: ['nosniff'] },
  'x-frame-options': { name: 'X-Frame-Options', values: ['deny', 'sameorigin'] },
  'x-xss-protection': { name: 'X-XSS-Protection' },
  'content-security-policy': { name: 'Content-Security-Policy' }
}

/** Largest web config file read; real ones are a few hundred bytes. */
export const MAX_WEB_CONFIG_BYTES = 1024 * 1024

const BCRYPT_HASH = /^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/

export interface TlsSpec {
  certFile: string
  keyFile: string
  clientCaFile: string | undefined
  clientAuth: ClientAuthType
  minVersion: NodeTlsVersion
  maxVersion: NodeTlsVersion
}

/** What the file says, with paths resolved against the file's folder. */
export interface WebConfigSpec {
  tls: TlsSpec | undefined
  /** user name -> bcrypt hash; empty: no authentication. */
  basicAuthUsers: ReadonlyMap<string, string>
  /** Extra response headers, canonical name -> value. */
  headers: ReadonlyArray<readonly [string, string]>
}

export interface TlsMaterial {
  cert: Buffer
  key: Buffer
  ca: Buffer | undefined
}

/** A spec with its certificate files read: ready to serve. */
export interface WebConfig extends WebConfigSpec {
  tlsMaterial: TlsMaterial | undefined
}

export const EMPTY_WEB_CONFIG: WebConfig = { tls: undefined, basicAuthUsers: new Map(), headers: [], tlsMaterial: undefined }

/** A problem in the web config file; the message is one line and names the flag and file. */
export class WebConfigError extends ConfigError {}

type Fail = (problem: string) => never

/** Parses the file's text. `file` is used for messages and to resolve relative paths. */
export function parseWebConfig (text: string, file: string): WebConfigSpec {
  const fail: Fail = (problem) => { throw new WebConfigError(`--web.config.file: ${file}: ${oneLine(problem)}`) }
  let doc: unknown
  try {
    doc = yaml.load(text, { schema: yaml.CORE_SCHEMA, json: false })
  } catch (err) {
    const e = err as { reason?: string, mark?: { line?: number }, message?: string }
    fail(`not valid YAML${e.mark?.line === undefined ? '' : ` (line ${e.mark.line + 1})`}: ${e.reason ?? e.message ?? String(err)}`)
  }
  if (doc === undefined || doc === null) return { tls: undefined, basicAuthUsers: new Map(), headers: [] }
  const root = mapping(doc, 'the top level', fail)
  onlyKeys(root, ['tls_server_config', 'http_server_config', 'basic_auth_users'], 'the top level', fail)
  const base = dirname(resolve(file))
  return {
    tls: root.tls_server_config === undefined || root.tls_server_config === null ? undefined : parseTls(root.tls_server_config, base, fail),
    basicAuthUsers: parseUsers(root.basic_auth_users, fail),
    headers: parseHttpServerConfig(root.http_server_config, fail)
  }
}

function parseTls (value: unknown, base: string, fail: Fail): TlsSpec {
  const tls = mapping(value, 'tls_server_config', fail)
  onlyKeys(tls, ['cert_file', 'key_file', 'client_auth_type', 'client_ca_file', 'min_version', 'max_version'], 'tls_server_config', fail)
  const certFile = optionalString(tls.cert_file, 'tls_server_config.cert_file', fail)
  const keyFile = optionalString(tls.key_file, 'tls_server_config.key_file', fail)
  if (certFile === undefined || certFile === '') fail('tls_server_config.cert_file is required')
  if (keyFile === undefined || keyFile === '') fail('tls_server_config.key_file is required')
  const clientCaFile = optionalString(tls.client_ca_file, 'tls_server_config.client_ca_file', fail)
  const clientAuthText = optionalString(tls.client_auth_type, 'tls_server_config.client_auth_type', fail)
  // As exporter-toolkit: a CA file without an auth type means verifying client certificates.
  const clientAuth: ClientAuthType = clientAuthText === undefined || clientAuthText === ''
    ? (clientCaFile === undefined || clientCaFile === '' ? 'NoClientCert' : 'RequireAndVerifyClientCert')
    : (CLIENT_AUTH_TYPES as readonly string[]).includes(clientAuthText)
        ? clientAuthText as ClientAuthType
        : fail(`tls_server_config.client_auth_type "${clientAuthText}" is not one of ${CLIENT_AUTH_TYPES.join(', ')}`)
  if ((clientAuth === 'VerifyClientCertIfGiven' || clientAuth === 'RequireAndVerifyClientCert') && (clientCaFile === undefined || clientCaFile === '')) {
    fail(`tls_server_config.client_auth_type ${clientAuth} needs tls_server_config.client_ca_file`)
  }
  const minVersion = tlsVersion(tls.min_version, 'min_version', 'TLS12', fail)
  const maxVersion = tlsVersion(tls.max_version, 'max_version', 'TLS13', fail)
  if (minVersion > maxVersion) fail('tls_server_config.min_version is above max_version')
  return {
    certFile: resolve(base, certFile),
    keyFile: resolve(base, keyFile),
    clientCaFile: clientCaFile === undefined || clientCaFile === '' ? undefined : resolve(base, clientCaFile),
    clientAuth,
    minVersion,
    maxVersion
  }
}

function tlsVersion (value: unknown, key: string, fallback: TlsVersionName, fail: Fail): NodeTlsVersion {
  const text = optionalString(value, `tls_server_config.${key}`, fail)
  if (text === undefined || text === '') return TLS_VERSIONS[fallback]
  if (!Object.hasOwn(TLS_VERSIONS, text)) fail(`tls_server_config.${key} "${text}" is not one of ${Object.keys(TLS_VERSIONS).join(', ')}`)
  return TLS_VERSIONS[text as TlsVersionName]
}

function parseUsers (value: unknown, fail: Fail): Map<string, string> {
  const users = new Map<string, string>()
  if (value === undefined || value === null) return users
  const map = mapping(value, 'basic_auth_users', fail)
  for (const [user, hash] of Object.entries(map)) {
    if (user === '' || user.includes(':')) fail(`basic_auth_users: user name "${user}" must be non-empty and without ':'`)
    if (typeof hash !== 'string' || !BCRYPT_HASH.test(hash)) fail(`basic_auth_users.${user} is not a bcrypt hash (make one with htpasswd -nBC 10 "" | tr -d ':\\n')`)
    users.set(user, hash)
  }
  return users
}

function parseHttpServerConfig (value: unknown, fail: Fail): Array<[string, string]> {
  if (value === undefined || value === null) return []
  const http = mapping(value, 'http_server_config', fail)
  onlyKeys(http, ['headers', 'http2'], 'http_server_config', fail)
  if (http.http2 !== undefined && http.http2 !== null && typeof http.http2 !== 'boolean') fail('http_server_config.http2 must be true or false')
  const headers: Array<[string, string]> = []
  if (http.headers === undefined || http.headers === null) return headers
  for (const [name, headerValue] of Object.entries(mapping(http.headers, 'http_server_config.headers', fail))) {
    const allowed = ALLOWED_HEADERS[name.toLowerCase()]
    if (allowed === undefined) fail(`http_server_config.headers: "${name}" is not one of ${Object.values(ALLOWED_HEADERS).map(h => h.name).join(', ')}`)
    if (typeof headerValue !== 'string' || headerValue === '' || /[\r\n\0]/.test(headerValue) || /[^\t\x20-\x7e\x80-\xff]/.test(headerValue)) {
      fail(`http_server_config.headers.${name} must be a non-empty single-line string`)
    }
    if (allowed.values !== undefined && !allowed.values.includes(headerValue.toLowerCase())) {
      fail(`http_server_config.headers.${name} "${headerValue}" is not one of ${allowed.values.join(', ')}`)
    }
    headers.push([allowed.name, headerValue])
  }
  return headers
}

function mapping (value: unknown, where: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${where} must be a mapping`)
  return value as Record<string, unknown>
}

function onlyKeys (map: Record<string, unknown>, known: readonly string[], where: string, fail: Fail): void {
  for (const key of Object.keys(map)) {
    if (!known.includes(key)) fail(`unknown field "${key}" in ${where} (known: ${known.join(', ')})`)
  }
}

function optionalString (value: unknown, key: string, fail: Fail): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') fail(`${key} must be a string`)
  return value
}

function oneLine (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\r\n\u0000-\u001f]+/g, ' ').trim().slice(0, 500)
}

/** Reads and parses the file and the files it names. Synchronous: files are small and reloads rare. */
export function loadWebConfig (file: string): WebConfig {
  const spec = parseWebConfig(readText(file, file), file)
  if (spec.tls === undefined) return { ...spec, tlsMaterial: undefined }
  const tlsMaterial: TlsMaterial = {
    cert: readBytes(spec.tls.certFile, 'tls_server_config.cert_file', file),
    key: readBytes(spec.tls.keyFile, 'tls_server_config.key_file', file),
    ca: spec.tls.clientCaFile === undefined ? undefined : readBytes(spec.tls.clientCaFile, 'tls_server_config.client_ca_file', file)
  }
  try {
    createSecureContext(secureContextOptions(spec.tls, tlsMaterial))
  } catch (err) {
    throw new WebConfigError(`--web.config.file: ${file}: the certificate, key or CA cannot be used: ${oneLine((err as Error).message ?? String(err))}`)
  }
  return { ...spec, tlsMaterial }
}

export function secureContextOptions (tls: TlsSpec, material: TlsMaterial): { cert: Buffer, key: Buffer, ca?: Buffer, minVersion: NodeTlsVersion, maxVersion: NodeTlsVersion } {
  return {
    cert: material.cert,
    key: material.key,
    ...(material.ca === undefined ? {} : { ca: material.ca }),
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion
  }
}

/**
 * A fingerprint of the file and the files it names (inode, size, modification time): when it
 * changes, the file is read again. A few stat calls, cheap enough to run on every connection.
 */
export function webConfigFingerprint (file: string, config: WebConfig | undefined): string {
  const paths = [file]
  if (config?.tls !== undefined) {
    paths.push(config.tls.certFile, config.tls.keyFile)
    if (config.tls.clientCaFile !== undefined) paths.push(config.tls.clientCaFile)
  }
  let out = ''
  for (const path of paths) {
    try {
      const s = statSync(path)
      out += `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs};`
    } catch (err) {
      out += `${(err as NodeJS.ErrnoException).code ?? 'error'};`
    }
  }
  return out
}

function readText (path: string, file: string): string {
  return readBytes(path, undefined, file).toString('utf8')
}

function readBytes (path: string, key: string | undefined, file: string): Buffer {
  const what = key === undefined ? '' : `${key} ${path}: `
  let bytes: Buffer
  try {
    const size = statSync(path).size
    if (size > MAX_WEB_CONFIG_BYTES) throw new WebConfigError(`--web.config.file: ${file}: ${what}larger than ${MAX_WEB_CONFIG_BYTES} bytes`)
    bytes = readFileSync(path)
  } catch (err) {
    if (err instanceof WebConfigError) throw err
    const code = (err as NodeJS.ErrnoException).code ?? String(err)
    throw new WebConfigError(key === undefined ? `--web.config.file: cannot read ${file}: ${code}` : `--web.config.file: ${file}: cannot read ${key} ${path}: ${code}`)
  }
  return bytes
}
