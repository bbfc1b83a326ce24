/**
 * The web config in force, re-read when the file (or a certificate it names) changes: at
 * most once per check interval, a few stat calls decide whether anything changed. A file
 * that became invalid is logged and counted once, and the last good config stays in force.
 * Turning TLS on or off needs a restart (the listening socket is either TLS or not), and so
 * does any change that would weaken authentication (basic auth off, client certificates no
 * longer required or verified, client_allowed_sans removed): an empty or truncated file must
 * never open the endpoints.
 */
import { WebConfigError } from '../errors.js'
import { loadWebConfig, webConfigFingerprint } from './web-config.js'
import type { ClientAuthType } from './tls-settings.js'
import type { WebConfig } from './web-config.js'
import type { Logger } from '../log.js'

export interface WebConfigSourceOptions {
  log: Logger
  /** Told of each reload that failed (the last good config stays). */
  onReloadError?: () => void
  /** Least time between two looks at the file. */
  checkIntervalMs?: number
  now?: () => number
}

export class WebConfigSource {
  readonly file: string
  private config: WebConfig
  private fingerprint: string
  private failedFingerprint: string | undefined
  private lastCheck: number
  private readonly options: Required<Omit<WebConfigSourceOptions, 'onReloadError'>> & Pick<WebConfigSourceOptions, 'onReloadError'>
  private readonly listeners: Array<(config: WebConfig) => void> = []

  /** Loads the file; throws a WebConfigError (one line naming --web.config.file) when it is invalid. */
  constructor (file: string, options: WebConfigSourceOptions) {
    this.file = file
    this.options = { checkIntervalMs: 1000, now: Date.now, ...options }
    const before = webConfigFingerprint(file, undefined)
    this.config = loadWebConfig(file)
    this.fingerprint = fingerprintOf(file, this.config, before)
    this.lastCheck = this.options.now()
  }

  /** The config in force, after a cheap check for changes. */
  current (): WebConfig {
    this.refresh()
    return this.config
  }

  /** Called with the new config after each successful reload. */
  onChange (listener: (config: WebConfig) => void): void {
    this.listeners.push(listener)
  }

  /** Looks at the file if the check interval has passed; reloads it when it changed. */
  refresh (): void {
    const now = this.options.now()
    if (now - this.lastCheck < this.options.checkIntervalMs) return
    this.lastCheck = now
    const seen = webConfigFingerprint(this.file, this.config)
    if (seen === this.fingerprint || seen === this.failedFingerprint) return
    let next: WebConfig
    try {
      next = loadWebConfig(this.file)
      const refused = refusedReload(this.config, next)
      if (refused !== undefined) throw new WebConfigError(`--web.config.file: ${this.file}: ${refused} needs a restart`)
    } catch (err) {
      this.failedFingerprint = seen
      this.options.onReloadError?.()
      this.options.log.error({ file: this.file, err: (err as Error).message }, 'web config file is invalid; keeping the last good one')
      return
    }
    this.config = next
    this.fingerprint = fingerprintOf(this.file, next, seen)
    this.failedFingerprint = undefined
    this.options.log.info({ file: this.file, tls: next.tls !== undefined, basicAuthUsers: next.basicAuthUsers.size }, 'web config file reloaded')
    for (const listener of this.listeners) listener(next)
  }
}

/** How much a client auth type demands of a client: 0 nothing, 1 any certificate, 2 a verified one. */
const CLIENT_CERT_DEMAND: Record<ClientAuthType, number> = {
  NoClientCert: 0,
  RequestClientCert: 0,
  VerifyClientCertIfGiven: 0,
  RequireAnyClientCert: 1,
  RequireAndVerifyClientCert: 2
}

/** Why a reload from `current` to `next` cannot apply without a restart; undefined when it can. */
export function refusedReload (current: WebConfig, next: WebConfig): string | undefined {
  if ((next.tls === undefined) !== (current.tls === undefined)) return `turning TLS ${next.tls === undefined ? 'off' : 'on'}`
  if (current.basicAuthUsers.size > 0 && next.basicAuthUsers.size === 0) return 'turning basic authentication off (no basic_auth_users left)'
  if (current.tls !== undefined && next.tls !== undefined) {
    if (CLIENT_CERT_DEMAND[next.tls.clientAuth] < CLIENT_CERT_DEMAND[current.tls.clientAuth]) {
      return `weakening client certificate authentication (client_auth_type ${current.tls.clientAuth} to ${next.tls.clientAuth})`
    }
    if (current.tls.clientAllowedSans !== undefined && next.tls.clientAllowedSans === undefined) return 'removing tls_server_config.client_allowed_sans'
  }
  return undefined
}

/**
 * The fingerprint to compare against next time. Taken with the files the loaded config names;
 * when the config file itself changed while it was read, keep the earlier fingerprint so the
 * next check reads it again.
 */
function fingerprintOf (file: string, config: WebConfig, before: string): string {
  const after = webConfigFingerprint(file, config)
  const head = (fp: string): string => fp.slice(0, fp.indexOf(';') + 1)
  return head(after) === head(before) ? after : before
}
