import { packageTestConfig } from '../vitest.shared';

// Each file starts web servers and process pools on a shared 2-core machine: one file at a time, and
// timeouts sized for a loaded machine rather than for speed.
export default packageTestConfig('@fcgi/process-models', {
  test: {
    globalSetup: ['test/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
