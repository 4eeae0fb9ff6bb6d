/** What the conformance app's bodies must be, computed independently of the app. */

import { createHash } from 'node:crypto';

const MODULUS = 251;

/** The /bytes?n=N body: byte i is i % 251. */
export function patternBytes(length: number, offset = 0): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (offset + i) % MODULUS;
  return bytes;
}

/** sha256 of the first `length` pattern bytes, hashed in slices. */
export function patternSha256(length: number): string {
  const hash = createHash('sha256');
  const slice = 1024 * 1024 - ((1024 * 1024) % MODULUS); // a whole number of periods
  const block = patternBytes(slice);
  let left = length;
  while (left > 0) {
    const size = Math.min(slice, left);
    hash.update(size === slice ? block : block.subarray(0, size));
    left -= size;
  }
  return hash.digest('hex');
}

/** Deterministic bytes that are not a simple pattern, so a misplaced slice shows. */
export function pseudoRandomBytes(length: number, seed = 1): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
