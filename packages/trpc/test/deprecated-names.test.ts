import { expect, test } from 'vitest';
import { serve, serveTRPC } from '../src/index';

test('serveTRPC, the name before every adapter used serve, is serve for one release', () => {
  expect(serveTRPC).toBe(serve);
});
