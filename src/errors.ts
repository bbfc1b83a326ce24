/**
 * The errors a library user or an operator can meet, each with a fixed `name` (as js-libp2p's
 * packages/interface/src/errors.ts names its errors), so a caller can tell them apart with
 * `err.name === 'RegistryClashError'` or `err instanceof RegistryClashError`. docs/library.md
 * says which can be thrown, and when.
 *
 * Thrown by the library (the peerTracker service):
 * - RegistryClashError: the prom-client registry already has one of the tracker's metrics;
 * - Libp2pInternalsError: a part of libp2p the tracker relies on is missing (an upgrade broke it).
 *
 * Thrown by the CLI's parts, for a mistake in the user's input (reported as one line, exit 2):
 * - ConfigError: a flag, an environment variable or a file the user named;
 * - StoreError (a ConfigError): the store at --storage.path cannot be used;
 * - WebConfigError (a ConfigError): the file of --web.config.file cannot be used.
 */

/** Removes line breaks and other controls, so a message quoting the user's input stays one line. */
function oneLine (message: string): string {
  // eslint-disable-next-line no-control-regex
  return message.replace(/[\u0000-\u001f\u007f]/g, c => c === '\n' ? '\\n' : c === '\t' ? ' ' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

/**
 * The prom-client registry given to peerTracker({ registry }) already has a metric of one of
 * the tracker's names (most often: a second tracker in the same registry). Nothing was
 * registered. Give each tracker its own registry, or `registry: false`.
 */
export class RegistryClashError extends Error {
  static override name = 'RegistryClashError'
  /** The metric name the registry already had. */
  readonly metric: string

  constructor (metric: string, message = `this prom-client registry already has a metric named ${metric}`) {
    super(message)
    this.name = 'RegistryClashError'
    this.metric = metric
  }
}

/**
 * A part of libp2p the tracker relies on beyond @libp2p/interface (such as the connection
 * manager's openConnection, which it wraps to count dials) is missing or changed: most likely
 * a libp2p upgrade. Thrown when the service starts; the node does not start.
 */
export class Libp2pInternalsError extends Error {
  static override name = 'Libp2pInternalsError'
  /** What is missing, as `component.member` (for example `connectionManager.openConnection`). */
  readonly internal: string

  constructor (internal: string, message = `libp2p has no ${internal} (libp2p version changed?)`) {
    super(message)
    this.name = 'Libp2pInternalsError'
    this.internal = internal
  }
}

/**
 * A mistake in the user's input: a flag, an environment variable, a file the user named. Its
 * message is one line that names the flag (`--web.listen-address: ...`); the CLI prints it and
 * exits with code 2.
 */
export class ConfigError extends Error {
  static override name = 'ConfigError'
  /** The flag the message starts with (`web.listen-address` for `--web.listen-address: ...`), if any. */
  readonly flag: string | undefined

  constructor (message: string) {
    // Values quoted from the input may hold line breaks or other controls: keep one line.
    super(oneLine(message))
    this.name = 'ConfigError'
    this.flag = /^--([a-z0-9.-]+): /.exec(this.message)?.[1]
  }
}

/**
 * The store at --storage.path cannot be used: another program's files, a store another process
 * holds, a corrupt store, one of another format version, a file-system problem. The store was
 * left as it was.
 */
export class StoreError extends ConfigError {
  static override name = 'StoreError'

  constructor (message: string) {
    super(message)
    this.name = 'StoreError'
  }
}

/** The file of --web.config.file cannot be read or is not a valid exporter-toolkit web config. */
export class WebConfigError extends ConfigError {
  static override name = 'WebConfigError'

  constructor (message: string) {
    super(message)
    this.name = 'WebConfigError'
  }
}
