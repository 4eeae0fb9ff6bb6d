import { expect } from 'vitest';
import { ProtocolError, type ProtocolErrorCode } from '../src/index';

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Splits `bytes` at the given positions (taken modulo length + 1, sorted); empty pieces are kept. */
export function splitAt(bytes: Uint8Array, positions: readonly number[]): Uint8Array[] {
  const cuts = positions.map((p) => p % (bytes.length + 1)).sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of cuts) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

/** Every byte as its own chunk. */
export function bytewise(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (byte) => Uint8Array.of(byte));
}

export const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Runs `action` and returns the ProtocolError it throws, failing the test for anything else. */
export function protocolErrorOf(action: () => unknown): ProtocolError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error('expected a ProtocolError, but nothing was thrown');
}

export function expectProtocolError(action: () => unknown, code: ProtocolErrorCode): ProtocolError {
  const error = protocolErrorOf(action);
  expect(error.code).toBe(code);
  return error;
}
