import { defineConfig } from 'vitest/config';

// Each test file starts real node processes; two files at a time keep a 2-core machine responsive.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 30_000,
    maxWorkers: 2,
  },
});
