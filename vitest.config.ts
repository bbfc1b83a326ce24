import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./src/runtime/node-shims.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration and end-to-end tests start real servers and peers; two cores.
    maxWorkers: 2,
    fileParallelism: true
  }
})
