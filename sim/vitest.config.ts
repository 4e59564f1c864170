import { defineConfig } from 'vitest/config';

// Scenarios run many simulated nodes on the CPU: on a shared, loaded 2-core machine one can take
// far longer than vitest's 5 s default even though it asserts nothing about wall time.
export default defineConfig({
  test: { testTimeout: 120_000 },
});
