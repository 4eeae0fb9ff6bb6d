import { packageTestConfig } from '../vitest.shared';

// Each test starts a responder in a child process and attacks it for seconds at a time on a shared
// 2-core machine: one file at a time, and timeouts sized for a loaded machine rather than for speed.
export default packageTestConfig('@fcgi/stress', {
  test: {
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
