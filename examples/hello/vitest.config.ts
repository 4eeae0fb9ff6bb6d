import { packageTestConfig } from '../../vitest.shared';

// One file at a time: run.test.ts starts `pnpm dev`, which rebuilds dist/ that the other files run.
export default packageTestConfig('@fcgi/example-hello', { test: { fileParallelism: false } });
