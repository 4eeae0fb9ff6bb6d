import type { ParamValue } from './params-builder';

const utf8 = new TextEncoder();
/** Lengths above this need the four-byte form (§3.4). */
const MAX_SHORT_LENGTH = 127;
const LONG_LENGTH_FLAG = 0x80000000;

function writeLength(target: Uint8Array, view: DataView, offset: number, length: number): number {
  if (length > MAX_SHORT_LENGTH) {
    view.setUint32(offset, (length | LONG_LENGTH_FLAG) >>> 0);
    return offset + 4;
  }
  target[offset] = length;
  return offset + 1;
}

/**
 * Encodes name/value pairs (§3.4) into one buffer. Unlike @fcgi/protocol's encodeParams, a value may
 * be raw bytes, so request header bytes reach the backend unchanged.
 */
export function encodeParamValues(params: Iterable<readonly [string, ParamValue]>): Uint8Array {
  // A string takes at most 3 UTF-8 bytes per UTF-16 unit, so this bound always fits.
  let bound = 0;
  for (const [name, value] of params)
    bound += 8 + name.length * 3 + (typeof value === 'string' ? value.length * 3 : value.length);
  const out = new Uint8Array(bound);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const [name, value] of params) {
    const nameBytes = encodeText(name);
    const valueBytes = typeof value === 'string' ? encodeText(value) : value;
    offset = writeLength(out, view, offset, nameBytes.length);
    offset = writeLength(out, view, offset, valueBytes.length);
    out.set(nameBytes, offset);
    offset += nameBytes.length;
    out.set(valueBytes, offset);
    offset += valueBytes.length;
  }
  return out.subarray(0, offset);
}

/** ASCII (nearly every param) is copied char by char; anything else goes through TextEncoder. */
function encodeText(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return utf8.encode(text);
    bytes[i] = code;
  }
  return bytes;
}
