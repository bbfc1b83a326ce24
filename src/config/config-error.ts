/**
 * ConfigError: the error type of a mistake in the user's input (a flag, an environment
 * variable, a file the user named; StoreError and WebConfigError extend it), which the CLI
 * reports as one line with exit code 2. Defined with the other named errors in src/errors.ts.
 */
export { ConfigError } from '../errors.js'
