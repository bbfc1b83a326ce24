import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./src/runtime/node-shims.ts'],
    // Generous: CI runs the whole suite twice (Node 20 and 22) on 2 cores; waits inside tests
    // are on conditions, so a longer limit only matters when the machine is slow.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration and end-to-end tests start real servers and peers; two cores.
    maxWorkers: 2,
    fileParallelism: true
  }
})
