// The fault suite (`npm run chaos`, `npm run chaos:smoke`): one experiment file at a time, each bounded.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'chaos',
    include: ['test/chaos/**/*.chaos.ts'],
    globalSetup: ['test/chaos/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 60_000,
    teardownTimeout: 60_000,
  },
});
