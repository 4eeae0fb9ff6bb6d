import { packageTestConfig } from '../vitest.shared';

// Web servers run one after another: they share two cores, and timing checks (SSE) need quiet.
export default packageTestConfig('@fcgi/interop', {
  test: {
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 90_000,
  },
});
