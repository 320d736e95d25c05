// The fault suite (`npm run chaos`, `npm run chaos:smoke`): one experiment file at a time, each bounded.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'chaos',
    // The same plain closing line as `npm test` ("N passed, N failed, N skipped") for CI log readers.
    reporters: [
      'default',
      fileURLToPath(new URL('../../tooling/vitest-summary-reporter.ts', import.meta.url)),
    ],
    include: ['test/chaos/**/*.chaos.ts'],
    // The CI smoke subset (CHAOS_SMOKE=1): one kill -9, one Redis blip, the abuse burst.
    exclude: process.env.CHAOS_SMOKE === '1' ? ['test/chaos/agent-faults.chaos.ts'] : [],
    globalSetup: ['test/chaos/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 60_000,
    teardownTimeout: 60_000,
  },
});
