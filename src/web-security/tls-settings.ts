/**
 * The TLS settings of exporter-toolkit's web config (tls_server_config) in Node's terms: the
 * parsed spec (TlsSpec, made by ./web-config-schema.ts), exporter-toolkit's names of client
 * auth policies, TLS versions, cipher suites and curves with what each is in OpenSSL/Node, and
 * the options of a secure context from a spec and the certificate files read (./web-config.ts).
 */

/** The certificate, key and client CA, read from the files the spec names (or its inline PEM). */
export interface TlsMaterial {
  cert: Buffer
  key: Buffer
  ca: Buffer | undefined
}

/** A certificate, key or CA: a file (path resolved against the config file's folder) or inline PEM. */
export type PemSource = { file: string } | { pem: string }

export interface TlsSpec {
  cert: PemSource
  key: PemSource
  clientCa: PemSource | undefined
  clientAuth: ClientAuthType
  minVersion: NodeTlsVersion
  maxVersion: NodeTlsVersion
  /** OpenSSL cipher list for TLS 1.2 and below; undefined: Node's default. */
  ciphers: string | undefined
  /** OpenSSL curve list (ECDHE groups, all TLS versions); undefined: Node's default. */
  ecdhCurve: string | undefined
  /** prefer_server_cipher_suites (default true). */
  honorCipherOrder: boolean
  /** A client certificate must carry one of these SANs (DNS, IP, e-mail or URI, exact match). */
  clientAllowedSans: readonly string[] | undefined
}

export const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const
export type ClientAuthType = typeof CLIENT_AUTH_TYPES[number]
/** exporter-toolkit keeps this old name for RequireAnyClientCert. */
export const CLIENT_AUTH_ALIASES: Record<string, ClientAuthType> = { RequireClientCert: 'RequireAnyClientCert' }

export const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const
export type TlsVersionName = keyof typeof TLS_VERSIONS
export type NodeTlsVersion = typeof TLS_VERSIONS[TlsVersionName]
export const TLS_VERSION_ORDER: readonly NodeTlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']

/**
 * The cipher suites Go's tls.CipherSuites() lists (the ones exporter-toolkit accepts), with
 * their OpenSSL names. As in Go, the list applies to TLS 1.2 and below: the TLS 1.3 suites
 * are accepted and change nothing (TLS 1.3 keeps its default suites).
 */
export const CIPHER_SUITES: Record<string, string | null> = {
  TLS_AES_128_GCM_SHA256: null,
  TLS_AES_256_GCM_SHA384: null,
  TLS_CHACHA20_POLY1305_SHA256: null,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384'
}

/** exporter-toolkit's curve names and OpenSSL's. */
export const CURVES: Record<string, string> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' }

export interface SecureContextSettings {
  cert: Buffer
  key: Buffer
  ca?: Buffer
  minVersion: NodeTlsVersion
  maxVersion: NodeTlsVersion
  ciphers?: string
  ecdhCurve?: string
  honorCipherOrder: boolean
}

export function secureContextOptions (tls: TlsSpec, material: TlsMaterial): SecureContextSettings {
  return {
    cert: material.cert,
    key: material.key,
    ...(material.ca === undefined ? {} : { ca: material.ca }),
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    ...(tls.ciphers === undefined ? {} : { ciphers: tls.ciphers }),
    ...(tls.ecdhCurve === undefined ? {} : { ecdhCurve: tls.ecdhCurve }),
    honorCipherOrder: tls.honorCipherOrder
  }
}
