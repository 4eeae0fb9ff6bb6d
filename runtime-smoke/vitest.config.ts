import { packageTestConfig } from '../vitest.shared';

export default packageTestConfig('@fcgi/runtime-smoke', {
  test: { globalSetup: ['test/install-runtimes.ts'], testTimeout: 60_000 },
});
