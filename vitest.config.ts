// Root test configuration: one project per workspace, plus the cross-app flows in test/ and e2e/.
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

const INTEGRATION_TIMEOUT = 30_000;
/**
 * The API suites wait on sockets and timers far more than they compute, so two files at a time halve their
 * wall time even on two cores (175 s → 97 s for the api project here). They run as their own group, since
 * projects of one group share one worker count; the agent suites (which measure CPU) keep the default.
 */
const API_WORKERS = Math.max(2, availableParallelism() - 1);

export default defineConfig({
  test: {
    reporters: ['default', './tooling/vitest-summary-reporter.ts'],
    projects: [
      { test: { name: 'protocol', include: ['packages/protocol/src/**/*.test.ts'] } },
      {
        test: {
          name: 'api',
          include: ['apps/api/src/**/*.test.ts'],
          testTimeout: INTEGRATION_TIMEOUT,
          hookTimeout: INTEGRATION_TIMEOUT,
          maxWorkers: API_WORKERS,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'agent',
          include: ['apps/agent/src/**/*.test.ts'],
          testTimeout: INTEGRATION_TIMEOUT,
          hookTimeout: INTEGRATION_TIMEOUT,
        },
      },
      { test: { name: 'web', include: ['apps/web/src/**/*.test.{ts,tsx}'] } },
      {
        test: {
          name: 'flows',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
