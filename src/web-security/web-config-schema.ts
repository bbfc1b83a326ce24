/**
 * The web config file (--web.config.file) in Prometheus exporter-toolkit's schema
 * (github.com/prometheus/exporter-toolkit, web/tls_config.go and docs/web-configuration.md):
 *
 *   tls_server_config: { cert | cert_file, key | key_file, client_auth_type, client_ca | client_ca_file,
 *                        client_allowed_sans, min_version, max_version, cipher_suites,
 *                        curve_preferences, prefer_server_cipher_suites }
 *   http_server_config: { headers: { <allowed header>: value }, http2 }
 *   basic_auth_users: { <user>: <bcrypt hash> }
 *   rate_limit: { interval, burst }
 *
 * Parsing is pure: text in, a spec or a WebConfigError out, one line naming the file and the
 * key. TLS names are looked up in ./tls-settings.ts; ./web-config.ts reads the files.
 */
import { dirname, resolve } from 'node:path'
import yaml from 'js-yaml'
import { GO_DURATION, durationMs } from '../config/duration.js'
import { WebConfigError } from '../errors.js'
import { CIPHER_SUITES, CLIENT_AUTH_ALIASES, CLIENT_AUTH_TYPES, CURVES, TLS_VERSIONS, TLS_VERSION_ORDER } from './tls-settings.js'
import type { ClientAuthType, NodeTlsVersion, PemSource, TlsSpec, TlsVersionName } from './tls-settings.js'

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

/** bcrypt's own range of costs (log2 of the rounds). */
export const BCRYPT_MIN_COST = 4
/**
 * The highest bcrypt cost accepted. Every check of a new (or wrong) password runs bcrypt once;
 * bcryptjs (pure JS) takes about 90 ms at cost 10 and 370 ms at cost 12 on the reference machine,
 * 1.5 s at cost 14. At 12, a new credential waits at most two checks (~0.75 s here, a few
 * seconds on a small ARM board), well inside Prometheus' default 10 s scrape timeout.
 */
export const BCRYPT_MAX_COST = 12
const BCRYPT_HASH = /^\$2[aby]?\$(\d\d)\$[./A-Za-z0-9]{53}$/

/** rate_limit: a token bucket over all requests, `burst` deep, one token back every `intervalMs`. */
export interface RateLimitSpec {
  intervalMs: number
  burst: number
}

/** What the file says, with paths resolved against the file's folder. */
export interface WebConfigSpec {
  tls: TlsSpec | undefined
  /** user name -> bcrypt hash; empty: no authentication. */
  basicAuthUsers: ReadonlyMap<string, string>
  /** Extra response headers, canonical name -> value. */
  headers: ReadonlyArray<readonly [string, string]>
  rateLimit: RateLimitSpec | undefined
}

type Fail = (problem: string) => never

const TOP_LEVEL_KEYS = ['tls_server_config', 'http_server_config', 'basic_auth_users', 'rate_limit']
const TLS_KEYS = ['cert', 'key', 'client_ca', 'cert_file', 'key_file', 'client_auth_type', 'client_ca_file', 'client_allowed_sans',
  'min_version', 'max_version', 'cipher_suites', 'curve_preferences', 'prefer_server_cipher_suites']

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
  if (doc === undefined || doc === null) return { tls: undefined, basicAuthUsers: new Map(), headers: [], rateLimit: undefined }
  const root = mapping(doc, 'the top level', fail)
  onlyKeys(root, TOP_LEVEL_KEYS, 'the top level', fail)
  const base = dirname(resolve(file))
  return {
    tls: root.tls_server_config === undefined || root.tls_server_config === null ? undefined : parseTls(root.tls_server_config, base, fail),
    basicAuthUsers: parseUsers(root.basic_auth_users, fail),
    headers: parseHttpServerConfig(root.http_server_config, fail),
    rateLimit: parseRateLimit(root.rate_limit, fail)
  }
}

