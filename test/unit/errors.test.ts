/**
 * The named errors (src/errors.ts), each thrown by the real part that meets the problem: a
 * caller tells them apart by `err.name` or `instanceof` the classes src/index.ts exports, and
 * the CLI's input errors are all ConfigErrors (one line naming the flag, exit 2).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { afterAll, describe, expect, it } from 'vitest'
import { parseDuration } from '../../src/config/values.js'
import * as library from '../../src/index.js'
import { ALL_METRICS } from '../../src/metrics/definitions.js'
import { registerFamilies } from '../../src/metrics/prom-client-families.js'
import { observeDials } from '../../src/service/libp2p-internals.js'
import { openStore } from '../../src/storage/store.js'
import { parseWebConfig } from '../../src/web-security/web-config-schema.js'
import { ConfigError as ConfigErrorOfConfig } from '../../src/config/config-error.js'
import type { RegistryContentType } from 'prom-client'

const dir = mkdtempSync(join(tmpdir(), 'tracker-errors-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

function caught (run: () => unknown): Error {
  try {
    run()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a throw')
}

async function rejected (run: () => Promise<unknown>): Promise<Error> {
  try {
    await run()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a rejection')
}

const CLASSES = [library.RegistryClashError, library.Libp2pInternalsError, library.ConfigError, library.StoreError, library.WebConfigError]

/** The errors each real part throws, by the name it must carry. */
async function thrown (): Promise<Record<string, Error>> {
  const registry = new Registry<RegistryContentType>()
  registerFamilies(registry, ALL_METRICS, () => {})
  const notes = join(dir, 'home')
  rmSync(notes, { recursive: true, force: true })
  mkdirSync(notes)
  writeFileSync(join(notes, 'notes.txt'), 'mine')
  return {
    RegistryClashError: caught(() => registerFamilies(registry, ALL_METRICS, () => {})),
    Libp2pInternalsError: caught(() => observeDials({}, { succeeded: () => {}, failed: () => {}, stopping: () => false })),
    ConfigError: caught(() => parseDuration('--storage.flush-interval', 'soon')),
    StoreError: await rejected(async () => await openStore(notes)),
    WebConfigError: caught(() => parseWebConfig('tls_server_config: [', 'web.yml'))
  }
}

describe('named errors', () => {
  it('each part throws the error of its name, an instance of the class src/index.ts exports', async () => {
    const errors = await thrown()
    for (const [name, err] of Object.entries(errors)) {
      expect(err.name, err.message).toBe(name)
      expect(err).toBeInstanceOf(Error)
      const cls = CLASSES.find(c => c.name === name)
      expect(cls, name).toBeDefined()
      expect(err).toBeInstanceOf(cls as unknown as typeof Error)
      expect(String(err)).toMatch(new RegExp(`^${name}: `))
    }
  })

  it('a user can tell them apart: a library error is none of the others; the input errors are ConfigErrors', async () => {
    const errors = await thrown()
    const clash = errors.RegistryClashError as library.RegistryClashError
    expect(clash.metric).toBe(ALL_METRICS[0]?.name)
    expect(clash.message).toContain(`already has a metric named ${ALL_METRICS[0]?.name ?? ''}`)
    expect(clash).not.toBeInstanceOf(library.ConfigError)
    expect(clash).not.toBeInstanceOf(library.Libp2pInternalsError)
    const internals = errors.Libp2pInternalsError as library.Libp2pInternalsError
    expect(internals.internal).toBe('connectionManager.openConnection')
    expect(internals).not.toBeInstanceOf(library.ConfigError)
    expect(internals).not.toBeInstanceOf(library.RegistryClashError)

    // The CLI's input errors: ConfigError and its two kinds, each naming its flag.
    for (const name of ['ConfigError', 'StoreError', 'WebConfigError']) {
      const err = errors[name] as library.ConfigError
      expect(err).toBeInstanceOf(library.ConfigError)
      expect(err).toBeInstanceOf(ConfigErrorOfConfig) // the class src/config/config-error.ts gives is the same
      expect(err.message).not.toContain('\n')
    }
    expect((errors.ConfigError as library.ConfigError).flag).toBe('storage.flush-interval')
    expect((errors.StoreError as library.ConfigError).flag).toBe('storage.path')
    expect((errors.WebConfigError as library.ConfigError).flag).toBe('web.config.file')
    expect(errors.StoreError).not.toBeInstanceOf(library.WebConfigError)
    expect(errors.WebConfigError).not.toBeInstanceOf(library.StoreError)
    expect(errors.ConfigError).not.toBeInstanceOf(library.StoreError)
  })

  it('each class is named as its errors are, and a ConfigError keeps its message on one line', () => {
    expect(CLASSES.map(c => c.name)).toEqual(['RegistryClashError', 'Libp2pInternalsError', 'ConfigError', 'StoreError', 'WebConfigError'])
    expect(new library.ConfigError('--a.b: x\ny').message).toBe('--a.b: x\\ny')
  })
})
