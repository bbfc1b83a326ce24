/**
 * ConfigError: the error type of a mistake in the user's input (a flag, an environment
 * variable, a file the user named; the web config's WebConfigError extends it), which the
 * CLI reports as one line with exit code 2.
 */

/** A mistake in the user's input. Its message is one line that names the flag or file. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  /** The flag the message starts with (`web.listen-address` for `--web.listen-address: ...`), if any. */
  readonly flag: string | undefined

  constructor (message: string) {
    // Values quoted from the input may hold line breaks or other controls: keep one line.
    // eslint-disable-next-line no-control-regex
    super(message.replace(/[\u0000-\u001f\u007f]/g, c => c === '\n' ? '\\n' : c === '\t' ? ' ' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))
    this.flag = /^--([a-z0-9.-]+): /.exec(this.message)?.[1]
  }
}
