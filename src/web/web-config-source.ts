/**
 * The web config in force, re-read when the file (or a certificate it names) changes: at
 * most once per check interval, a few stat calls decide whether anything changed. A file
 * that became invalid is logged and counted once, and the last good config stays in force.
 * Turning TLS on or off needs a restart (the listening socket is either TLS or not).
 */
import { loadWebConfig, webConfigFingerprint } from './web-config.js'
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
      if ((next.tls === undefined) !== (this.config.tls === undefined)) {
        throw new Error(`--web.config.file: ${this.file}: turning TLS ${next.tls === undefined ? 'off' : 'on'} needs a restart`)
      }
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