function parseTls (value: unknown, base: string, fail: Fail): TlsSpec | undefined {
  const tls = mapping(value, 'tls_server_config', fail)
  onlyKeys(tls, TLS_KEYS, 'tls_server_config', fail)
  const text = (key: string): string | undefined => {
    const v = optionalString(tls[key], `tls_server_config.${key}`, fail)
    return v === '' ? undefined : v
  }
  const certFile = text('cert_file')
  const cert = text('cert')
  const keyFile = text('key_file')
  const key = text('key')
  const clientCaFile = text('client_ca_file')
  const clientCa = text('client_ca')
  const clientAuthText = text('client_auth_type')
  // As exporter-toolkit: TLS is on when any of these is set; `tls_server_config: {}` is plain HTTP.
  const enabled = [certFile, cert, keyFile, key, clientCaFile, clientCa, clientAuthText].some(v => v !== undefined)
  if (!enabled) {
    // exporter-toolkit would serve plain HTTP here and ignore the rest; a TLS setting without
    // a certificate is a mistake that must not go unnoticed.
    const stray = TLS_KEYS.find(k => k !== 'prefer_server_cipher_suites' && tls[k] !== undefined && tls[k] !== null && tls[k] !== '')
    if (stray !== undefined) fail(`tls_server_config.${stray} is set but there is no cert_file or cert: TLS would be off (give cert_file and key_file, or remove tls_server_config)`)
    return undefined
  }

  const pem = (fileValue: string | undefined, inline: string | undefined, fileKey: string, inlineKey: string): PemSource | undefined => {
    if (fileValue !== undefined && inline !== undefined) fail(`give tls_server_config.${inlineKey} or tls_server_config.${fileKey}, not both`)
    if (fileValue !== undefined) return { file: resolve(base, fileValue) }
    if (inline !== undefined) {
      if (!inline.includes('-----BEGIN ')) fail(`tls_server_config.${inlineKey} must be PEM text (-----BEGIN ...); for a path use tls_server_config.${fileKey}`)
      return { pem: inline }
    }
    return undefined
  }
  const certSource = pem(certFile, cert, 'cert_file', 'cert') ?? fail('tls_server_config.cert_file (or cert) is required')
  const keySource = pem(keyFile, key, 'key_file', 'key') ?? fail('tls_server_config.key_file (or key) is required')
  const clientCaSource = pem(clientCaFile, clientCa, 'client_ca_file', 'client_ca')

  const clientAuth: ClientAuthType = clientAuthText === undefined
    ? 'NoClientCert'
    : (CLIENT_AUTH_TYPES as readonly string[]).includes(clientAuthText)
        ? clientAuthText as ClientAuthType
        : Object.hasOwn(CLIENT_AUTH_ALIASES, clientAuthText)
          ? CLIENT_AUTH_ALIASES[clientAuthText] as ClientAuthType
          : fail(`tls_server_config.client_auth_type "${clientAuthText}" is not one of ${CLIENT_AUTH_TYPES.join(', ')}`)
  const caKey = clientCaFile !== undefined ? 'client_ca_file' : 'client_ca'
  if (clientCaSource !== undefined && clientAuth === 'NoClientCert') {
    // exporter-toolkit: "client CA's have been configured without a Client Auth Policy".
    fail(`tls_server_config.${caKey} is set but client_auth_type is ${clientAuthText === undefined ? 'not set (NoClientCert)' : 'NoClientCert'}: set tls_server_config.client_auth_type (RequireAndVerifyClientCert checks client certificates against the CA)`)
  }
  if ((clientAuth === 'VerifyClientCertIfGiven' || clientAuth === 'RequireAndVerifyClientCert') && clientCaSource === undefined) {
    // exporter-toolkit would verify against the system's public roots: never what is meant here.
    fail(`tls_server_config.client_auth_type ${clientAuth} needs tls_server_config.client_ca_file (or client_ca)`)
  }

  const clientAllowedSans = stringList(tls.client_allowed_sans, 'tls_server_config.client_allowed_sans', fail)
  if (clientAllowedSans !== undefined) {
    if (clientAllowedSans.length === 0) fail('tls_server_config.client_allowed_sans is empty: list the allowed SANs, or remove it')
    if (clientAuth !== 'RequireAnyClientCert' && clientAuth !== 'RequireAndVerifyClientCert') {
      fail(`tls_server_config.client_allowed_sans needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert (not ${clientAuth}): otherwise a client may connect without a certificate`)
    }
  }

  const minVersion = tlsVersion(tls.min_version, 'min_version', 'TLS12', fail)
  const maxVersion = tlsVersion(tls.max_version, 'max_version', 'TLS13', fail)
  if (TLS_VERSION_ORDER.indexOf(minVersion) > TLS_VERSION_ORDER.indexOf(maxVersion)) fail('tls_server_config.min_version is above max_version')

  const cipherNames = stringList(tls.cipher_suites, 'tls_server_config.cipher_suites', fail)
  const ciphers: string[] = []
  for (const name of cipherNames ?? []) {
    if (!Object.hasOwn(CIPHER_SUITES, name)) fail(`tls_server_config.cipher_suites: "${name}" is not one of ${Object.keys(CIPHER_SUITES).join(', ')}`)
    const openssl = CIPHER_SUITES[name]
    if (openssl !== null && openssl !== undefined && !ciphers.includes(openssl)) ciphers.push(openssl)
  }
  const curveNames = stringList(tls.curve_preferences, 'tls_server_config.curve_preferences', fail)
  const curves: string[] = []
  for (const name of curveNames ?? []) {
    const openssl = Object.hasOwn(CURVES, name) ? CURVES[name] : undefined
    if (openssl === undefined) fail(`tls_server_config.curve_preferences: "${name}" is not one of ${Object.keys(CURVES).join(', ')}`)
    if (!curves.includes(openssl)) curves.push(openssl)
  }
  const prefer = tls.prefer_server_cipher_suites
  if (prefer !== undefined && prefer !== null && typeof prefer !== 'boolean') fail('tls_server_config.prefer_server_cipher_suites must be true or false')

  return {
    cert: certSource,
    key: keySource,
    clientCa: clientCaSource,
    clientAuth,
    minVersion,
    maxVersion,
    ciphers: ciphers.length === 0 ? undefined : ciphers.join(':'),
    ecdhCurve: curves.length === 0 ? undefined : curves.join(':'),
    honorCipherOrder: prefer !== false,
    clientAllowedSans
  }
}

