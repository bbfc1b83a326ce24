/**
 * The files a polling source reads at start: the API credentials (--source.auth-file) and
 * the CA (--source.ca-file). A file that cannot be read or does not hold what it should is a
 * ConfigError naming its flag (exit 2); the secret itself never appears in a message.
 */
import { readFileSync, statSync } from 'node:fs'
import { ConfigError } from '../config/config-error.js'

/** Files larger than this are not credentials or a CA bundle. */
const MAX_FILE_BYTES = 1024 * 1024

function readSmallFile (flag: string, path: string): string {
  try {
    if (statSync(path).size > MAX_FILE_BYTES) throw new ConfigError(`${flag}: ${path} is larger than 1 MiB`)
    return readFileSync(path, 'utf8')
  } catch (err) {
    if (err instanceof ConfigError) throw err
    const { code, message } = err as NodeJS.ErrnoException
    throw new ConfigError(`${flag}: cannot read ${path} (${code ?? message})`)
  }
}

/**
 * The Authorization header for a file in Kubo's AuthSecret format (API.Authorizations):
 * `bearer:TOKEN` -> `Bearer TOKEN`, `basic:USER:PASSWORD` -> `Basic base64(USER:PASSWORD)`.
 * Surrounding white space (a final newline) is dropped.
 */
export function readAuthorization (path: string): string {
  const flag = '--source.auth-file'
  const secret = readSmallFile(flag, path).trim()
  const malformed = new ConfigError(`${flag}: ${path} does not hold bearer:TOKEN or basic:USER:PASSWORD (one line)`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(secret)) throw malformed
  const colon = secret.indexOf(':')
  const scheme = secret.slice(0, colon).toLowerCase()
  const value = secret.slice(colon + 1)
  if (colon === -1 || value === '') throw malformed
  if (scheme === 'bearer') return `Bearer ${value}`
  if (scheme === 'basic' && value.includes(':') && !value.startsWith(':')) return `Basic ${Buffer.from(value, 'utf8').toString('base64')}`
  throw malformed
}

/** The PEM CA certificate(s) for an https --source.url. */
export function readCa (path: string): string {
  const pem = readSmallFile('--source.ca-file', path)
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`--source.ca-file: ${path} holds no PEM certificate`)
  return pem
}
