import { defineConfig } from 'vitest/config';

// End-to-end tests: browser mode driven by headless Chromium (playwright-core). Run with `npm run test:e2e`.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.spec.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
  },
});