function tlsVersion (value: unknown, key: string, fallback: TlsVersionName, fail: Fail): NodeTlsVersion {
  const text = optionalString(value, `tls_server_config.${key}`, fail)
  if (text === undefined || text === '') return TLS_VERSIONS[fallback]
  if (!Object.hasOwn(TLS_VERSIONS, text)) fail(`tls_server_config.${key} "${text}" is not one of ${Object.keys(TLS_VERSIONS).join(', ')}`)
  return TLS_VERSIONS[text as TlsVersionName]
}

/** The cost of a bcrypt hash (the two digits after the version). */
export function bcryptCost (hash: string): number {
  return Number(BCRYPT_HASH.exec(hash)?.[1] ?? NaN)
}

function parseUsers (value: unknown, fail: Fail): Map<string, string> {
  const users = new Map<string, string>()
  if (value === undefined || value === null) return users
  const map = mapping(value, 'basic_auth_users', fail)
  for (const [user, hash] of Object.entries(map)) {
    if (user === '' || user.includes(':')) fail(`basic_auth_users: user name "${user}" must be non-empty and without ':'`)
    if (typeof hash !== 'string' || !BCRYPT_HASH.test(hash)) fail(`basic_auth_users.${user} is not a bcrypt hash (make one with htpasswd -nBC 10 "" | tr -d ':\\n')`)
    const cost = bcryptCost(hash)
    if (cost < BCRYPT_MIN_COST || cost > 31) fail(`basic_auth_users.${user}: bcrypt cost ${cost} is outside bcrypt's range ${BCRYPT_MIN_COST}..31`)
    if (cost > BCRYPT_MAX_COST) {
      fail(`basic_auth_users.${user}: bcrypt cost ${cost} is above ${BCRYPT_MAX_COST}, the most accepted (each wrong password would cost seconds of CPU); make the hash with htpasswd -nBC 10`)
    }
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

/** A Go duration (`1s`, `250ms`, `1m30s`, `0`) in milliseconds, as exporter-toolkit reads rate_limit.interval. */
function goDuration (value: unknown, key: string, fail: Fail): number {
  if (value === 0) return 0
  if (typeof value !== 'string' || value === '') fail(`${key} must be a duration such as 1s, 250ms or 1m30s`)
  const total = durationMs(value, GO_DURATION)
  if (total === undefined) fail(`${key} "${value}" is not a duration such as 1s, 250ms or 1m30s`)
  if (!Number.isFinite(total)) fail(`${key} "${value}" is too long`)
  return total
}

function parseRateLimit (value: unknown, fail: Fail): RateLimitSpec | undefined {
  if (value === undefined || value === null) return undefined
  const limit = mapping(value, 'rate_limit', fail)
  onlyKeys(limit, ['interval', 'burst'], 'rate_limit', fail)
  const intervalMs = limit.interval === undefined || limit.interval === null ? 0 : goDuration(limit.interval, 'rate_limit.interval', fail)
  const burst = limit.burst ?? 0
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 0 || burst > 1_000_000) fail('rate_limit.burst must be a whole number from 0 to 1000000')
  // As exporter-toolkit: an interval of 0 (or none) turns the limiter off.
  if (intervalMs === 0) return undefined
  if (burst === 0) fail('rate_limit.burst is 0 with an interval set: every request would be refused (give a burst of at least 1)')
  return { intervalMs, burst }
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

function stringList (value: unknown, key: string, fail: Fail): string[] | undefined {
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value) || value.some(v => typeof v !== 'string' || v === '')) fail(`${key} must be a list of non-empty strings`)
  return value as string[]
}

export function oneLine (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\r\n\u0000-\u001f]+/g, ' ').trim().slice(0, 500)
}
