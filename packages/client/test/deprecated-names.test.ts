import { describe, expect, test } from 'vitest';
import { FastCGIClientError, FastCGIStatusError, FcgiClientError, FcgiStatusError } from '../src/index';

describe('names before the Fcgi prefix (kept for one release)', () => {
  test('FastCGIClientError is FcgiClientError, so instanceof holds either way', () => {
    expect(new FcgiClientError('CONNECT_FAILED', 'x')).toBeInstanceOf(FastCGIClientError);
  });

  test('FastCGIStatusError is FcgiStatusError, so instanceof holds either way', () => {
    expect(new FcgiStatusError(3)).toBeInstanceOf(FastCGIStatusError);
  });
});
