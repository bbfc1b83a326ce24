/**
 * The polling sources stay at the edge: nothing in the pure tracker (src/tracker) or peer
 * insight (src/insight) imports src/sources, and src/sources imports nothing of libp2p.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src')

function importsIn (dir: string): Array<{ file: string, imported: string }> {
  return readdirSync(join(SRC, dir), { withFileTypes: true, recursive: true })
    .filter(e => e.isFile() && e.name.endsWith('.ts'))
    .flatMap(e => {
      const file = join(e.parentPath, e.name)
      return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map(f => ({
        file,
        imported: f.fileName.startsWith('.') ? resolve(dirname(file), f.fileName) : f.fileName
      }))
    })
}

describe('src/sources', () => {
  it('is imported by nothing in src/tracker or src/insight', () => {
    const crossing = [...importsIn('tracker'), ...importsIn('insight')].filter(i => i.imported.startsWith(join(SRC, 'sources')))
    expect(crossing).toEqual([])
  })

  it('imports no libp2p package', () => {
    const libp2p = importsIn('sources').filter(i => /^(@libp2p\/|libp2p$|@chainsafe\/)/.test(i.imported))
    expect(libp2p).toEqual([])
  })
})
