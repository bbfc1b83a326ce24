/** How the CLI refuses a --storage.path it cannot use, as storage-bad-stores and storage-foreign-directory check it. */
import { expect } from 'vitest'
import type { ToolResult } from './process.js'

/** Exit 2 and exactly one stderr line naming the flag, the path and why; no stack trace. */
export function expectStoreRefusal ({ code, stdout, stderr }: Pick<ToolResult, 'code' | 'stdout' | 'stderr'>, path: string, why: RegExp): void {
  expect(code, stderr + stdout).toBe(2)
  const lines = stderr.split('\n').filter(l => l !== '')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toContain(`libp2p-peer-tracker: --storage.path: cannot open the store at ${path}: `)
  expect(lines[0]).toMatch(why)
  expect(stderr).not.toMatch(/\n\s+at /)
}
