/**
 * Helpers for the web tests: real certificates made with Debian's openssl CLI (a CA, a server
 * certificate for 127.0.0.1, a client certificate), a real HTTPS client, bcrypt hashes.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import bcrypt from 'bcryptjs'
import type { SecureVersion, TLSSocket } from 'node:tls'

export interface Pki {
  dir: string
  caFile: string
  ca: Buffer
  /**
   * Makes a certificate signed by this CA; returns the cert and key file paths. A server
   * certificate is for IP 127.0.0.1; `sans` (OpenSSL subjectAltName syntax, e.g. `DNS:a,IP:10.0.0.1`)
   * adds SANs to a client certificate.
   */
  issue: (name: string, usage: 'serverAuth' | 'clientAuth', sans?: string) => { certFile: string, keyFile: string, cert: Buffer, key: Buffer }
}

function openssl (args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
}

/** A fresh CA in `dir` (files named after `name`). */
export function makePki (dir: string, name = 'ca'): Pki {
  const caKey = join(dir, `${name}.key`)
  const caFile = join(dir, `${name}.crt`)
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', caKey, '-out', caFile, '-days', '2', '-subj', `/CN=${name}`], dir)
  return {
    dir,
    caFile,
    ca: readFileSync(caFile),
    issue: (certName, usage, sans) => {
      const keyFile = join(dir, `${certName}.key`)
      const csr = join(dir, `${certName}.csr`)
      const certFile = join(dir, `${certName}.crt`)
      const ext = join(dir, `${certName}.ext`)
      const altNames = usage === 'serverAuth' ? 'IP:127.0.0.1' : sans
      writeFileSync(ext, `${altNames === undefined ? '' : `subjectAltName=${altNames}\n`}basicConstraints=CA:FALSE\nextendedKeyUsage=${usage}\n`)
      openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', `/CN=${usage === 'serverAuth' ? '127.0.0.1' : certName}`], dir)
      openssl(['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-out', certFile, '-days', '2', '-extfile', ext], dir)
      return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) }
    }
  }
}

export interface HttpsAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  /** The negotiated TLS version (TLSv1.2, TLSv1.3) and cipher (OpenSSL name). */
  protocol: string | null
  cipher: string
}

export interface HttpsOptions {
  ca: Buffer
  cert?: Buffer
  key?: Buffer
  auth?: { user: string, password: string }
  headers?: Record<string, string>
  /** The client's TLS limits: versions, TLS 1.2 cipher list, ECDHE curves. */
  minVersion?: SecureVersion
  maxVersion?: SecureVersion
  ciphers?: string
  ecdhCurve?: string
}

/** One GET over a new TLS connection (no keep-alive: each call sees the server's current context). */
export async function httpsGet (url: string, options: HttpsOptions): Promise<HttpsAnswer> {
  return await new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers }
    if (options.auth !== undefined) headers.authorization = `Basic ${Buffer.from(`${options.auth.user}:${options.auth.password}`).toString('base64')}`
    const tls = { minVersion: options.minVersion, maxVersion: options.maxVersion, ciphers: options.ciphers, ecdhCurve: options.ecdhCurve }
    const req = request(url, { ca: options.ca, cert: options.cert, key: options.key, agent: false, headers, timeout: 10_000, ...tls }, (res) => {
      const socket = res.socket as TLSSocket
      const protocol = socket.getProtocol()
      const cipher = socket.getCipher().name
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body, protocol, cipher }) })
      res.on('error', reject)
    })
    req.on('timeout', () => { req.destroy(new Error('timed out')) })
    req.on('error', reject)
    req.end()
  })
}

/** A bcrypt hash as htpasswd -B would make it (cost 4 keeps tests fast; the format is the same). */
export function bcryptHash (password: string, cost = 4): string {
  return bcrypt.hashSync(password, cost)
}
