/**
 * Loading the web config (--web.config.file): reads the file (bounded in size), parses it
 * (./web-config-schema.ts), reads the certificate, key and CA files it names and checks that
 * they make a usable TLS context (./tls-settings.ts); and the fingerprint of those files by
 * which a changed file is noticed and read again (./web-config-source.ts).
 */
import { readFileSync, statSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import { WebConfigError } from '../errors.js'
import { secureContextOptions } from './tls-settings.js'
import { oneLine, parseWebConfig } from './web-config-schema.js'
import type { PemSource, TlsMaterial } from './tls-settings.js'
import type { WebConfigSpec } from './web-config-schema.js'

/** Largest web config file read; real ones are a few hundred bytes. */
export const MAX_WEB_CONFIG_BYTES = 1024 * 1024

/** A spec with its certificate files read: ready to serve. */
export interface WebConfig extends WebConfigSpec {
  tlsMaterial: TlsMaterial | undefined
}

/** A problem in the web config file (one line naming the flag and file): defined with the other named errors. */
export { WebConfigError }

/** Reads and parses the file and the files it names. Synchronous: files are small and reloads rare. */
export function loadWebConfig (file: string): WebConfig {
  const spec = parseWebConfig(readText(file, file), file)
  if (spec.tls === undefined) return { ...spec, tlsMaterial: undefined }
  const read = (source: PemSource, key: string): Buffer => 'file' in source ? readBytes(source.file, key, file) : Buffer.from(source.pem, 'utf8')
  const tlsMaterial: TlsMaterial = {
    cert: read(spec.tls.cert, 'tls_server_config.cert_file'),
    key: read(spec.tls.key, 'tls_server_config.key_file'),
    ca: spec.tls.clientCa === undefined ? undefined : read(spec.tls.clientCa, 'tls_server_config.client_ca_file')
  }
  try {
    createSecureContext(secureContextOptions(spec.tls, tlsMaterial))
  } catch (err) {
    throw new WebConfigError(`--web.config.file: ${file}: the certificate, key or CA cannot be used: ${oneLine((err as Error).message ?? String(err))}`)
  }
  return { ...spec, tlsMaterial }
}

/**
 * A fingerprint of the file and the files it names (inode, size, modification time): when it
 * changes, the file is read again. A few stat calls, cheap enough to run on every connection.
 */
export function webConfigFingerprint (file: string, config: WebConfig | undefined): string {
  const paths = [file]
  if (config?.tls !== undefined) {
    for (const source of [config.tls.cert, config.tls.key, config.tls.clientCa]) {
      if (source !== undefined && 'file' in source) paths.push(source.file)
    }
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
