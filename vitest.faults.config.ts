import { defineConfig } from 'vitest/config';

/** The long fault tier: npm run test:faults. Not part of npm test. */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
