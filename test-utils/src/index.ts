export { chunksOf, fastcgiHarness, type Running, signal } from './harness';
export { type RunningExample, startExample } from './start-example';
