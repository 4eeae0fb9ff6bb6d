import { defineConfig } from 'vitest/config';

// Publishing and installing from a registry takes minutes, not the unit suites' seconds.
const MINUTES = 60_000;

export default defineConfig({
  test: {
    name: '@fcgi/release-test',
    include: ['test/**/*.test.ts'],
    testTimeout: 4 * MINUTES,
    hookTimeout: 4 * MINUTES,
  },
});
