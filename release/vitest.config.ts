import { packageTestConfig } from '../vitest.shared';

// Publishing and installing from a registry takes minutes, not the unit suites' seconds.
const MINUTES = 60_000;

export default packageTestConfig('@fcgi/release-test', {
  test: {
    testTimeout: 4 * MINUTES,
    hookTimeout: 4 * MINUTES,
  },
});
